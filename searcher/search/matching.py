"""Finding and scoring every match of a query, a term at a time, in arrays.

Whoosh scores a query document at a time: a tree of matchers, one per term and per
field, is advanced in step, and every step asks every node whether it is still
active. For a ranked sentence over 100,000 articles (a dozen words, each in four
fields) that bookkeeping, not the scoring, took nine tenths of the time. Its top-N
pruning, which would skip most of it, is unsafe in Whoosh 2.7 (see `scores`).

Here each term's postings are read into numpy arrays (postings.term_blocks: our
blocks hold them as arrays) and scored with the same weighting model
(scoring.FieldBoostedBM25F, the same quantized field lengths) in one vectorised
expression; AND, OR, AND NOT and AND MAYBE combine the arrays as Whoosh's matchers
combine scores (a sum over the parts that match). A phrase is found from its words'
positions, as arrays too, and a range of whole days from the date column, each
scored as Whoosh's matcher scores it. Any other query (a phrase with slop, "oil prices"~3,
a range of times) is run by its own Whoosh matcher and joins in as arrays.

Every match is scored, so the count of matches is exact, and the scores are the
ones a dict accumulator gets, bit for bit: the same operations on each posting, and
each article's parts added in the same order (tests/exhaustive.py is that
accumulator, and the tests compare the two).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterator

import numpy as np
from whoosh import query as wq
from whoosh.matching import NullMatcherClass

from ..engine.postings import position_arrays, term_blocks
from ..engine.reading import LENGTHS, field_lengths, length_bytes
from ..engine.schema import ArticleDate
from ..engine.scoring import FieldBoostedBM25F, average_length

#: The length each of Whoosh's length bytes stands for; 0, "no length", reads as 1.
_LENGTH_OF_BYTE = np.array([length or 1 for length in LENGTHS], dtype=np.float64)
_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)
_ACCUMULATE = np.add.accumulate  # (a running sum: cumsum, a third faster on a block's few numbers)
# A union of parts holding fewer postings than this share of the index's articles is
# summed sparsely (sorted), unless the index is small; else in an array as long as it.
_DENSE_SHARE = 1 / 16
_SMALL_INDEX = 1 << 16
_PLACE_BITS = 32  # a term's place: its article's number, shifted this far, plus its position there

Part = tuple[np.ndarray, np.ndarray]  # article numbers (ascending, unique) and their scores


class Matches:
    """What a query matched: article numbers (ascending) and their scores, as arrays.

    It reads like the map from article number to score it stands for (`len`, `in`,
    iteration over the numbers, `items()`), for the callers that count or look up
    a few; those that handle many read `docnums` and `scores`. `every`, when known,
    says which matches hold every word of the query (see `tiered`); with
    `every_first`, those rank before the others.
    """

    __slots__ = ("docnums", "scores", "every", "every_first")

    def __init__(self, docnums: np.ndarray = _EMPTY_IDS, scores: np.ndarray = _EMPTY_SCORES,
                 every: np.ndarray | None = None, every_first: bool = False) -> None:
        self.docnums = docnums
        self.scores = scores
        self.every = every
        self.every_first = every_first and every is not None

    def __len__(self) -> int:
        return len(self.docnums)

    def __bool__(self) -> bool:
        return len(self.docnums) > 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.docnums.tolist())

    def __contains__(self, docnum: object) -> bool:
        return self._at(docnum) is not None

    def __getitem__(self, docnum: int) -> float:
        at = self._at(docnum)
        if at is None:
            raise KeyError(docnum)
        return float(self.scores[at])

    def _at(self, docnum: object) -> int | None:
        at = int(np.searchsorted(self.docnums, docnum))  # type: ignore[call-overload]
        return at if at < len(self.docnums) and self.docnums[at] == docnum else None

    def get(self, docnum: int, default: Any = None) -> Any:
        try:
            return self[docnum]
        except KeyError:
            return default

    def keys(self) -> Iterator[int]:
        return iter(self)

    def items(self) -> Iterator[tuple[int, float]]:
        return zip(self.docnums.tolist(), self.scores.tolist())

    def count_every(self) -> int:
        """How many matches hold every word (all of them when that isn't known)."""
        return len(self) if self.every is None else int(np.count_nonzero(self.every))

    def holds_every(self, docnum: int) -> bool:
        """Whether the match `docnum` holds every word (True when that isn't known)."""
        return self.hold_every([docnum])[0]

    def hold_every(self, docnums: list[int]) -> list[bool]:
        """holds_every of each of these matches, at once."""
        if self.every is None:
            return [True] * len(docnums)
        if not len(self.docnums):
            return [False] * len(docnums)
        wanted = np.array(docnums, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.docnums, wanted), len(self.docnums) - 1)
        return ((self.docnums[at] == wanted) & self.every[at]).tolist()

    def none_every(self) -> Matches:
        """These matches, marked as holding not every word (a query's fallback)."""
        return Matches(self.docnums, self.scores, np.zeros(len(self.docnums), dtype=bool))

    def where(self, keep: np.ndarray) -> Matches:
        """The matches where `keep` (a boolean array, one per match) is true."""
        return Matches(self.docnums[keep], self.scores[keep], None if self.every is None else self.every[keep],
                       self.every_first)

    def without(self, docnums: Any) -> Matches:
        """These matches less the articles `docnums`."""
        gone = np.fromiter(docnums, dtype=np.int64) if not isinstance(docnums, np.ndarray) else docnums
        return self.where(np.isin(self.docnums, gone, invert=True)) if len(gone) else self


class Columns:
    """What scoring reads of one searcher, once: each segment's field lengths (as BM25
    reads them) and deleted articles, joined in article-number order. Made again for
    each searcher."""

    def __init__(self, searcher, dates: Callable[[], Any] | None = None) -> None:  # type: ignore[no-untyped-def]
        self.searcher = searcher
        self._date_column = dates  # (the date column as the searcher's metadata has it, when it has)
        self._dates: np.ndarray | None = None
        self.segments = [_Segment(sub, offset) for sub, offset in searcher.leaf_searchers()]
        self.count = sum(segment.count for segment in self.segments)
        self.alive: np.ndarray | None = None  # (None: no article deleted)
        if any(segment.alive is not None for segment in self.segments):
            self.alive = np.concatenate([np.ones(segment.count, dtype=bool) if segment.alive is None else segment.alive
                                         for segment in self.segments])
        self._fields: dict[str, _FieldModel | None] = {}
        self._length_parts: dict[str, np.ndarray] = {}
        self._lengths: dict[str, np.ndarray] = {}

    def field(self, fieldname: str) -> _FieldModel | None:
        """How a field's terms are scored (None: no such field)."""
        if fieldname not in self._fields:
            self._fields[fieldname] = _FieldModel.of(self.searcher, fieldname)
        return self._fields[fieldname]

    def length_parts(self, fieldname: str, model: _FieldModel) -> np.ndarray:
        """For each article, BM25's length part of a term of the field: k1 * b * length / avgfl
        (per_length * length, as the exhaustive scorer computes it)."""
        found = self._length_parts.get(fieldname)
        if found is None:
            found = self._length_parts[fieldname] = model.per_length * self.lengths(fieldname)
        return found

    def lengths(self, fieldname: str) -> np.ndarray:
        """Each article's length in the field, as BM25 reads it."""
        found = self._lengths.get(fieldname)
        if found is None:
            # (An article without the field scores as if it were one word long: Whoosh's dfl.)
            found = self._lengths[fieldname] = np.ones(self.count)
            for segment in self.segments:
                stored = np.frombuffer(length_bytes(segment.reader._perdoc, fieldname), dtype=np.uint8)
                found[segment.offset:segment.offset + len(stored)] = _LENGTH_OF_BYTE[stored]
        return found

    def dates(self) -> np.ndarray:
        """Every article's date as the date column holds it (filters.column_value; 0: no
        date), by article number."""
        if self._dates is None:
            if self._date_column is None:
                from .filters import ArticleDates

                values = ArticleDates(self.searcher).values
            else:
                values = self._date_column()
            self._dates = np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(self.count, dtype=np.int64)
        return self._dates

    def live(self) -> np.ndarray:
        """Every article number but the deleted ones."""
        every = np.arange(self.count, dtype=np.int64)
        return every if self.alive is None else every[self.alive]


class _FieldModel:
    """A field, and the parts of BM25 that are the same for all its terms (k1 None: not
    scored by BM25)."""

    def __init__(self, field, k1: float | None = None, b: float = 0.0, boost: float = 1.0,  # type: ignore[no-untyped-def]
                 average: float = 1.0) -> None:
        self.field = field
        self.k1, self.b, self.average = k1, b, average
        self.boost = boost
        if k1 is not None:
            self.fixed, self.per_length = k1 * (1 - b), k1 * b / average

    @classmethod
    def of(cls, searcher, fieldname: str) -> _FieldModel | None:  # type: ignore[no-untyped-def]
        if fieldname not in searcher.schema:
            return None
        field, weighting = searcher.schema[fieldname], searcher.weighting
        if not field.scorable or not isinstance(weighting, FieldBoostedBM25F):
            return cls(field)
        return cls(field, weighting.K1, weighting._field_B.get(fieldname, weighting.B),
                   weighting.boosts.get(fieldname, 1.0), average_length(searcher, fieldname))


class _Segment:
    def __init__(self, searcher, offset: int) -> None:  # type: ignore[no-untyped-def]
        self.searcher = searcher
        self.offset = offset
        self.reader = reader = searcher.reader()
        self.terms = getattr(reader, "_terms", None)  # (a W3TermsReader; None for an empty segment)
        self.count = reader.doc_count_all()
        self.alive: np.ndarray | None = None
        if reader.has_deletions():
            self.alive = np.ones(self.count, dtype=bool)
            self.alive[np.fromiter(reader.deleted_docs_set, dtype=np.int64)] = False


def scores(searcher, query: wq.Query, columns: Columns) -> Matches:  # type: ignore[no-untyped-def]
    """Every article that matches `query`, with its score.

    Every match is scored. Whoosh's own top-N pruning relies on upper bounds that are
    wrong in Whoosh 2.7 (a union of more than two clauses in a small segment is
    bounded by its best clause; a boosted clause ignores its boost): pruned searches
    lost articles that belonged in the top 10 (BBC News, "England rugby").
    """
    return Matches(*_Evaluation(columns, searcher).run(query))


def tiered(searcher, strict: wq.Query, loose: wq.Query, columns: Columns, *,  # type: ignore[no-untyped-def]
           every_first: bool = True) -> Matches:
    """The matches of `loose` (a query with any of some words), those that also match
    `strict` (the same with all of them) marked `every`. With `every_first`, those rank
    first and score as `strict` scores them ("all words first, then the rest");
    without, each match keeps its score from `loose` (a ranked query, whose hits are
    only labelled). The two share their terms: each is read once."""
    evaluation = _Evaluation(columns, searcher)
    all_ids, all_scores = evaluation.run(strict)
    ids, total = evaluation.run(loose)
    every = np.zeros(len(ids), dtype=bool)
    if len(all_ids):
        # (What has all the words has some: `strict`'s matches are among `loose`'s,
        # which tests/test_query_engine.py checks against their definition.)
        at = np.searchsorted(ids, all_ids)
        if every_first:
            total = total.copy()
            total[at] = all_scores
        every[at] = True
    return Matches(ids, total, every, every_first)


def ranked(found: Matches, limit: int | None, ties: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The best `limit` (None: all) of `found`, best first: with `every_first`, those
    with every word before the others; then by score. Ties: by `ties` (a key by article
    number: filters.Metadata.order_keys), then the lower number first, as Whoosh."""
    docnums, found_scores = found.docnums, found.scores
    count = len(docnums)
    if not count:
        return []
    keys = [docnums, -found_scores] if ties is None else [docnums, ties[docnums], -found_scores]
    if found.every_first:
        keys.append(~found.every)  # type: ignore[operator]
    if limit is None or limit >= count:
        order = np.lexsort(keys)
    else:
        # The limit-th best, and what reaches it (ties included), is all that is sorted.
        if not found.every_first:
            candidates = _best(found_scores, limit)
        else:
            firsts = np.flatnonzero(found.every)
            if len(firsts) >= limit:
                candidates = firsts[_best(found_scores[firsts], limit)]
            else:
                rest = np.flatnonzero(~found.every)  # type: ignore[operator]
                candidates = np.concatenate([firsts, rest[_best(found_scores[rest], limit - len(firsts))]])
        order = candidates[np.lexsort([key[candidates] for key in keys])][:limit]
    return list(zip(docnums[order].tolist(), found_scores[order].tolist()))


def _best(values: np.ndarray, limit: int) -> np.ndarray:
    """The positions of the `limit` largest `values`, and of any equal to the smallest of
    those (unordered)."""
    if limit >= len(values):
        return np.arange(len(values))
    bar = np.partition(values, len(values) - limit)[len(values) - limit]
    return np.flatnonzero(values >= bar)


class _Evaluation:
    """A query's parts evaluated over the whole index: each term's postings in every
    segment read as one array of article numbers (each segment's offset added), so that
    every step after is done once, however many segments the index has."""

    def __init__(self, columns: Columns, parent) -> None:  # type: ignore[no-untyped-def]
        self.columns = columns
        self.parent = parent
        self.schema = parent.schema
        self.context = parent.context()  # (Whoosh's matchers are given the top searcher's, as its collector does)
        # A term, or a word (an OR of terms), met again (in another part, or the strict
        # and loose forms of one query) is not evaluated again. (Their keys are cheap to
        # make; hashing a Whoosh query walks all of it.)
        self._done: dict[tuple, Part] = {}

    def run(self, query: wq.Query) -> Part:
        kind = type(query)
        if kind is wq.Term:
            key: tuple = (query.fieldname, query.text, query.boost)
        elif kind is wq.Or and all(type(part) is wq.Term for part in query.subqueries):
            key = (query.boost, query.scale, query.minmatch,
                   *((part.fieldname, part.text, part.boost) for part in query.subqueries))
        elif kind is wq.Phrase:  # (in a short query's strict and loose forms alike: read once)
            key = ("phrase", query.fieldname, tuple(query.words), query.slop, query.boost)
        else:
            return self._evaluate(query)
        done = self._done.get(key)
        if done is None:
            done = self._done[key] = self._term(query) if kind is wq.Term else self._evaluate(query)
        return done

    def _evaluate(self, query: wq.Query) -> Part:
        kind = type(query)
        if kind is wq.Term:
            return self.run(query)
        if isinstance(query, wq.Or) and not query.scale and not query.minmatch:
            ids, total = _sum([self.run(part) for part in query.subqueries], self.columns.count)
            return ids, _boosted(total, query.boost)
        if kind is wq.And:
            parts = [q for q in query.subqueries if not isinstance(q, wq.Not)]
            excluded = [q.query for q in query.subqueries if isinstance(q, wq.Not)]
            if not parts:
                return self._matcher(query)
            # The articles in every part, found from the smallest part up; their scores
            # added in the query's order, not the parts' sizes, which differ from
            # index to index: the same bits in every build, so that equal scores
            # are equal and ties fall alike (schema.order_key).
            found = [self.run(part) for part in parts]
            ids = min(found, key=lambda part: len(part[0]))[0]
            for other_ids, _ in sorted(found, key=lambda part: len(part[0])):
                if not len(ids):
                    break
                at = np.searchsorted(other_ids, ids)
                at[at == len(other_ids)] = 0
                ids = ids[other_ids[at] == ids] if len(other_ids) else ids[:0]
            total = np.zeros(len(ids))
            if len(ids):
                for other_ids, other_scores in found:
                    total += other_scores[np.searchsorted(other_ids, ids)]
            for query_out in excluded:
                ids, total = _without(ids, total, self._matches(query_out))
            return ids, _boosted(total, query.boost)
        if isinstance(query, wq.AndNot):  # query._AndNot too
            ids, total = self.run(query.a)
            return _without(ids, total, self._matches(query.b))
        if kind is wq.Every:
            return self._every(query)
        if _is_phrase(query):
            return self._phrase(query)
        if _is_days(query, self.schema):
            return self._days(query)
        if isinstance(query, wq.AndMaybe):
            ids, total = self.run(query.a)
            if len(ids):
                maybe_ids, maybe_scores = self.run(query.b)
                if len(maybe_ids):
                    at = np.searchsorted(ids, maybe_ids)
                    at[at == len(ids)] = 0
                    present = ids[at] == maybe_ids
                    total = total.copy()
                    total[at[present]] += maybe_scores[present]
            return ids, total
        return self._matcher(query)

    def _term(self, term: wq.Term) -> Part:
        columns = self.columns
        model = columns.field(term.fieldname)
        if model is None:
            return _EMPTY_IDS, _EMPTY_SCORES
        try:
            text = model.field.to_bytes(term.text)
        except ValueError:
            return _EMPTY_IDS, _EMPTY_SCORES
        ids, weights = _postings([(blocks, segment.offset) for segment in columns.segments if segment.terms is not None
                                  for blocks in (term_blocks(segment.terms, term.fieldname, text),)
                                  if blocks is not None])
        if columns.alive is not None and len(ids):
            keep = columns.alive[ids]
            ids, weights = ids[keep], weights[keep]
        if model.k1 is None:
            if not model.field.scorable:  # (Whoosh's WeightScorer: the weight, times the query's boost)
                return ids, weights * term.boost if term.boost != 1.0 else weights
            return self._matcher(term)  # (another weighting model: its own matcher)
        if not len(ids):
            return _EMPTY_IDS, _EMPTY_SCORES
        # BM25 (whoosh.scoring.bm25) times the field and query boosts, with the per-term
        # parts computed once: idf * tf * (k1 + 1) / (tf + k1 * (1 - b) + k1 * b * length / avgfl).
        scale = self.parent.idf(term.fieldname, text) * (model.k1 + 1) * model.boost * term.boost
        return ids, (scale * weights) / ((weights + model.fixed) + columns.length_parts(term.fieldname, model)[ids])

    def _phrase(self, phrase: wq.Phrase) -> Part:
        """The articles where the phrase's words stand one after the other, found from
        their positions in arrays, scored as Whoosh's phrase matcher (SpanNear2) scores
        them: its words' BM25 in the article, added as its binary tree of intersections
        adds them, times the phrase's boost. (Whoosh's matcher checks every article with
        all the words, a span at a time: "new york" took 92 ms on Reuters, "of the" 420.)"""
        columns, fieldname = self.columns, phrase.fieldname
        model = columns.field(fieldname)
        if model is None:
            return _EMPTY_IDS, _EMPTY_SCORES
        if model.k1 is None or not model.field.format.supports("positions"):
            return self._matcher(phrase)  # (its own matcher: another model, or its error)
        try:
            texts = [model.field.to_bytes(word) for word in phrase.words]
        except ValueError:
            return _EMPTY_IDS, _EMPTY_SCORES
        read = {text: self._positions(fieldname, text) for text in dict.fromkeys(texts)}  # (a word said twice: once)
        words = [read[text] for text in texts]
        # A place where the phrase starts has its k-th word k places after it (a
        # position is an article's number and a place in it, as one integer: _positions).
        rarest = min(range(len(words)), key=lambda k: len(words[k][2]))
        starts = words[rarest][2] - rarest
        for k, (_, _, places) in enumerate(words):
            if k != rarest and len(starts):
                wanted = starts + k
                at = np.minimum(np.searchsorted(places, wanted), len(places) - 1)
                starts = starts[places[at] == wanted] if len(places) else starts[:0]
        ids = np.unique(starts >> _PLACE_BITS)
        if not len(ids):
            return _EMPTY_IDS, _EMPTY_SCORES
        # (whoosh.scoring.bm25, times the field's boost, as BoostedBM25FScorer: the same
        # operations in the same order, so the same bits.)
        k1, b, average, boost = model.k1, model.b, model.average, model.boost
        lengths = columns.lengths(fieldname)[ids]
        parts = [self.parent.idf(fieldname, text) * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / average)))
                 * boost for text, (word_ids, weights, _) in zip(texts, words)
                 for tf in (weights[np.searchsorted(word_ids, ids)],)]
        return ids, _boosted(_tree_sum(parts), phrase.boost)

    def _positions(self, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A term's article numbers and weights (as _term reads them), and every place
        it is at: (article number << _PLACE_BITS) + position, ascending."""
        id_parts, weight_parts, place_parts = [], [], []
        for segment in self.columns.segments:
            blocks = term_blocks(segment.terms, fieldname, text) if segment.terms is not None else None
            for gaps, weights, count, values in blocks or ():
                ids, weights = _block(gaps, weights, count, segment.offset)
                packed_counts, packed_gaps = position_arrays(values, count)
                counts = np.frombuffer(packed_counts, dtype=np.uint32)  # (array("I"): 4 bytes, postings.py)
                steps = np.array(packed_gaps, dtype=np.int64)  # (each article's first position, then gaps)
                running = _ACCUMULATE(steps)
                firsts = _ACCUMULATE(counts) - counts  # (where each article's positions start)
                # (A position is the running sum of its article's steps: the running sum of
                # the block's, less what it was before the article's first.)
                before = running[firsts] - steps[firsts]
                place_parts.append((np.repeat(ids, counts) << _PLACE_BITS) + (running - np.repeat(before, counts)))
                id_parts.append(ids)
                weight_parts.append(weights)
        if not id_parts:
            return _EMPTY_IDS, _EMPTY_SCORES, _EMPTY_IDS
        ids, weights, places = (np.concatenate(id_parts), np.concatenate(weight_parts), np.concatenate(place_parts))
        alive = self.columns.alive
        if alive is not None:
            keep = alive[ids]
            ids, weights, places = ids[keep], weights[keep], places[alive[places >> _PLACE_BITS]]
        return ids, weights, places

    def _days(self, query: wq.DateRange) -> Part:
        """A range of whole days ("date:1987-03", from query.DatePlugin): the articles
        dated in it, from the date column, each scoring the boost, as Whoosh's DateRange
        matches and scores them. (Its terms are the articles' days, schema.ArticleDate,
        and whole days hold the same articles as their days; Whoosh's matcher walks the
        union of those terms an article at a time: 50 ms on Reuters.)"""
        from .filters import column_value

        dates = self.columns.dates()
        keep = dates >= (column_value(query.startdate) if query.startdate else 1)  # (0: no date)
        if query.enddate:
            keep &= dates <= column_value(query.enddate)
        if self.columns.alive is not None:
            keep &= self.columns.alive
        ids = np.flatnonzero(keep).astype(np.int64)
        return ids, np.full(len(ids), float(query.boost))  # (a ConstantScoreQuery of the boost)

    def _every(self, query: wq.Every) -> Part:
        """Every article ("*"), or every article with a field ("title:*"), each scoring the boost.

        Whoosh's Every on a field reads the postings of each of the field's terms: "* AND
        oil", which the parser makes every article with a title, caption, place or text,
        took 4.6 s on Reuters. An article has a field when it has a length in it.
        """
        columns, fieldname = self.columns, query.fieldname
        if fieldname in (None, "*"):
            ids = columns.live()
        elif fieldname not in self.schema or not self.schema[fieldname].scorable:
            return self._per_segment(query, lambda segment: self._matched(query, segment, segment.searcher.context()))
        else:
            having = np.concatenate([np.array(field_lengths(segment.reader._perdoc, fieldname, segment.count,
                                                            missing=0), dtype=np.int64) > 0
                                     for segment in columns.segments]) if columns.segments else np.zeros(0, dtype=bool)
            if columns.alive is not None:
                having &= columns.alive
            ids = np.flatnonzero(having).astype(np.int64)
        return ids, np.full(len(ids), float(query.boost))

    def _matcher(self, query: wq.Query) -> Part:
        """The query's own Whoosh matcher in each segment, run to the end."""
        return self._per_segment(query, lambda segment: self._matched(query, segment, self.context))

    def _matched(self, query: wq.Query, segment: _Segment, context) -> Part:  # type: ignore[no-untyped-def]
        matcher = query.matcher(segment.searcher, context)
        if isinstance(matcher, NullMatcherClass):
            return _EMPTY_IDS, _EMPTY_SCORES
        ids, found = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            found.append(matcher.score())
            matcher.next()
        return np.array(ids, dtype=np.int64), np.array(found, dtype=np.float64)

    def _per_segment(self, query: wq.Query, run: Callable[[_Segment], Part]) -> Part:
        """What `run` finds in each segment, as one index's article numbers."""
        parts = [(ids + segment.offset, found) for segment in self.columns.segments
                 for ids, found in (run(segment),) if len(ids)]
        if not parts:
            return _EMPTY_IDS, _EMPTY_SCORES
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([ids for ids, _ in parts]), np.concatenate([found for _, found in parts])

    def _matches(self, query: wq.Query) -> np.ndarray:
        """The article numbers that match `query`, unscored."""
        if _in_arrays(query, self.schema):
            return self.run(query)[0]
        if isinstance(query, wq.Or) and any(type(part) is wq.Every for part in query.subqueries):
            # ("-*": the default fields' Every, each fast on its own)
            return _sum([(self._matches(part), None) for part in query.subqueries], self.columns.count)[0]

        def matched(segment: _Segment) -> Part:
            found = query.matcher(segment.searcher, segment.searcher.boolean_context()).all_ids()
            return np.fromiter(found, dtype=np.int64), _EMPTY_SCORES

        return self._per_segment(query, matched)[0]


def _is_days(query: wq.Query, schema) -> bool:  # type: ignore[no-untyped-def]
    """Whether `query` is a range of whole days of the articles' dates (Evaluation._days)."""
    return (type(query) is wq.DateRange and query.constantscore and not query.startexcl and not query.endexcl
            and query.fieldname == "date" and "date" in schema and isinstance(schema["date"], ArticleDate)
            and (query.startdate is None or query.startdate.time() == dt.time.min)
            and (query.enddate is None or query.enddate.time() == dt.time.max)
            and not (query.startdate and query.startdate.tzinfo) and not (query.enddate and query.enddate.tzinfo))


def _in_arrays(query: wq.Query, schema) -> bool:  # type: ignore[no-untyped-def]
    """Whether `query` is words, phrases, ranges of days and ORs of them, whose matches
    `run` finds in arrays."""
    if type(query) in (wq.Term, wq.Every) or _is_phrase(query) or _is_days(query, schema):
        return True
    return isinstance(query, wq.Or) and not query.scale and not query.minmatch and all(
        _in_arrays(part, schema) for part in query.subqueries)


def _is_phrase(query: wq.Query) -> bool:
    """Whether `query` is a phrase of words one after the other (Evaluation._phrase)."""
    return type(query) is wq.Phrase and query.slop == 1 and len(query.words) > 1


def _postings(segments: list[tuple[Any, int]]) -> tuple[np.ndarray, np.ndarray]:
    """A term's article numbers and weights from its blocks in each segment
    (postings.term_blocks), with the segment's offset added to its numbers."""
    id_parts, weight_parts = [], []
    for blocks, offset in segments:
        for gaps, weights, count, _ in blocks:
            numbers, block_weights = _block(gaps, weights, count, offset)
            id_parts.append(numbers)
            weight_parts.append(block_weights)
    if len(id_parts) == 1:
        return id_parts[0], weight_parts[0]
    if not id_parts:
        return _EMPTY_IDS, _EMPTY_SCORES
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _block(gaps: Any, weights: Any, count: int, offset: int) -> Part:
    """A block's article numbers (its segment's `offset` added) and weights, as arrays
    (postings.term_blocks)."""
    # (gaps and weights: arrays of a block of ours, tuples of Whoosh's; read into
    # arrays of their final type at once, then summed: 2.6 -> 1.0 us a block.)
    numbers = _ACCUMULATE(np.array(gaps, dtype=np.int64))
    if offset:
        numbers += offset
    if weights is None:
        return numbers, np.ones(count)
    if isinstance(weights, float):
        return numbers, np.full(count, weights)
    return numbers, np.array(weights, dtype=np.float64)


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """The parts added as whoosh.util.make_binary_tree nests its matchers: a + (b + c)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _sum(parts: list[Any], count: int) -> Part:
    """The union of `parts`, each article's scores added in the parts' order (scores
    None: the article numbers only)."""
    parts = [part for part in parts if len(part[0])]
    if not parts:
        return _EMPTY_IDS, _EMPTY_SCORES
    if len(parts) == 1:
        return parts[0]
    size = sum(len(ids) for ids, _ in parts)
    unscored = parts[0][1] is None
    if size < count * _DENSE_SHARE and count > _SMALL_INDEX:
        ids = np.concatenate([ids for ids, _ in parts])
        union, slots = np.unique(ids, return_inverse=True)
        if unscored:
            return union, None  # type: ignore[return-value]
        total = np.zeros(len(union))
        np.add.at(total, slots, np.concatenate([part_scores for _, part_scores in parts]))
        return union, total
    seen = np.zeros(count, dtype=bool)
    total = None if unscored else np.zeros(count)
    for ids, part_scores in parts:
        seen[ids] = True
        if total is not None:
            total[ids] += part_scores
    union = np.flatnonzero(seen).astype(np.int64)
    return union, (None if total is None else total[union])  # type: ignore[return-value]


def _without(ids: np.ndarray, total: np.ndarray, gone: np.ndarray) -> Part:
    if not len(gone) or not len(ids):
        return ids, total
    keep = np.isin(ids, gone, invert=True, assume_unique=True)
    return ids[keep], total[keep]


def _boosted(total: np.ndarray, boost: float) -> np.ndarray:
    return total * boost if boost != 1.0 else total
