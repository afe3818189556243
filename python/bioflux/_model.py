"""The model: opened once, then run, sampled, fitted and ensembled."""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import _core
from ._fit import FitResult, experiment_table
from ._html import table
from ._plugins import given, search_path
from ._result import Result


def _sets(values):
    """A mapping of parameter changes as (name, value) pairs: a number is in
    the parameter's base units, text may carry a unit (``"2 [mmol/L]"``)."""
    if values is None:
        return []
    if not hasattr(values, "items"):
        raise _core.InputError(f"set= takes a mapping of parameter names to values, not {type(values).__name__}")
    pairs = []
    for name, value in values.items():
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()  # numpy scalars
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _core.InputError(f"set={name}: a number or text with a unit, not {value!r}")
        pairs.append((str(name), float(value) if not isinstance(value, str) else value))
    return pairs


def _missing(value):
    return value is None or (isinstance(value, float) and value != value)


def _design_rows(frame):
    """Each row's parameter changes; a missing value (NaN, None) leaves that
    parameter as the model has it."""
    names = [str(c) for c in frame.columns]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in frame.dtypes):
        # All numbers: no per-value type checks.
        values = frame.to_numpy(dtype=float).tolist()
        return [[(n, v) for n, v in zip(names, row) if v == v] for row in values]
    return [_sets({k: v for k, v in zip(names, values) if not _missing(v)})
            for values in frame.itertuples(index=False, name=None)]


def _restore(source, name, base_dir, path, plugin_path):
    """Unpickles a model: from its text, its files found where they were."""
    model = Model.__new__(Model)
    model._plugin_path = list(plugin_path)
    model._core = _core.Model.from_source(source, name, base_dir, search_path(plugin_path))
    model._path = path
    return model


class Model:
    """A ``.bio`` model, read and checked once (its learned terms' trained
    weights applied), compiled at its first run and kept compiled.

    ``Model(path)`` opens a file; :meth:`from_string` a model's text.
    ``plugin_path`` lists directories searched for cell-model plugins before
    ``$BIOFLUX_PLUGIN_PATH`` and the plugins the package ships (pfba,
    surrogate). A model pickles (its text and where it came from), so
    multiprocessing, Dask and Ray can ship it to workers.

    Raises :class:`bioflux.ModelError` with every diagnostic when the model
    has errors, ``FileNotFoundError`` when the file is missing.
    """

    def __init__(self, path, *, plugin_path=()):
        self._plugin_path = given(plugin_path)
        self._path = os.fspath(path)
        self._core = _core.Model.open(self._path, search_path(self._plugin_path))

    @classmethod
    def from_string(cls, text, *, name="model.bio", base_dir=None, plugin_path=()):
        """A model from its text. ``name`` names it in messages; relative
        paths in it (model files, weights ``NAME.TERM.weights.json``) start
        at ``base_dir`` (default: the current directory)."""
        model = cls.__new__(cls)
        model._plugin_path = given(plugin_path)
        model._path = None
        base = os.fspath(base_dir) if base_dir is not None else None
        model._core = _core.Model.from_source(text, name, base, search_path(model._plugin_path))
        return model

    def __reduce__(self):
        source, name, base_dir, _path, _plugins = self._core.origin()
        if self._path is not None:
            name = Path(self._path).name
        return (_restore, (source, name, os.path.abspath(base_dir or "."), self._path, self._plugin_path))

    # What the model declares -------------------------------------------

    @property
    def name(self):
        """The model's name (``model NAME`` in the file)."""
        return self._core.name

    @property
    def source(self):
        """The model's text."""
        return self._core.source

    @property
    def path(self):
        """The file it was opened from (None for a model from text)."""
        return self._path

    @property
    def parameters(self):
        """Every parameter: a DataFrame indexed by name with ``value`` (in
        base units: mmol, gDW, L, h) and ``unit``."""
        rows = self._core.parameters()
        return pd.DataFrame(rows, columns=["name", "value", "unit"]).set_index("name")

    @property
    def species(self):
        """Every species: ``initial`` value in its declared ``unit``, ``role``."""
        rows = self._core.species()
        return pd.DataFrame(rows, columns=["name", "initial", "unit", "role"]).set_index("name")

    @property
    def cells(self):
        """Every cell: its ``plugin`` and model file (``source``)."""
        rows = self._core.cells()
        return pd.DataFrame(rows, columns=["name", "plugin", "source"]).set_index("name")

    @property
    def columns(self):
        """The columns a run gives (``t`` first) with their units; a cell's
        outputs in the units its plugin declares (the cells are bound first)."""
        return dict(self._core.columns())

    @property
    def events(self):
        """Each event as written (``at 24 [h] every 24 [h]``, ``when ...``)."""
        return list(self._core.events())

    # Running ------------------------------------------------------------

    def run(self, set=None, *, end=None, output=None, solver=None, rtol=None, atol=None, check=True):
        """Simulates the model and returns a :class:`Result`.

        - ``set``: parameter changes, ``{"F0": 0.02}`` (base units) or
          ``{"Ks": "2 [mmol/L]"}`` (any unit of the parameter's dimension).
        - ``end``, ``output``: the end time and the interval between rows,
          hours or text with a unit (``"15 h"``, ``"30 min"``); default the
          model's ``simulate`` block.
        - ``solver``: ``"bdf"`` (default), ``"esdirk34"`` or ``"tsit45"``;
          ``rtol``, ``atol``: tolerances (default the model's).
        - ``check``: raise :class:`bioflux.SimulationError` when the run
          fails along the way (its ``result`` holds the rows up to the
          failure); with ``check=False`` the result is returned and says
          so in ``result.failure``.

        A run that the model itself stops (``stop``) is a result:
        ``result.stop`` says when and why. Ctrl-C interrupts the run.
        """
        raw = self._core.run(_sets(set), dict(end=end, output=output, solver=solver, rtol=rtol, atol=atol))
        result = Result(raw, self)
        if check and result.failure is not None:
            f = result.failure
            error = _core.SimulationError(f"the run failed at t = {f['time']:g} h: {f['message']}\nhelp: {f['help']}")
            error.result = result
            error.time = f["time"]
            error.cause = f["cause"]
            raise error
        return result

    def sample(self, cell, grid):
        """Evaluates cell ``cell`` (its plugin, outside a simulation) at every
        point of a grid and returns a DataFrame: the inputs, every output and
        each point's ``status`` (ok, relaxed, failed, stopped).

        ``grid`` maps each of the cell's inputs (its ``bound`` and ``input``
        lines; a reaction names its bound) to ``(start, end, step)`` or to one
        value. A lower bound is given as an uptake (``EX_glc__D_e: (0, 20,
        0.1)`` sets the bound to -0 … -20), as ``bioflux sample`` does.
        """
        axes = []
        for name, spec in dict(grid).items():
            if isinstance(spec, (int, float)):
                start = end = float(spec)
                step = 1.0
            else:
                start, end, step = (float(x) for x in spec)
            axes.append(f"{name}={start!r}:{end!r}:{step!r}")
        raw = self._core.sample(str(cell), axes)
        # An input shares its reaction's name with an output: an uptake
        # axis is `NAME.uptake` (its value as given), another its port.
        columns = {}
        for name, meaning, values in zip(raw["inputs"], raw["input_meaning"], raw["input_data"]):
            columns[f"{name}.uptake" if meaning.startswith("uptake") else name] = values
        columns.update(zip(raw["outputs"], raw["output_data"]))
        names = {0: "ok", 1: "relaxed", 2: "failed", 3: "stopped"}
        columns["status"] = pd.Categorical([names.get(s, str(s)) for s in raw["status"]])
        frame = pd.DataFrame(columns)
        frame.attrs["units"] = dict(zip(raw["outputs"], raw["output_units"]))
        return frame

    def fit(self, data, fit, *, start=None, bounds=None, log=False, sigma=None, starts=1, seed=0,
            max_evaluations=200, rtol=None, atol=None):
        """Fits parameters (and learned terms) to measured data; returns a
        :class:`FitResult` (estimates, standard errors, 95 % intervals,
        correlations, residuals).

        - ``data``: one DataFrame per experiment, or ``(DataFrame, {"F1":
          0.03})`` with that experiment's parameter changes. A ``t`` (or
          ``time``) column in hours (or the index so named) and columns named
          as the model's outputs; units from ``df.attrs["units"]`` or in the
          column name (``"biomass [g/L]"``), converted; NaN is missing.
        - ``fit``: the names to estimate. ``start``, ``bounds``: dicts by
          name (base units). ``log``: True fits every positive parameter as
          ln θ, or a list of names. ``sigma``: measurement standard
          deviations by output (its unit).
        - ``starts``: multi-start count (a Latin hypercube after the first);
          ``seed``; ``max_evaluations`` per start.
        """
        if isinstance(data, pd.DataFrame) or isinstance(data, tuple):
            data = [data]
        tables = [experiment_table(item, i) for i, item in enumerate(data)]
        names = [fit] if isinstance(fit, str) else list(fit)
        log_arg = list(log) if isinstance(log, (list, tuple)) else bool(log)
        request = dict(
            fit=names,
            start=[(k, float(v)) for k, v in (start or {}).items()],
            bounds=[(k, (float(lo), float(hi))) for k, (lo, hi) in (bounds or {}).items()],
            log=log_arg,
            sigma=[(k, float(v)) for k, v in (sigma or {}).items()],
            starts=int(starts), seed=int(seed), max_evaluations=int(max_evaluations), rtol=rtol, atol=atol,
        )
        raw = self._core.fit(tables, request)
        return FitResult(raw)

    def ensemble(self, design, *, threads=None, end=None, output=None, solver=None, rtol=None, atol=None):
        """Runs the model once per row of ``design`` on ``threads`` threads
        (default: every core) and returns one long DataFrame: ``run`` (the
        design's row label), the row's parameters, ``status`` (ok, stopped,
        failed), ``message`` (why a run failed), then every output column.
        A failed run keeps the rows computed before it failed (one row of
        NaN when it could not start); it never ends the ensemble.

        ``design``: a DataFrame (columns are parameters, a row per run) or a
        list of dicts; values as in :meth:`run`'s ``set``. The model is
        checked once and compiled once per thread. Ctrl-C stops it.
        """
        frame = design if isinstance(design, pd.DataFrame) else pd.DataFrame(list(design))
        rows = _design_rows(frame)
        if threads is None:
            threads = os.cpu_count() or 1
        settings = dict(end=end, output=output, solver=solver, rtol=rtol, atol=atol)
        raw = self._core.ensemble(rows, int(threads), settings)
        # Per run: its design row, status, message; per row: its run.
        runs = raw["runs"]
        design_row = np.array([r[0] for r in runs], dtype=np.int64)
        categories = ["ok", "stopped", "failed"]
        status_code = np.array([categories.index(r[1]) for r in runs], dtype=np.int8)
        message = np.empty(len(runs), dtype=object)
        message[:] = [r[2] for r in runs]
        k = raw["row_run"]
        rows_of = design_row[k]
        columns = {"run": frame.index.to_numpy()[rows_of]}
        for name in frame.columns:
            columns[name] = frame[name].to_numpy()[rows_of]
        columns["status"] = pd.Categorical.from_codes(status_code[k], categories=categories)
        columns["message"] = message[k]
        columns.update(zip(raw["columns"], raw["data"]))
        # copy=False: the columns become the frame's as they are (no
        # consolidation into one block, which would copy them all).
        out = pd.DataFrame(columns, copy=False)
        out.attrs["units"] = dict(zip(raw["columns"], raw["units"]))
        return out

    # Showing -------------------------------------------------------------

    def __repr__(self):
        where = self._path if self._path is not None else "text"
        return (f"<bioflux.Model {self.name!r} from {where}: {len(self._core.species())} species, "
                f"{len(self._core.parameters())} parameters, {len(self._core.cells())} cells>")

    def _repr_html_(self):
        from html import escape

        head = f"<h3>model {escape(self.name)}</h3>"
        parts = [head, table("Species", self.species), table("Parameters", self.parameters)]
        if len(self._core.cells()):
            parts.append(table("Cells", self.cells))
        if self.events:
            parts.append(table("Events", pd.DataFrame({"event": self.events})))
        return "".join(parts)
