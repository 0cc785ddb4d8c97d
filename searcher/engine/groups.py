"""The near-duplicate groups an index run found, as the index folder keeps them.

After a run that changed the index, the indexer (indexing/duplicates.py finds the
groups) writes them to `searcher-duplicates.json`, by article id (document numbers
change with merges), with the commit they describe and each member's day. A search
reads them (search/snapshot.py) to show each group once. The file is part of the index
folder, as the word list is: it lives in the engine, below both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from ..paths import replaced

FILE_NAME = "searcher-duplicates.json"


def save_groups(folder: Path, groups: list[list[str]], generation: int, days: Mapping[str, int],
                threshold: float) -> None:
    """Write the groups of the index at `generation` (the commit they describe), with
    the day of each member (`days` has them): the next run's find_groups needs them.
    `threshold` is the similarity they were found at, for the record."""
    member_days = [[days.get(article_id, 0) for article_id in group] for group in groups]
    with replaced(folder / FILE_NAME) as out:
        json.dump({"generation": generation, "threshold": threshold, "groups": groups, "days": member_days}, out,
                  separators=(",", ":"))  # (an archive of copies has most of its articles in groups)


def carry_over(folder: Path, generation: int, new_generation: int) -> None:
    """The groups of commit `generation` also describe `new_generation`, a commit that
    changed no article (an optimize): say so, so that searches go on using them."""
    data = _read(folder / FILE_NAME)
    if data.get("generation") == generation and generation != new_generation:
        data["generation"] = new_generation
        with replaced(folder / FILE_NAME) as out:
            json.dump(data, out, separators=(",", ":"))


def saved_generation(folder: Path) -> int | None:
    """The index generation the saved groups describe (None: none saved, or unreadable)."""
    return _read(folder / FILE_NAME).get("generation")


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # (missing or damaged: no groups; the next index run writes them again)
    return data if isinstance(data, dict) else {}


class Duplicates:
    """The near-duplicate groups of an index, as saved after its last index run.

    They describe one commit: after any other (an `Index.add`, a run stopped before
    it saved them) they are not used until the next index run finds them again.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        self._version: tuple[int, int] | None = None
        self._groups: list[list[str]] = []
        self._days: dict[str, int] = {}
        self._group_of: dict[str, int] = {}

    def _load(self, generation: int) -> None:
        try:
            version = (self.path.stat().st_mtime_ns, generation)
        except FileNotFoundError:
            self._groups, self._days, self._group_of, self._version = [], {}, {}, None
            return
        if version != self._version:
            data = _read(self.path)
            groups = data.get("groups", []) if data.get("generation") == generation else []
            if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
                groups = []
            self._groups = groups
            days = data.get("days") if isinstance(data.get("days"), list) else []
            self._days = {article_id: day for group, group_days in zip(groups, days)
                          for article_id, day in zip(group, group_days)}
            self._group_of = {article_id: number for number, members in enumerate(groups) for article_id in members}
            self._version = version

    def of(self, article_id: str, generation: int) -> list[str]:
        """The other articles of `article_id`'s group (none when it has no near-duplicate)."""
        self._load(generation)
        number = self._group_of.get(article_id)
        return [] if number is None else [other for other in self._groups[number] if other != article_id]

    def groups(self, generation: int) -> list[list[str]]:
        self._load(generation)
        return self._groups

    def days(self, generation: int) -> dict[str, int]:
        """The day of each article in a group (date.toordinal(), 0 for no date)."""
        self._load(generation)
        return self._days
