"""The README's Python example runs; the type stubs name what the package has."""

import ast
import os
import re
import textwrap

import bioflux
from conftest import ROOT


def test_the_readmes_python_example_runs():
    import matplotlib

    matplotlib.use("Agg")
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        scope = {}
        exec(textwrap.dedent(block), scope)
    finally:
        os.chdir(here)
    assert abs(scope["s"].objective - 0.8739215) < 1e-6
    assert set(scope["ens"]["run"]) == {0, 1, 2}
    assert len(scope["df"]) == 151


def test_the_stubs_match_the_package():
    stub = ast.parse((ROOT / "python" / "bioflux" / "__init__.pyi").read_text())
    classes = [node for node in stub.body if isinstance(node, ast.ClassDef)]
    assert {c.name for c in classes} >= {"Model", "Result", "FitResult", "FbaSolution", "ModelError"}
    for cls in classes:
        runtime = getattr(bioflux, cls.name)
        for node in cls.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                assert hasattr(runtime, node.name), f"{cls.name}.{node.name} is in the stubs, not the package"
                stub_args = [a.arg for a in node.args.args + node.args.kwonlyargs]
                member = getattr(runtime, node.name)
                if callable(member) and not isinstance(member, property):
                    code = member.__code__
                    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
                    assert list(names) == stub_args, f"{cls.name}.{node.name}: {names} vs the stub's {stub_args}"
    functions = [node.name for node in stub.body if isinstance(node, ast.FunctionDef)]
    assert all(hasattr(bioflux, f) for f in functions)
    assert sorted(n for n in bioflux.__all__ if n != "__version__") == sorted(
        [c.name for c in classes if not c.name.startswith("_")] + functions)
