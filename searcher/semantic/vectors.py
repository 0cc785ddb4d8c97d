"""The vectors of an index: which model made them, and the matrix a search reads.

Each article's window vectors live in its own document (schema.VectorColumn), so they
are always those of the article as indexed. What this module adds: the record of the
model that made them (`vectors.json` in the index folder, written by the index run: a
search with another model configured is refused, and the next index run embeds every
article again), and `Vectors`, the matrix of every window of one reading session,
read once and searched by brute force: a matrix-vector product over all windows,
then each article's best window (about 1 ms for 50,000 windows here; past a few
million windows an approximate index such as HNSW would be the next step).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..config import MODEL_FILES
from ..errors import SearcherError
from ..paths import display_path

RECORD = "vectors.json"


def model_identity(folder: Path) -> str:
    """What names a model's vectors: a hash of its configuration, its tokenizer, its
    weights' header and size, and 64 pieces of 16 KB spread over its weights (a
    fine-tuned model has the same header and size, but other weights everywhere; reading
    all 90 MB would cost every search 0.1 s). Hashed once a process while its files
    stay as they are: a run asks it at every commit, a search at every shard it opens."""
    stats = tuple((entry.st_size, entry.st_mtime_ns) for entry in
                  (folder.joinpath(name).stat() for name in MODEL_FILES))
    return _identity(folder, stats)


@functools.lru_cache(maxsize=8)
def _identity(folder: Path, stats: tuple[tuple[int, int], ...]) -> str:  # (stats: the cache's key)
    digest = hashlib.blake2b(digest_size=12)
    for name in ("config.json", "tokenizer.json"):
        digest.update((folder / name).read_bytes())
    weights = folder / "model.safetensors"
    size = weights.stat().st_size
    digest.update(str(size).encode())
    with weights.open("rb") as file:
        length = int.from_bytes(file.read(8), "little")
        digest.update(file.read(min(length, 1 << 20)))
        for piece in range(64):
            file.seek(size * piece // 64)
            digest.update(file.read(1 << 14))
    return digest.hexdigest()


def dimensions(model: Path) -> int:
    """How many floats a vector of this model has (its hidden size)."""
    return int(json.loads((model / "config.json").read_text(encoding="utf-8"))["hidden_size"])


def recorded(index_folder: Path) -> dict | None:  # type: ignore[type-arg]
    """The model record of an index folder (one shard's), or None when it has no vectors."""
    try:
        return json.loads((index_folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record(index_folder: Path, model: Path | None, generation: int = 0) -> None:
    """Say which model made the vectors of this index folder's articles (None: none),
    since which commit (`generation`: kept from the record when the model is the same)."""
    target = index_folder / RECORD
    if model is None:
        target.unlink(missing_ok=True)
        return
    identity = model_identity(model)
    before = recorded(index_folder)
    since = before["since"] if before and before.get("identity") == identity and "since" in before else generation
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps({"model": str(model), "identity": identity, "since": since}), encoding="utf-8")
    os.replace(temporary, target)


def embedded_with(index_folder: Path, model: Path | None) -> bool:
    """Whether this index folder's vectors are those `model` makes (None: it has none)."""
    found = recorded(index_folder)
    if model is None:
        return found is None
    return found is not None and found.get("identity") == model_identity(model)


def check_model(index_folder: Path, model: Path, generation: int) -> None:
    """Raise when the commit `generation` of the index was not embedded with `model`:
    another model, none at all, or a commit older than the model's first."""
    found = recorded(index_folder)
    if found is None:
        raise SearcherError(f"the index at {display_path(index_folder)} has no vectors for semantic ranking",
                            hint="run `searcher index` to embed its articles, or remove `semantic:`")
    if found.get("identity") != model_identity(model) or generation < found.get("since", 0):
        before = found.get("model")
        what = f"the model at {before} as it was before it changed" if before == str(model) else before
        raise SearcherError(f"the index at {display_path(index_folder)} was embedded with {what}, "
                            f"not {display_path(model)}", hint="run `searcher index` to embed its articles again")


@dataclass
class Vectors:
    """Every window vector of one reading session: `matrix` (a row a window), and the
    first row of each article number (`starts`, one more than there are articles)."""

    matrix: np.ndarray
    starts: np.ndarray
    _means: np.ndarray | None = None

    @property
    def means(self) -> np.ndarray:
        """Each article's vector: the mean of its windows', normalised (zeros: none), by
        article number. What `similar` compares articles by: on BBC News, the 10 nearest
        share the article's category 94% of the time, its key terms' 88%
        (scripts/bench_semantic.py)."""
        if self._means is None:
            counts = np.diff(self.starts)
            means = np.zeros((len(counts), self.matrix.shape[1]), dtype=np.float32)
            nonempty = np.flatnonzero(counts)
            if len(nonempty):
                means[nonempty] = np.add.reduceat(self.matrix, self.starts[nonempty], axis=0) / counts[nonempty, None]
                norms = np.linalg.norm(means[nonempty], axis=1, keepdims=True)
                means[nonempty] /= np.maximum(norms, 1e-12)
            self._means = means
        return self._means

    @classmethod
    def of(cls, values: Iterable[bytes], dimensions: int) -> Vectors:
        """From each article number's column value (b"": no vectors)."""
        values = list(values)
        rows = np.fromiter((len(value) // (4 * dimensions) for value in values), dtype=np.int64, count=len(values))
        starts = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(rows, out=starts[1:])
        matrix = np.frombuffer(b"".join(values), dtype=np.float32).reshape(-1, dimensions)
        return cls(matrix, starts)

    def similarities(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cosine similarity of each article's best window to the query vector, by
        article number (-inf for an article without vectors), and of each window."""
        scores = self.matrix @ query if len(self.matrix) else np.zeros(0, dtype=np.float32)
        best = np.full(len(self.starts) - 1, -np.inf, dtype=np.float32)
        nonempty = np.flatnonzero(self.starts[1:] > self.starts[:-1])
        if len(nonempty):
            # An article's windows are consecutive rows: the maximum of each run of rows.
            best[nonempty] = np.maximum.reduceat(scores, self.starts[nonempty])
        return best, scores

    def best_window(self, scores: np.ndarray, docnum: int) -> int:
        """The number of the article's window most like the query (its `scores` from similarities)."""
        first, last = int(self.starts[docnum]), int(self.starts[docnum + 1])
        return int(np.argmax(scores[first:last])) if last > first else 0
