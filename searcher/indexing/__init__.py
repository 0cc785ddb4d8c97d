"""Indexing a corpus: incremental runs (update), the manifest of what was read from
which file (manifest), and the near-duplicate groups an index run finds and saves
(duplicates). It reads a corpus with `readers` and writes through the engine's batch.
"""
