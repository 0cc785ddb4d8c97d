"""One reading session of an index: what one index generation answers.

Whoosh opens a searcher on one commit of the index (a generation). What searching reads
once from it belongs to that searcher, and holds while it does: the field lengths that
scoring reads (matching.Columns), the dates and facet values that filters, sorting and
counting read (filters.Metadata), the speller's words, the near-duplicate groups of
that generation. A `Snapshot` keeps them together, with the steps a search takes inside
one generation: find the matches with their scores, order them, show near-duplicates
once, and copy the hits out into our dataclasses.

What a user asks for is assembled from one snapshot elsewhere: a search in results.py,
a timeline, top words or a concordance in their own modules. `Index` opens a new
snapshot when the index has changed. Every step of one
answer uses the same snapshot: a commit between finding the matches and counting them
would otherwise number the articles of another index.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..engine.schema import STEMMED_FIELDS, from_stored
from ..engine.tokens import stem
from ..model import SORTS, Hit, Wanted

TEXT_FIELDS = STEMMED_FIELDS  # (title, caption, body: the fields top words count)
_SHOWN = ("title", "caption", "body")  # the fields of a hit with matches shown (hits)

if TYPE_CHECKING:
    from ..config import Config
    from .filters import Filters


@dataclass
class Found:
    """What a query matched in a snapshot: article number -> score, and the query that
    matched them."""

    searcher: Any
    scores: Any  # matching.Matches: article number -> score
    query: Any  # the Whoosh query searched (the fallback, when it was used; the strict one of "tiered")
    matched: str  # "all", "any", "ranked" or "tiered" (see Results.matched)
    expansions: tuple = ()  # variants.Expansion
    loose: Any = None  # "tiered": the query with any of the words, which scored the matches without them all
    can_fall_back: bool = False  # whether find(fallback_only=True) would search another query ("any")

    def scored_by(self, docnum: int) -> Any:
        """The query that gave this match its score."""
        return self.query if self.loose is None or self.scores.holds_every(docnum) else self.loose


class Snapshot:
    """A Whoosh searcher on one generation of the index at `path`, and what is read
    once from it. `queries` gives the index's query.QueryBuilder (made by the first
    search: an index run needs none of it), `words` is its batch.WordList, `analyze` the
    analysis passages find terms with."""

    def __init__(self, searcher: Any, generation: int, path: Any, config: Config, queries: Callable[[], Any],
                 words: Any, analyze: Callable[..., Any]) -> None:
        self.searcher = searcher
        self.generation = generation
        self._ix: Any = None  # the Whoosh index (see open)
        self.config = config
        self.words = words
        self.analyze = analyze
        self._path = path
        self._queries = queries
        # Read on first use: an index run needs none of them.
        self._columns = None
        self._metadata = None
        self._speller = None
        self._terms_near: Any = None  # query.TermsNear of the searcher (it reads a field at its first fuzzy word)
        self._duplicates = None
        self._vectors: Any = None  # semantic.vectors.Vectors, read on first use
        self._query_similarities: Any = None  # (query vector, its similarities): see _similarities
        self._group_at: dict[int, tuple[int, str]] = {}  # by article number: (its group's place, its id)
        self._in_group: dict[int, list[tuple[str, int]]] = {}  # by group's place: (id, number) of those here
        self._grouped_from: Any = None  # the groups those were made from (see _grouped)
        # Where the near-duplicate groups are saved, and the generation they must describe:
        # a shard's are its sharded index's (see groups_of).
        self._groups_path, self.groups_generation = path, generation

    @classmethod
    def open(cls, whoosh_ix: Any, path: Any, config: Config, queries: Callable[[], Any], words: Any,
             analyze: Callable[..., Any], statistics: Any = None) -> Snapshot:
        """A reading session of the last commit of `whoosh_ix`, scoring with the index's
        own statistics or, given them, a whole collection's (scoring.CollectionStatistics)."""
        from ..engine.scoring import weighting

        searcher = whoosh_ix.searcher(weighting=weighting(config.boosts, statistics))
        # The generation the searcher reads (a commit may have come since the index was
        # asked for its latest); an empty index's reader has none.
        generation = searcher.reader().generation()
        if generation is None or generation < 0:
            generation = whoosh_ix.latest_generation()
        snapshot = cls(searcher, generation, path, config, queries, words, analyze)
        snapshot._ix = whoosh_ix
        return snapshot

    @property
    def queries(self) -> Any:
        """The index's query.QueryBuilder."""
        return self._queries()

    def up_to_date(self) -> bool:
        """Whether no commit has come since this one. (Whoosh's searcher of an empty index
        never says so: its reader has no generation.)"""
        if self._ix is not None and self.searcher.reader().generation() is None:
            return self._ix.latest_generation() == self.generation
        return self.searcher.up_to_date()

    def close(self) -> None:
        self.searcher.close()

    # -- what is read once --------------------------------------------------------------

    @property
    def columns(self) -> Any:
        """matching.Columns: what scoring reads of the segments once."""
        if self._columns is None:
            from . import matching

            self._columns = matching.Columns(self.searcher, dates=lambda: self.metadata.dates.values)
        return self._columns

    def vectors(self) -> Any:
        """semantic.vectors.Vectors: every window vector of this generation, read once;
        raises SearcherError when the index was not embedded with the configured model."""
        if self._vectors is None:
            from ..semantic.vectors import Vectors, check_model, dimensions

            reader = self.searcher.reader()
            if reader.doc_count_all():  # (an empty index or shard has nothing to disagree with)
                check_model(self._path, self.config.semantic, self.generation)
            values: list[bytes] = []
            # Segment by segment: a segment where no article has vectors has no column, and
            # Whoosh's column reader of several segments leaves it out (numbers would shift).
            for segment, _ in reader.leaf_readers():
                articles = segment.doc_count_all()
                column = list(segment.column_reader("vectors", translate=False)) \
                    if segment.has_column("vectors") else []
                values += column[:articles] + [b""] * (articles - len(column))  # (the default at the end)
            self._vectors = Vectors.of(values, dimensions(self.config.semantic))
        return self._vectors

    def nearest(self, found: Found, vector: bytes, depth: int | None) -> dict[int, tuple[float, int, bool]]:
        """The best `depth` (None: all) matches by the similarity of their best window to
        the query vector, best first (ties as BM25's: schema.order_key), as article number
        -> (similarity, best window, True). Articles without vectors are not among them."""
        import numpy as np

        best, scores = self._similarities(vector)
        docnums = found.scores.docnums
        similarity = best[docnums]
        keep = np.isfinite(similarity)
        docnums, similarity = docnums[keep], similarity[keep]
        if depth is not None and len(docnums) > depth:
            # (the depth-th best similarity, and every match at least as similar: ties stay exact)
            floor = np.partition(similarity, len(similarity) - depth)[len(similarity) - depth]
            keep = similarity >= floor
            docnums, similarity = docnums[keep], similarity[keep]
        order = np.lexsort((self.metadata.order_keys[docnums], -similarity))[:depth]
        vectors = self._vectors
        return {int(docnums[i]): (float(similarity[i]), vectors.best_window(scores, int(docnums[i])), True)
                for i in order.tolist()}

    def article_vector(self, docnum: int) -> bytes | None:
        """The article's vector (semantic.vectors.Vectors.means; None: it has none), as bytes."""
        vectors = self.vectors()
        if vectors.starts[docnum + 1] == vectors.starts[docnum]:
            return None
        return vectors.means[docnum].tobytes()

    def by_meaning(self, found: Found, vector: bytes, limit: int | None) -> list[tuple[int, float]]:
        """The best `limit` (None: all) of the matches by the similarity of their article
        vector to `vector` (an article's), as (article number, similarity), ties as BM25's."""
        import numpy as np

        query = np.frombuffer(vector, dtype=np.float32)
        docnums = found.scores.docnums
        similarity = self.vectors().means[docnums] @ query
        order = np.lexsort((self.metadata.order_keys[docnums], -similarity))[:limit]
        return [(int(docnums[i]), float(similarity[i])) for i in order.tolist()]

    def similarity(self, found: Found, vector: bytes, docnum: int) -> tuple[float | None, int, bool]:
        """(similarity of its best window to the query vector, that window, False) of one article."""
        best, scores = self._similarities(vector)
        similarity = float(best[docnum])
        # (None: an article without vectors, an article with neither title nor text)
        return (similarity if math.isfinite(similarity) else None), self._vectors.best_window(scores, docnum), False

    def _similarities(self, vector: bytes) -> Any:
        """semantic.vectors.Vectors.similarities for this query vector, kept for the next call."""
        if self._query_similarities is None or self._query_similarities[0] != vector:
            import numpy as np

            query = np.frombuffer(vector, dtype=np.float32)
            self._query_similarities = (vector, self.vectors().similarities(query))
        return self._query_similarities[1]

    @property
    def metadata(self) -> Any:
        """filters.Metadata: dates and facet values, read on first use."""
        if self._metadata is None:
            from .filters import Metadata

            self._metadata = Metadata(self.searcher)
        return self._metadata

    def suggest(self, query: str) -> str | None:
        """The query with its words that no article has replaced by the closest ones, or None."""
        return self.speller.suggest(query)

    @property
    def speller(self) -> Any:
        """spelling.Speller: did you mean."""
        if self._speller is None:
            from .spelling import Speller

            schema = self.searcher.schema
            fields = [name for name in self.config.boosts if name in schema]
            self._speller = Speller(self.searcher, schema, fields, self.queries.variants, self.words.words())
        return self._speller

    def groups_of(self, path: Any, generation: int) -> None:
        """Read the near-duplicate groups of the index at `path` at `generation`: a shard's
        are those of its sharded index (they may span shards), saved in its folder."""
        self._groups_path, self.groups_generation = path, generation
        self._duplicates = self._grouped_from = None

    @property
    def duplicates(self) -> Any:
        """groups.Duplicates: the saved near-duplicate groups."""
        if self._duplicates is None:
            from ..engine.groups import Duplicates

            self._duplicates = Duplicates(self._groups_path)
        return self._duplicates

    def group_places(self) -> dict[int, tuple[int, str]]:
        """By article number, the place of its near-duplicate group among the saved groups
        (the same in every shard of an index) and its id, for the groups of this
        generation (none when collapsing is off); an article in no group is not in it. Made
        once for the groups saved, with the members each group has here (_in_group): a
        search that read each candidate's stored id to look its group up spent 0.5 ms a
        BBC query on it."""
        if not self.config.duplicates:
            return {}
        # (Made again when the groups are: an index run saves them after its commit, and a
        # search may come in between.)
        groups = self.duplicates.groups(self.groups_generation)
        if self._grouped_from is not groups:
            self._group_at, self._in_group = {}, {}
            if groups:
                number_of = self._numbers_of({member for group in groups for member in group})
                for place, group in enumerate(groups):
                    numbers = [(member, number_of[member]) for member in group if member in number_of]
                    if numbers:
                        self._in_group[place] = numbers
                    for member, number in numbers:
                        self._group_at[number] = (place, member)
            self._grouped_from = groups
        return self._group_at

    def matching_members(self, group: int, found: Found) -> set[str]:
        """The ids of the members of group `group` (a place group_places gave) that this
        shard holds and that match, in the groups as group_places last read them."""
        self._groups_read()
        return {member for member, number in self._in_group.get(group, ()) if number in found.scores}

    def group_members(self, group: int) -> list[str]:
        """Every member of group `group`, in the saved order, as group_places last read
        them. (Read as a search starts, not once a candidate: whether the saved groups
        changed is a stat of their file, 40 a search of Reuters x5 in 4 shards.)"""
        return list(self._groups_read()[group])

    def _groups_read(self) -> list[list[str]]:
        """The saved groups as group_places last read them (read now if it never did)."""
        if self._grouped_from is None:
            self.group_places()
        return self._grouped_from or []

    def _numbers_of(self, ids: set[str]) -> dict[str, int]:
        """The live article number of each of these ids that the index has, found in the
        order_key column (a hash of the id, read once) rather than by a search for each id:
        Whoosh's document_number took 0.2 s for Reuters' 1,221 grouped articles, in every
        `searcher` command that searched."""
        import numpy as np

        from ..engine.schema import order_key

        by_key = {order_key(article_id): article_id for article_id in ids}
        keys = self.metadata.order_keys
        deleted = self.metadata.dates.deleted  # (a replaced article's old version keeps its id, and key)
        found: dict[str, int] = {}
        # (Two ids with one 64-bit key: about 1 in 10^11 for a million articles. searchsorted,
        # not isin, which imports numpy.ma: 14 ms of every command.)
        wanted = np.array(sorted(by_key), dtype=np.int64)
        at = np.searchsorted(wanted, keys)
        at[at == len(wanted)] = 0
        for position in np.flatnonzero(wanted[at] == keys).tolist():
            if position not in deleted:
                found[by_key[int(keys[position])]] = position
        return found

    def duplicates_of(self, article_id: str) -> list[str]:
        """The ids of the articles found to be near-duplicates of this one (see duplicates.py)."""
        return self.duplicates.of(article_id, self.groups_generation) if self.config.duplicates else []

    def stored_keys(self) -> bytearray:
        """Every article's near-duplicate keys (sketches.keys, KEYS_BYTES each), by article
        number; zeros for an article without (deleted ones keep theirs)."""
        from ..engine.sketches import KEYS_BYTES

        blob = bytearray()
        for segment, _ in self.searcher.reader().leaf_readers():
            articles = segment.doc_count_all()
            if segment.has_column("body_keys"):
                # (the column's bytes at once: Whoosh reads them an article at a time)
                column = segment.column_reader("body_keys", translate=False)
                stored = column._dbfile.get(column._basepos, column._count * KEYS_BYTES)
                blob += stored + bytes(KEYS_BYTES * (articles - column._count))  # (the default at the end)
            else:
                blob += bytes(KEYS_BYTES * articles)
        return blob

    def article(self, docnum: int) -> Any:
        """The stored article with this number, as a model.Article."""
        return from_stored(self.searcher.stored_fields(docnum))

    def article_text(self, docnum: int) -> str:
        """An article's title, caption and body, as top words read them."""
        stored = self.searcher.stored_fields(docnum)
        return f"{stored.get('title', '')}\n\n{stored.get('caption', '')}\n\n{stored.get('body', '')}"

    def field_frequencies(self, term: str) -> list[int]:
        """How many articles have `term` in each text field (TEXT_FIELDS)."""
        return [self.searcher.doc_frequency(fieldname, term) for fieldname in TEXT_FIELDS]

    def articles_with(self, term: str) -> set[int]:
        """The articles with `term` in one of their text fields (title, caption, body)."""
        reader = self.searcher.reader()
        articles: set[int] = set()
        for fieldname in TEXT_FIELDS:
            if (fieldname, term) in reader:
                articles.update(reader.postings(fieldname, term).all_ids())
        return articles

    # -- the steps of a search ----------------------------------------------------------

    def find(self, query: str, filters: Filters | None, *, all_words: bool | None = None,
             fallback_only: bool = False) -> Found:
        """Every article matching `query` and `filters`, with its score: for a short
        query, those with every word first, then those with some (see
        query.PreparedQuery). With `all_words` (default: the configuration's), only those
        with every word; with `fallback_only` too, those with any of its words instead
        ("any": what a search shows when no article of any shard has them all)."""
        from . import matching
        from .query import TermsNear, has_patterns, resolve_patterns

        prepared = self.queries.prepare(query)
        searcher = self.searcher
        if searcher.doc_count_all() == 0:
            return Found(searcher, matching.Matches(), prepared.query, prepared.matched, prepared.expansions)  # (idf undefined)
        statistics = getattr(searcher.weighting, "statistics", None)  # (a sharded index's, or None)
        columns = self.columns
        # The word list serves wildcards only: a plain search doesn't read it.
        words = self.words.words() if prepared.patterns and has_patterns(prepared.query) else []

        if prepared.patterns and (self._terms_near is None or self._terms_near.statistics is not statistics):
            self._terms_near = TermsNear(searcher)  # (this generation's: its reader's terms, or its statistics')

        def resolved(query: Any) -> Any:
            return resolve_patterns(query, searcher, stem, words, self._terms_near) if prepared.patterns else query

        used = resolved(prepared.query)
        all_words = self.config.all_words if all_words is None else all_words
        if prepared.fallback is not None and not all_words:
            loose = resolved(prepared.fallback)
            scores = matching.tiered(searcher, used, loose, columns)
            return Found(searcher, self.filtered(scores, filters), used, "tiered", prepared.expansions, loose)
        if fallback_only and prepared.fallback is not None:
            used = resolved(prepared.fallback)
            scores = self.filtered(matching.scores(searcher, used, columns), filters).none_every()
            return Found(searcher, scores, used, "any", prepared.expansions)
        if prepared.every is not None and all_words:
            # A ranked query (a sentence) with all_words: the articles with every word, or,
            # when no article has them all, its ranking of those with some ("any").
            if fallback_only:
                return Found(searcher, self.filtered(matching.scores(searcher, used, columns), filters).none_every(),
                             used, "any", prepared.expansions)
            used = resolved(prepared.every)
            return Found(searcher, self.filtered(matching.scores(searcher, used, columns), filters), used, "all",
                         prepared.expansions, can_fall_back=True)
        if prepared.every is not None:  # (a ranked query: which hits have every word, for the record)
            every = resolved(prepared.every)
            scores = matching.tiered(searcher, every, used, columns, every_first=False)
        else:
            scores = matching.scores(searcher, used, columns)
        return Found(searcher, self.filtered(scores, filters), used, prepared.matched, prepared.expansions,
                     can_fall_back=prepared.fallback is not None)

    def find_like(self, terms: Sequence[tuple[str, float]], left_out: Sequence[str]) -> Found:
        """The articles with some of an article's key terms (query.key_terms), scored by
        them, less those with the ids `left_out` (the article and its near-duplicates)."""
        from . import matching
        from .query import like_query

        query = like_query(terms)
        scores = matching.scores(self.searcher, query, self.columns)
        numbers = (self.searcher.document_number(id=article_id) for article_id in left_out)
        scores = scores.without([number for number in numbers if number is not None])
        return Found(self.searcher, scores.none_every(), query, "ranked")  # (hits have some of its words)

    def wanted(self, found: Found) -> dict[str, Wanted]:
        """What passages and concordances look for of what `found` matched, by field
        (query.highlight_terms)."""
        from .query import highlight_terms

        return highlight_terms(found.loose or found.query)

    def filtered(self, scores: Any, filters: Filters | None) -> Any:
        return filters.apply(scores, self.metadata) if filters else scores

    def order(self, found: Found, sort: str, limit: int | None) -> list[tuple[int, float]]:
        """The best `limit` (None: all) matches in `sort` order (those with every word of
        a query ranked "all words first" before the others, in either order)."""
        scores = found.scores
        ties = self.metadata.order_keys  # (equal scores fall the same way in every build: schema.order_key)
        if sort == "relevance":
            from . import matching

            return matching.ranked(scores, limit, ties)
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        dates = self.metadata.dates.values
        sign = -1 if sort == "newest" else 1
        others = set(scores.docnums[~scores.every].tolist()) if scores.every_first else set()

        def key(item: tuple[int, float]) -> tuple[bool, int, int, float, int, int]:
            date = dates[item[0]]
            # (undated last; ties by score, then as relevance's)
            return (item[0] in others, 0 if date else 1, sign * date, -item[1], int(ties[item[0]]), item[0])

        items = scores.items()
        return sorted(items, key=key) if limit is None else heapq.nsmallest(limit, items, key=key)

    def sort_key(self, found: Found, sort: str, docnum: int, score: float) -> tuple:
        """Where a match goes among those of every shard, as `order` places it among this
        one's: a short query's matches with every word first, then by score (or date,
        undated last, then score), then by schema.order_key."""
        return self.sort_keys(found, sort, [(docnum, score)])[0]

    def sort_keys(self, found: Found, sort: str, order: list[tuple[int, float]]) -> list[tuple]:
        """sort_key of each of these (article number, score) matches."""
        if not found.scores.every_first:
            return [self._sort_key(sort, docnum, score, False) for docnum, score in order]
        every = found.scores.hold_every([docnum for docnum, _ in order])
        return [self._sort_key(sort, docnum, score, not holds) for (docnum, score), holds in zip(order, every)]

    def _sort_key(self, sort: str, docnum: int, score: float, later: bool) -> tuple:
        tie = int(self.metadata.order_keys[docnum])
        if sort == "relevance":
            return (later, -score, tie)
        date = self.metadata.dates.values[docnum]
        return (later, 0 if date else 1, (-1 if sort == "newest" else 1) * date, -score, tie)

    def collapsed(self, found: Found, sort: str, limit: int | None) -> list[tuple[int, float]]:
        """The best `limit` matches with each group of near-duplicates shown once, as its
        best member here (which of the group's members match: matching_members)."""
        grouped = self.group_places()
        if not grouped:
            return self.order(found, sort, limit)
        wanted = None if limit is None else limit * 3
        while True:
            order = self.order(found, sort, wanted)
            shown: list[tuple[int, float]] = []
            seen: set[int] = set()  # the groups shown
            for docnum, score in order:
                group = grouped.get(docnum)
                if group is not None:
                    if group[0] in seen:
                        continue
                    seen.add(group[0])
                shown.append((docnum, score))
                if limit is not None and len(shown) == limit:
                    return shown
            if wanted is None or len(order) < wanted:
                return shown
            wanted *= 4  # (more near-duplicates among the best than room for them: look further)

    def hits(self, found: Found, order: list[tuple[int, float]], passage_count: int | None) -> Iterator[Hit]:
        """`order`'s articles as Hits, with their best passages (None: no passages, no title
        spans); the near-duplicates each stands for are the search's to say (results._hits)."""
        from .passages import best_passages, candidates_of, whole_text

        searcher = self.searcher
        wanted = self.wanted(found) if passage_count is not None else {}
        weights: dict[str, float] = {}
        for fieldname in ("body", "caption"):
            for term in wanted.get(fieldname, Wanted()).terms:
                weights[term] = searcher.idf(fieldname, term)
            for phrase in wanted.get(fieldname, Wanted()).phrases:
                weights[" ".join(phrase)] = sum(searcher.idf(fieldname, word) for word in phrase)
        # (The fields a hit shows: a dateline's unstemmed terms would need candidates of their own.)
        candidates = candidates_of({name: wanted[name] for name in _SHOWN if name in wanted}) \
            if passage_count is not None else {}
        every = found.scores.hold_every([docnum for docnum, _ in order])
        for rank, (docnum, score) in enumerate(order, start=1):
            article = from_stored(searcher.stored_fields(docnum))
            shown = () if passage_count is None else best_passages(
                [("caption", article.caption), ("body", article.body)], wanted, weights, self.analyze,
                passage_count, self.config.passage_chars, candidates)
            yield Hit(id=article.id, rank=rank, score=float(score or 0.0), article=article,
                      title=whole_text(article.title, wanted.get("title"), self.analyze,
                                       candidates=candidates.get("title")), passages=tuple(shown),
                      matched="all" if every[rank - 1] else "some")
