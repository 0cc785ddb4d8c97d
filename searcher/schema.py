"""The index's fields, and the conversion between an `Article` and a Whoosh document.

Stored values are the original text; indexed terms come from `analysis`.
Bump SCHEMA_VERSION whenever the fields or analyzers change: an index with
another version asks for `searcher index --rebuild`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from whoosh import fields

from .analysis import name_analyzer, text_analyzer
from .model import Article

SCHEMA_VERSION = 2  # 2: the index keeps a word list for wildcards

#: Fields searched by words with no field name, and which a `field:` prefix can name.
TEXT_FIELDS = ("title", "caption", "body", "dateline", "source", "category", "credit")
#: The text fields indexed as stems.
STEMMED_FIELDS = ("title", "caption", "body")
#: Other fields a query can name.
QUERY_FIELDS = TEXT_FIELDS + ("date", "id")


def build_schema() -> fields.Schema:
    text = text_analyzer()
    names = name_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text, stored=True),
        caption=fields.TEXT(analyzer=text, stored=True),
        body=fields.TEXT(analyzer=text, stored=True),
        credit=fields.TEXT(analyzer=names, stored=True),
        dateline=fields.TEXT(analyzer=names, stored=True),
        source=fields.TEXT(analyzer=names, stored=True),
        category=fields.TEXT(analyzer=names, stored=True),
        date=fields.DATETIME(stored=True),
        url=fields.STORED(),
        path=fields.ID(stored=True),
        # What re-indexing compares: the hash of the article's content (see `fingerprint`).
        fingerprint=fields.STORED(),
    )


def fingerprint(article: Article) -> str:
    """A hash of everything an article holds but where it was read from."""
    content = [
        article.id, article.title, article.body, article.caption, article.credit, list(article.dateline),
        article.source, list(article.categories), article.date.isoformat() if article.date else None, article.url,
    ]
    return hashlib.blake2b(json.dumps(content).encode("utf-8"), digest_size=16).hexdigest()


def to_document(article: Article, article_hash: str | None = None) -> dict[str, Any]:
    """The Whoosh document for an article (lists are indexed as text, stored as lists)."""
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
        "path": article.path,
        "fingerprint": article_hash or fingerprint(article),
    }
    if article.date is not None:
        document["date"] = article.date
    return document


def from_stored(stored: dict[str, Any]) -> Article:
    """The Article stored in the index."""
    date = stored.get("date")
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
        path=stored.get("path", ""),
    )
