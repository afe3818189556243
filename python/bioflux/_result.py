"""A run's result: its table (units kept), events, how it ended, a plot."""

from collections import namedtuple

import numpy as np
import pandas as pd

from ._html import table

#: Where and why the model stopped a run (its ``stop`` action).
Stop = namedtuple("Stop", ["time", "reason"])


class Result:
    """What a run produced.

    - :meth:`to_pandas`: ``t`` and every output column, units in
      ``df.attrs["units"]`` (``{"glucose": "mmol/L", ...}``).
    - ``events``: a DataFrame, one row per change an event made.
    - ``stop``: ``Stop(time, reason)`` when the model stopped the run, else None.
    - ``failure``: a dict (time, message, cause, help) when the run failed
      along the way — the rows up to then are kept — else None.
    - ``stats``, ``notes``, ``parameters`` (values the run used, base units).
    """

    def __init__(self, raw, model=None):
        self.columns = list(raw["columns"])
        self.units = dict(zip(raw["columns"], raw["units"]))
        self._data = [np.asarray(c, dtype=float) for c in raw["data"]]
        self._events = raw["events"]
        self.stop = Stop(*raw["stop"]) if raw["stop"] is not None else None
        self.failure = raw["failure"]
        self.stats = raw["stats"]
        self.notes = list(raw["notes"])
        self.negatives = [dict(species=s, value=v, time=t) for s, v, t in raw["negatives"]]
        names = [p[0] for p in model._core.parameters()] if model is not None else []
        self.parameters = dict(zip(names, raw["parameters"]))
        self._species = [s[0] for s in model._core.species()] if model is not None else []

    def __len__(self):
        return len(self._data[0]) if self._data else 0

    def __getitem__(self, name):
        """One column as a numpy array."""
        try:
            return self._data[self.columns.index(name)]
        except ValueError:
            raise KeyError(f"no column {name!r}; the columns: {', '.join(self.columns)}") from None

    def to_pandas(self):
        """The rows as a DataFrame: ``t`` (h) and every output column in the
        model's units, which ``df.attrs["units"]`` names."""
        frame = pd.DataFrame(dict(zip(self.columns, self._data)))
        frame.attrs["units"] = dict(self.units)
        return frame

    @property
    def events(self):
        """Every change an event made: time (h), event (as written), target,
        before, after, unit."""
        columns = ["time", "event", "target", "before", "after", "unit"]
        return pd.DataFrame(self._events, columns=columns)

    @property
    def ok(self):
        """True when the run reached its end or the model's stop."""
        return self.failure is None

    def plot(self, y=None, *, shared=False, ax=None):
        """Curves over time with units on the axes, as ``bioflux run --plot``
        and ``bioflux plot``: the species by default, or the columns ``y``;
        one panel per column, or one pair of axes (``shared=True`` or an
        ``ax``). Returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        names = self._species if y is None else ([y] if isinstance(y, str) else list(y))
        for name in names:
            self[name]  # a KeyError that names the columns
        if not names:
            raise ValueError("nothing to plot: name at least one column")
        t = self["t"]

        def label(name):
            unit = self.units.get(name, "")
            return f"{name} [{unit}]" if unit else name

        if shared or ax is not None:
            if ax is None:
                fig, ax = plt.subplots(figsize=(8, 4.5))
            for name in names:
                ax.plot(t, self[name], label=label(name))
            ax.set_xlabel("t [h]")
            ax.legend()
            return ax.figure
        fig, axes = plt.subplots(len(names), 1, sharex=True, figsize=(8, 2.2 * len(names) + 0.6), squeeze=False)
        for axis, name in zip(axes[:, 0], names):
            axis.plot(t, self[name])
            axis.set_ylabel(label(name))
            axis.grid(True, alpha=0.3)
        axes[-1, 0].set_xlabel("t [h]")
        fig.tight_layout()
        return fig

    def __repr__(self):
        end = f"t = {self.stats['final_time']:g} h"
        how = "failed" if self.failure else ("stopped" if self.stop else "ok")
        return f"<bioflux.Result {how}, {len(self)} rows, {len(self.columns)} columns, {end}>"

    def _repr_html_(self):
        from html import escape

        frame = self.to_pandas()
        frame.columns = [f"{c} [{self.units[c]}]" if self.units.get(c) else c for c in frame.columns]
        lines = [f"<p><b>{escape(repr(self))}</b></p>"]
        if self.failure:
            lines.append(f"<p>failed at t = {self.failure['time']:g} h: {escape(self.failure['message'])}</p>")
        if self.stop:
            lines.append(f"<p>stopped at t = {self.stop.time:g} h: {escape(self.stop.reason)}</p>")
        lines.append(table(f"Rows ({len(frame)})", frame, max_rows=20))
        if self._events:
            lines.append(table("Events", self.events))
        return "".join(lines)
