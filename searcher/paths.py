"""Paths as people read them."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str | os.PathLike[str]) -> str:
    """A path relative to the current folder when it is under it, else as it is.

    Messages for people use it; data (JSON, `Problem.path`, `Article.path`) keeps
    absolute paths, which mean the same thing wherever they are read.
    """
    path = Path(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
