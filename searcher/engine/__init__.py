"""The engine: the index as Whoosh stores it, and the only layer that writes it.

The schema and its fields (schema), token analysis (tokens), BM25F weighting (scoring),
postings as arrays (postings), reading segments in place (reading) and writing them,
in worker processes too (writing), near-duplicate sketches computed as an article is
written (sketches), the write lock (locking), the index folder on disk (folder),
the writing session (batch), and the near-duplicate groups the folder keeps
(groups). It imports nothing of the layers above it.
"""
