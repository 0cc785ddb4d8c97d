"""News analysis over the matches of a query: attention over time (timeline), the
words that set the matches apart (keyterms), keyword in context (concordance) and
exports (export). Each takes a search.snapshot.Snapshot; none imports Whoosh.
"""
