"""Semantic ranking, opt-in: article embeddings fused with BM25 (the `semantic:` key).

An index run embeds each article's windows (200 word pieces each) with a
sentence-transformers encoder run in numpy (encoder.py) and stores them in the article's own document, so
they are committed, replaced and deleted with it (vectors.py); a search of an index
with vectors ranks the matches by similarity too and fuses both rankings (fusion.py).
Nothing here is imported unless the configuration has `semantic:`.
"""
