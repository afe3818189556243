# Type stubs for the bioflux package (the public API; see docs/python.md).
import os
from typing import Any, Iterable, Literal, Mapping, NamedTuple, Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
import numpy as np

__version__: str

_Path = str | os.PathLike[str]
#: A parameter's value: a number in its base units or text with a unit ("2 [mmol/L]").
_Value = float | int | str
#: A time: hours, or text with a unit ("15 h", "30 min").
_Time = float | int | str

class BiofluxError(Exception): ...

class ModelError(BiofluxError):
    #: Every diagnostic: file, line, column, end_line, end_column (from 1,
    #: columns in characters), code, message, label, help.
    diagnostics: list[dict[str, Any]]

class InputError(BiofluxError): ...

class SimulationError(BiofluxError):
    #: The run up to the failure (its rows kept).
    result: Result
    #: When it failed (h).
    time: float
    #: cell, celloutputnotfinite, notfinite, solver, interrupted or event.
    cause: str

class FitError(BiofluxError): ...

class PluginError(BiofluxError):
    #: The plugin's name (or library file stem).
    plugin: str

class Stop(NamedTuple):
    time: float
    reason: str

class Result:
    columns: list[str]
    units: dict[str, str]
    stop: Stop | None
    failure: dict[str, Any] | None
    stats: dict[str, Any]
    notes: list[str]
    negatives: list[dict[str, Any]]
    parameters: dict[str, float]
    def __len__(self) -> int: ...
    def __getitem__(self, name: str) -> np.ndarray: ...
    def to_pandas(self) -> pd.DataFrame: ...
    @property
    def events(self) -> pd.DataFrame: ...
    @property
    def ok(self) -> bool: ...
    def plot(self, y: str | Sequence[str] | None = None, *, shared: bool = False, ax: Axes | None = None) -> Figure: ...

class FitResult:
    estimates: pd.DataFrame
    parameters: dict[str, float]
    correlation: pd.DataFrame
    correlated: list[tuple[str, str, float]]
    undetermined: list[str]
    cost: float
    n_data: int
    dof: int
    reduced_chi_square: float
    residuals: pd.DataFrame
    starts: pd.DataFrame
    notes: list[str]

class FbaSolution:
    status: Literal["optimal", "relaxed", "infeasible"]
    objective: float | None
    slack: float | None
    fluxes: pd.Series
    notes: list[str]

class Model:
    def __init__(self, path: _Path, *, plugin_path: _Path | Iterable[_Path] = ()) -> None: ...
    @classmethod
    def from_string(
        cls,
        text: str,
        *,
        name: str = "model.bio",
        base_dir: _Path | None = None,
        plugin_path: _Path | Iterable[_Path] = (),
    ) -> Model: ...
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def parameters(self) -> pd.DataFrame: ...
    @property
    def species(self) -> pd.DataFrame: ...
    @property
    def cells(self) -> pd.DataFrame: ...
    @property
    def columns(self) -> dict[str, str]: ...
    @property
    def events(self) -> list[str]: ...
    def run(
        self,
        set: Mapping[str, _Value] | None = None,
        *,
        end: _Time | None = None,
        output: _Time | None = None,
        solver: Literal["bdf", "esdirk34", "tsit45"] | None = None,
        rtol: float | None = None,
        atol: float | None = None,
        check: bool = True,
    ) -> Result: ...
    def sample(self, cell: str, grid: Mapping[str, tuple[float, float, float] | float]) -> pd.DataFrame: ...
    def fit(
        self,
        data: pd.DataFrame | tuple[pd.DataFrame, Mapping[str, _Value]] | Sequence[pd.DataFrame | tuple[pd.DataFrame, Mapping[str, _Value]]],
        fit: str | Sequence[str],
        *,
        start: Mapping[str, float] | None = None,
        bounds: Mapping[str, tuple[float, float]] | None = None,
        log: bool | Sequence[str] = False,
        sigma: Mapping[str, float] | None = None,
        starts: int = 1,
        seed: int = 0,
        max_evaluations: int = 200,
        rtol: float | None = None,
        atol: float | None = None,
    ) -> FitResult: ...
    def ensemble(
        self,
        design: pd.DataFrame | Sequence[Mapping[str, _Value]],
        *,
        threads: int | None = None,
        end: _Time | None = None,
        output: _Time | None = None,
        solver: Literal["bdf", "esdirk34", "tsit45"] | None = None,
        rtol: float | None = None,
        atol: float | None = None,
    ) -> pd.DataFrame: ...

def fba(
    model: _Path,
    bounds: Mapping[str, float | tuple[float | None, float | None]] | None = None,
    *,
    objective: str | None = None,
    minimize: bool = False,
    pfba: bool = False,
    relax: bool = False,
    plugin_path: _Path | Iterable[_Path] = (),
) -> FbaSolution: ...
