"""Indexing a corpus: incremental runs (update), the manifest of what was read from
which file (manifest), the near-duplicate groups an index run finds (duplicates), and
opening the configured index to search it, built first when it needs to be
(open_or_build, apart so that a search imports none of the rest). It reads a corpus
with `readers` and writes through the engine's batch.
"""
