"""Where the package finds cell-model plugins: the caller's directories
first, then the ``plugins/`` folder the wheel carries (pfba, surrogate)."""

import os
from pathlib import Path

SHIPPED = Path(__file__).parent / "plugins"


def given(plugin_path=()):
    """The caller's plugin directories (one path or several) as strings."""
    if isinstance(plugin_path, (str, os.PathLike)):
        plugin_path = [plugin_path]
    return [os.fspath(p) for p in plugin_path]


def search_path(plugin_path=()):
    """The plugin directories to hand to the library, as strings."""
    dirs = given(plugin_path)
    if SHIPPED.is_dir():
        dirs.append(os.fspath(SHIPPED))
    return dirs
