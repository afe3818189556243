"""One LP of a genome-scale model file, without a .bio file."""

import os

import pandas as pd

from . import _core
from ._plugins import search_path


class FbaSolution:
    """An LP's answer: ``status`` (optimal, relaxed, infeasible),
    ``objective``, ``slack`` (with ``relax``), ``fluxes`` (a pandas Series
    by reaction id, mmol/gDW/h), ``notes``."""

    def __init__(self, raw):
        self.status = raw["status"]
        self.objective = raw["objective"]
        self.slack = raw["slack"]
        self.fluxes = pd.Series(raw["fluxes"], index=pd.Index(raw["reactions"], name="reaction"), name="flux",
                                dtype=float)
        self.notes = list(raw["notes"])

    def __repr__(self):
        objective = "none" if self.objective is None else f"{self.objective:.7g}"
        return f"<bioflux.FbaSolution {self.status}, objective {objective}, {len(self.fluxes)} fluxes>"

    def _repr_html_(self):
        top = self.fluxes[self.fluxes.abs() > 1e-9].sort_values(key=abs, ascending=False).head(20)
        return f"<p><b>{self!r}</b></p>{top.to_frame().to_html(notebook=True)}"


def fba(model, bounds=None, *, objective=None, minimize=False, pfba=False, relax=False, plugin_path=()):
    """Solves the LP of a model file (SBML with fbc, COBRA JSON; gzipped too)
    through the pfba plugin, as ``bioflux fba`` does.

    ``bounds`` maps reaction ids to a value (the flux fixed there, as
    ``bioflux fba --bound R=v``) or to ``(lower, upper)`` with None for a
    side left as the model has it. ``objective``: a reaction to optimise
    instead of the model's (``minimize=True`` to minimise). ``pfba``: the
    optimum with the least total flux. ``relax``: where no flux satisfies
    the bounds, the least slack that makes one.
    """
    triples = []
    for reaction, value in (bounds or {}).items():
        if isinstance(value, (tuple, list)):
            lower, upper = value
            if lower is not None:
                triples.append((reaction, "lower", float(lower)))
            if upper is not None:
                triples.append((reaction, "upper", float(upper)))
        else:
            triples.append((reaction, "fixed", float(value)))
    raw = _core.fba(os.fspath(model), triples, objective, minimize, pfba, relax,
                    search_path(plugin_path))
    return FbaSolution(raw)
