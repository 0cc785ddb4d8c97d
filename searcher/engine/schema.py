"""The index's fields, and the conversion between an `Article` and a Whoosh document.

Stored values are the original text; indexed terms come from `tokens`.
Bump SCHEMA_VERSION whenever the fields or analyzers change: an index with
another version asks for `searcher index --rebuild`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from array import array
from typing import Any, Callable

from whoosh import columns, fields, formats

from ..model import Article
from .postings import encode_positions
from .sketches import KEYS_BYTES, keys, sketch
from .tokens import NAME_TERMS, TEXT_TERMS, name_analyzer, text_analyzer

SCHEMA_VERSION = 15  # 2: the index keeps a word list for wildcards; 3: ArticleText, ArticleDate;
# 4: facet fields and the date column; 5: the date column holds the timestamp plus one;
# 6: the sketch column (near-duplicates); 7: sketches of 64 32-bit hashes of term shingles;
# 8: dates and fingerprints stored as numbers; 9: body_keys, a sketch's keys, not the sketch
# 10: posting blocks of arrays (postings.py); 11: the schema's classes moved into searcher.engine
# (Whoosh pickles the schema into the index, naming their modules); 12: the order_key column (ties)
# 13: the vectors column (semantic ranking); 14: author and language (web pages)
# 15: "use", "used", "useful" stem to "use", no longer to "us", the term of "U.S."

#: Fields searched by words with no field name, and which a `field:` prefix can name.
TEXT_FIELDS = ("title", "caption", "body", "dateline", "source", "category", "credit", "author")
#: The text fields indexed as stems.
STEMMED_FIELDS = ("title", "caption", "body")
#: Other fields a query can name.
QUERY_FIELDS = TEXT_FIELDS + ("date", "id", "language")


class ArticleText(fields.TEXT):
    """A TEXT field whose indexing takes its terms from `tokens.TEXT_TERMS`.

    The terms, positions and posting values are exactly those Whoosh makes from the
    field's analyzer (queries still use the analyzer), in a third of the time: this is
    where indexing spends most of its Python work.
    """

    term_cache = TEXT_TERMS

    def index(self, value, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(value, str):
            return super().index(value, **kwargs)
        return [(text, freq, weight, encode_positions(found)) for text, freq, weight, found in self.postings(value)]

    def postings(self, value: str, terms: list[str] | None = None) -> list[tuple[bytes, int, float, Any]]:
        """What `index` gives, with each term's positions as they are (what segments.
        SegmentWriter hands postings.BlockWriter) instead of Whoosh's encoding of them:
        the position of a term met once, an array of them for a term met again. (Neither
        is a container the garbage collector tracks: a segment holds millions.) `terms`
        are the value's terms, when the caller has them (see `terms`)."""
        positions: dict[str, list[int]] = {}
        if terms is None:
            terms = self.term_cache.terms(value)
        # (Shared position objects: an int past 256 is an object of its own, 28 bytes a
        # posting in the pool, where a shared one is 8.)
        for position, term in zip(_POSITIONS if len(terms) <= len(_POSITIONS) else range(len(terms)), terms):
            if term:
                found = positions.get(term)
                if found is None:
                    positions[term] = [position]
                else:
                    found.append(position)
        boost = self.format.field_boost
        return [(term.encode("utf-8"), len(found), len(found) * boost, found[0] if len(found) == 1 else array("I", found))
                for term, found in positions.items()]

    def terms(self, value: str) -> list[str]:
        """The value's terms, position by position ("" where a word makes none)."""
        return self.term_cache.terms(value)


_POSITIONS = tuple(range(1 << 16))


def text_terms(field) -> Callable[[str], tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """How a field analyses a text into its terms: from its term cache (ArticleText: its
    analyzer's terms, a dict lookup a word) when it has one, else with its analyzer."""
    cache = getattr(field, "term_cache", None)
    if cache is not None:
        return lambda text: tuple(filter(None, cache.terms(text)))  # (a word without a term: none)
    analyzer = field.analyzer
    return lambda text: tuple(token.text for token in analyzer(text))


class NameText(ArticleText):
    """ArticleText for names (places, sources, categories): `name_analyzer`'s terms."""

    term_cache = NAME_TERMS


class ArticleDate(fields.DATETIME):
    """A DATETIME field indexed by day; the stored value keeps the time.

    Dates are searched by day (`date:2016-11-28`, ranges of days), and Whoosh
    indexes a datetime as eight terms of decreasing precision. At full precision a
    wire service's timestamps made nearly every article's terms new: half of
    Reuters' 178,000 terms were dates, each one written as a block of its own.
    """

    def index(self, num, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(num, dt.datetime):
            return super().index(num, **kwargs)
        day = dt.date(num.year, num.month, num.day)
        terms = _DAY_TERMS.get(day)
        if terms is None:
            terms = list(super().index(dt.datetime(num.year, num.month, num.day), **kwargs))
            if len(_DAY_TERMS) < 100_000:
                _DAY_TERMS[day] = terms
        return terms


    def default_column(self):  # type: ignore[no-untyped-def]
        # The whole timestamp, for sorting by date and counting by day (filters.py):
        # Whoosh's datetime_to_long (microseconds since 0001-01-01) plus one, so that
        # the column's default, 0, is "no date" and not the first moment of year 1.
        return columns.NumericColumn("q", default=0)

    def to_column_value(self, x):  # type: ignore[no-untyped-def]
        if isinstance(x, int):  # (the stored value: microseconds since year 1, as Whoosh counts them)
            return x + 1
        return super().to_column_value(x) + 1

    def from_column_value(self, x):  # type: ignore[no-untyped-def]
        return super().from_column_value(x - 1)


_DAY_TERMS: dict[dt.date, list] = {}


class SketchColumn(fields.COLUMN):
    """The candidate keys of the article's near-duplicate sketch (sketches.keys), made
    from (id, body, day) where the document is written: in the worker processes of a
    parallel run. The writer keeps each whole sketch for the run (writing.SegmentWriter.
    written_sketches): the near-duplicates found after it compare those (see
    indexer._save_duplicates)."""

    def __init__(self) -> None:
        super().__init__(columns.FixedBytesColumn(KEYS_BYTES))

    def to_column_value(self, value):  # type: ignore[no-untyped-def]
        if isinstance(value, bytes):
            return value
        return self.keys_and_sketch(value)[0]

    def keys_and_sketch(self, value: tuple[str, str, int], body_terms: list[str] | None = None) -> tuple[bytes, bytes]:
        """The column value of (id, body, day), and the body's sketch (b"" for a body with
        none), from `body_terms` when the writer has them."""
        _, body, _ = value
        body_sketch = sketch(TEXT_TERMS.terms(body) if body_terms is None else body_terms)
        if not body_sketch:
            return bytes(KEYS_BYTES), b""
        return keys(body_sketch), body_sketch


#: The facets a search can filter on and count, and the field holding each one's values.
class VectorColumn(fields.COLUMN):
    """The article's embedding: one float32 unit vector for each window of its title and
    text (semantic/encoder.py), when the configuration has `semantic:`; b"" otherwise.
    Made where the article is written, in the index run's worker processes, from
    (model folder, text); kept in the article's own document, the vectors are committed,
    replaced and deleted with it, and can never disagree with the index."""

    def __init__(self) -> None:
        super().__init__(columns.VarBytesColumn())

    def to_column_value(self, value):  # type: ignore[no-untyped-def]
        if isinstance(value, bytes):
            return value
        import multiprocessing

        from ..semantic.encoder import encoder

        folder, text = value
        model = encoder(folder)
        if getattr(multiprocessing.current_process(), "shares_cores", False):
            model.one_thread()  # (an index run's worker: see writing._WorkerTask)
        return model.embed_article(text).tobytes()


def article_text(article: Article) -> str:
    """What semantic ranking embeds of an article: its title, then its text."""
    return f"{article.title}\n\n{article.body}" if article.title else article.body


FACET_FIELDS = {"source": "source_values", "category": "category_values", "place": "dateline_values"}


class FacetValues(fields.FieldType):
    """Whole values (a source, a category, a place) as one term each, exactly as written.

    Filters (`--category`) and facet counts need whole values: the `category` text
    field holds the words of "money-fx", so `category:money` matches it.
    """

    def __init__(self) -> None:
        self.format = formats.Existence()
        self.analyzer = None
        self.scorable = False
        self.stored = False
        self.unique = False
        self.vector = None
        self.column_type = None

    def index(self, value, **kwargs):  # type: ignore[no-untyped-def]
        values = [value] if isinstance(value, str) else value
        return [(text.encode("utf-8"), 1, 1.0, b"") for text in dict.fromkeys(" ".join(v.split()) for v in values)
                if text]


def build_schema() -> fields.Schema:
    text = text_analyzer()
    names = name_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=ArticleText(analyzer=text, stored=True),
        caption=ArticleText(analyzer=text, stored=True),
        body=ArticleText(analyzer=text, stored=True),
        credit=NameText(analyzer=names, stored=True),
        author=NameText(analyzer=names, stored=True),
        # (as names are: lower-cased words, so that language:en finds "en-GB" too)
        language=NameText(analyzer=names, stored=True),
        dateline=NameText(analyzer=names, stored=True),
        source=NameText(analyzer=names, stored=True),
        category=NameText(analyzer=names, stored=True),
        date=ArticleDate(stored=True, sortable=True),
        source_values=FacetValues(),
        category_values=FacetValues(),
        dateline_values=FacetValues(),
        url=fields.STORED(),
        path=fields.ID(stored=True),
        # What re-indexing compares: the hash of the article's content (see `fingerprint`).
        fingerprint=fields.STORED(),
        # The keys of the article's near-duplicate sketch (see duplicates.py), which find the articles
        # to compare a new one with. Fields are written in name order: this one comes right after
        # "body", whose terms it reuses.
        body_keys=SketchColumn(),
        # Where the article ranks among those of equal score (see `order_key`).
        order_key=fields.COLUMN(columns.NumericColumn("q", default=0)),
        # The article's window vectors, with `semantic:` (see VectorColumn).
        vectors=VectorColumn(),
    )


def order_key(article_id: str) -> int:
    """The rank among articles of equal score (and equal date, sorted by date): a hash of
    the id, so that ties fall the same way whatever the build (the number of workers,
    of shards, the order files were read in) where the article number would not."""
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


_EPOCH = dt.datetime(1, 1, 1)


def microseconds(moment: dt.datetime) -> int:
    """A naive datetime as microseconds since year 1 (Whoosh's datetime_to_long): how the
    index stores a date, and, plus one, how its date column holds it."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def stored_fingerprint(value: object) -> str:
    """The fingerprint as `fingerprint` writes it, from the number the index stores."""
    return f"{value:032x}" if isinstance(value, int) else str(value or "")


def fingerprint(article: Article) -> str:
    """A hash of everything an article holds but where it was read from."""
    content = [
        article.id, article.title, article.body, article.caption, article.credit, list(article.dateline),
        article.source, list(article.categories), article.date.isoformat() if article.date else None, article.url,
    ]
    if article.authors or article.language:  # (only then: the fingerprints of other articles stay as they were)
        content += [list(article.authors), article.language]
    return hashlib.blake2b(json.dumps(content).encode("utf-8"), digest_size=16).hexdigest()


def to_document(article: Article, article_hash: str | None = None, sketch: bool = False,
                semantic: str | None = None) -> dict[str, Any]:
    """The Whoosh document for an article (lists are indexed as text, stored as lists);
    with `sketch`, its near-duplicate sketch is made where it is written, and with
    `semantic` (a model folder), its window vectors (VectorColumn)."""
    document: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "caption": article.caption,
        "body": article.body,
        "credit": article.credit,
        "dateline": ", ".join(article.dateline),
        "_stored_dateline": list(article.dateline),
        "source": article.source,
        "category": ", ".join(article.categories),
        "_stored_category": list(article.categories),
        "url": article.url,
        "author": ", ".join(article.authors),
        "_stored_author": list(article.authors),
        "language": article.language,
        "path": article.path,
        # (a number: 19 bytes pickled, the hex string 42)
        "fingerprint": int(article_hash or fingerprint(article), 16),
        "order_key": order_key(article.id),
    }
    if article.date is not None:
        document["date"] = article.date
        # Stored as microseconds since year 1: a pickled datetime takes 86 bytes, this 10
        # (8 MB of Reuters x5's 270).
        document["_stored_date"] = microseconds(article.date)
    if sketch and article.body:
        # (the same string as "body": pickled once on its way to a worker process)
        document["body_keys"] = (article.id, article.body, article.date.toordinal() if article.date else 0)
    if semantic and (article.title or article.body):
        document["vectors"] = (semantic, article_text(article))
    for values, name in ((article.source, "source"), (article.categories, "category"), (article.dateline, "dateline")):
        if values:
            document[f"{name}_values"] = values
    # An empty field is left out: Whoosh would index and store it for nothing (most
    # articles have no caption, credit or url), and from_stored reads it back as "".
    for name in ("caption", "credit", "dateline", "source", "category", "url", "author", "language"):
        if not document[name]:
            del document[name]
            document.pop(f"_stored_{name}", None)
    return document


def from_stored(stored: dict[str, Any]) -> Article:
    """The Article stored in the index."""
    date = stored.get("date")
    if isinstance(date, int):
        date = _EPOCH + dt.timedelta(microseconds=date)
    return Article(
        id=stored["id"],
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        caption=stored.get("caption", ""),
        credit=stored.get("credit", ""),
        dateline=tuple(stored.get("dateline") or ()),
        source=stored.get("source", ""),
        categories=tuple(stored.get("category") or ()),
        date=date if isinstance(date, dt.datetime) else None,
        url=stored.get("url", ""),
        authors=tuple(stored.get("author") or ()),
        language=stored.get("language", ""),
        path=stored.get("path", ""),
    )
