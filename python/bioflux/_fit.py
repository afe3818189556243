"""Fits: experiments from DataFrames, and what a fit is worth."""

import math

import numpy as np
import pandas as pd

from ._html import table


def _time_first(frame):
    """The frame with its time as a column (an index named t or time is one)."""
    if "t" not in frame.columns and "time" not in frame.columns and frame.index.name in ("t", "time"):
        frame = frame.reset_index()
    return frame


def experiment_table(item, i):
    """One experiment as the library takes it: (label, sets, headers, rows)."""
    from ._model import _sets

    frame, sets = (item if isinstance(item, tuple) else (item, None))
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"data[{i}]: a DataFrame (or a (DataFrame, sets) pair), not {type(frame).__name__}")
    frame = _time_first(frame)
    units = frame.attrs.get("units", {})
    headers = []
    for name in frame.columns:
        name = str(name)
        unit = units.get(name, "") if "[" not in name else ""
        headers.append(f"{name} [{unit}]" if unit and name not in ("t", "time") else name)
    values = frame.to_numpy(dtype=float, na_value=np.nan)
    rows = [[None if math.isnan(v) else float(v) for v in row] for row in values]
    label = str(frame.attrs.get("name", f"data[{i}]"))
    return (label, _sets(sets), headers, rows)


class FitResult:
    """A finished fit.

    - ``estimates``: DataFrame by parameter — ``value`` (base units),
      ``se`` (standard error; inf where the data do not determine it),
      ``low``, ``high`` (95 % interval, asymmetric for log-fitted ones), ``log``.
    - ``parameters``: ``{name: value}``, to pass to ``Model.run(set=...)``.
    - ``correlation``: DataFrame; ``correlated``: pairs with ``|r| > 0.95``;
      ``undetermined``: names the data do not inform at all.
    - ``residuals``: per output (n, mean, rms, max_abs, sigma).
    - ``cost`` (½‖r‖²), ``n_data``, ``dof``, ``reduced_chi_square``,
      ``starts`` (each start's cost, evaluations, ending), ``notes``.
    """

    def __init__(self, raw):
        cols = ["name", "value", "se", "low", "high", "log"]
        self.estimates = pd.DataFrame(raw["estimates"], columns=cols).set_index("name")
        names = list(self.estimates.index)
        self.parameters = dict(zip(names, self.estimates["value"]))
        self.correlation = pd.DataFrame(raw["correlation"], index=names, columns=names)
        self.correlated = list(raw["correlated"])
        self.undetermined = list(raw["undetermined"])
        self.cost = raw["cost"]
        self.n_data = raw["n_data"]
        self.dof = raw["dof"]
        self.reduced_chi_square = raw["reduced_chi_square"]
        rcols = ["output", "unit", "n", "mean", "rms", "max_abs", "sigma"]
        self.residuals = pd.DataFrame(raw["outputs"], columns=rcols).set_index("output")
        self.starts = pd.DataFrame(raw["starts"], columns=["cost", "evaluations", "termination", "error"])
        self.notes = list(raw["notes"])

    def __repr__(self):
        body = ", ".join(f"{n} = {v:.6g} ± {s:.2g}" for n, v, s in
                         zip(self.estimates.index, self.estimates["value"], self.estimates["se"]))
        return f"<bioflux.FitResult {body}; cost {self.cost:.6g}, {self.n_data} data>"

    def _repr_html_(self):
        parts = [table("Estimates", self.estimates), table("Correlation", self.correlation),
                 table("Residuals", self.residuals)]
        if self.correlated:
            pairs = ", ".join(f"{a}–{b} ({r:+.3f})" for a, b, r in self.correlated)
            parts.append(f"<p>practically non-identifiable pairs: {pairs}</p>")
        return "".join(parts)
