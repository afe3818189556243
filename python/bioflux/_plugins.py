"""Where the package finds cell-model plugins: the caller's directories
first, then the ``plugins/`` folder the wheel carries (pfba, surrogate)."""

import os
from pathlib import Path

SHIPPED = Path(__file__).parent / "plugins"


def search_path(given=()):
    """The plugin directories to hand to the library, as strings."""
    if isinstance(given, (str, os.PathLike)):
        given = [given]
    dirs = [os.fspath(p) for p in given]
    if SHIPPED.is_dir():
        dirs.append(os.fspath(SHIPPED))
    return dirs
