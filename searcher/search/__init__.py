"""Searching one index generation: parsing a query (query, variants and name_variants
for name variants), finding and scoring the matches (matching), filters and facets
(filters), the reading session that holds them (snapshot), passages and highlighting
(passages), "did you mean" (spelling), score explanations (explain), and the
`Results` a search assembles (results).
"""
