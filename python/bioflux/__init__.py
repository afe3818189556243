"""bioflux from Python: open a ``.bio`` model once, then run, sample, fit and
ensemble it; results are pandas DataFrames with units kept.

>>> import bioflux
>>> m = bioflux.Model("models/monod_batch.bio")
>>> df = m.run(end="10 h").to_pandas()

Every long call releases the GIL and honours Ctrl-C (``KeyboardInterrupt``).
Errors are :class:`BiofluxError` and its subclasses.
"""

from ._core import (
    BiofluxError,
    FitError,
    InputError,
    ModelError,
    PluginError,
    SimulationError,
    __version__,
)
from ._fba import FbaSolution, fba
from ._fit import FitResult
from ._model import Model
from ._result import Result, Stop

__all__ = [
    "Model",
    "Result",
    "Stop",
    "FitResult",
    "FbaSolution",
    "fba",
    "BiofluxError",
    "ModelError",
    "InputError",
    "SimulationError",
    "FitError",
    "PluginError",
    "__version__",
]
