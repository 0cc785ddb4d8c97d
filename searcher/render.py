"""Renderers: the same hits and passages as JSON-ready data, HTML or terminal text.

A passage is text plus match spans; each renderer decides what a match looks
like. Write another renderer (Markdown, LaTeX...) the same way: walk the spans.
The terminal's renderer, with rich, is terminal.passage_to_rich.
"""

from __future__ import annotations

import html
from typing import Any, Callable

from .model import Article, Concordance, FacetCount, Hit, KeyTerm, Passage, Results, Semantic, Timeline
from .text import quoted


def plural(n: int, noun: str) -> str:
    """"1 article", "2 articles", "3 queries", "4 matches"."""
    if n == 1:
        return f"{n:,} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{n:,} {noun[:-1]}ies"
    return f"{n:,} {noun}es" if noun.endswith(("ch", "sh", "s", "x")) else f"{n:,} {noun}s"


def results_summary(results: Results, query: str, filters: str = "") -> str:
    """The line over a search's hits: how many articles match (every word, then some),
    `query` (as typed) and `filters` (in words), and how many are shown. The caller
    makes both texts safe for where they go."""
    shown = len(results)
    where = f" ({filters})" if filters else ""
    if results.in_two_groups:
        count = (f"{_articles_match(results.every_word)} every word of {quoted(query)}{where}; "
                 f"{results.some_words:,} more match some")
    else:
        any_word = results.matched == "any" or (results.matched == "tiered" and not results.every_word)
        # (With semantic ranking the order is the fused one: by words and meaning.)
        meaning = " and their meaning" if results and results[0].semantic is not None else ""
        how = " (any of its words)" if any_word else f" (ranked by its words{meaning})" if results.matched == "ranked" else ""
        count = f"{_articles_match(results.total)} {quoted(query)}{how}{where}"
    first = results[0].rank if results else 1
    folded = sum(len(hit.duplicates) for hit in results)
    if first == 1 and folded and shown + folded >= results.total:
        more = f", {shown:,} shown with {plural(folded, 'near-duplicate')} folded in"
    elif first > 1:
        more = f", showing {first:,} to {first + shown - 1:,}" + (
            f" (and {plural(folded, 'near-duplicate')})" if folded else "")
    elif shown < results.total:
        more = f", showing the first {shown}" + (f" (and {plural(folded, 'near-duplicate')})" if folded else "")
    else:
        more = ""
    return f"{count}{more}"


def article_facts(article: Article) -> list[str]:
    """What a hit's line under its title says of the article: source, authors, places,
    date, categories, language and id (those it has)."""
    parts = [article.source, f"by {', '.join(article.authors)}" if article.authors else "", ", ".join(article.dateline),
             article.date.strftime("%Y-%m-%d") if article.date else "", ", ".join(article.categories),
             f"language {article.language}" if article.language else "", f"id {article.id}"]
    return [part for part in parts if part]


def untitled(article: Article) -> str:
    """What stands for the title of an article without one: its first words."""
    words = " ".join(article.body.split())
    return (words[:77] + "..." if len(words) > 80 else words) or "(untitled)"


def _articles_match(count: int) -> str:
    return f"{count:,} articles match" if count != 1 else "1 article matches"


def render_spans(passage: Passage, plain: Callable[[str], str], match: Callable[[str], str]) -> str:
    """The passage's text with each unmatched piece passed to `plain` and each match to `match`."""
    pieces, at = [], 0
    for span in sorted(passage.spans, key=lambda s: s.start):
        if span.start < at:
            continue  # overlapping spans: the first one wins
        pieces.append(plain(passage.text[at:span.start]))
        pieces.append(match(passage.text[span.start:span.end]))
        at = span.end
    pieces.append(plain(passage.text[at:]))
    return "".join(pieces)


def passage_to_html(passage: Passage, tag: str = "mark") -> str:
    """The passage as HTML, each match in `<mark>` (or `tag`)."""
    return render_spans(passage, html.escape, lambda text: f"<{tag}>{html.escape(text)}</{tag}>")


def passage_to_dict(passage: Passage) -> dict[str, Any]:
    return {
        "field": passage.field,
        "text": passage.text,
        "spans": [[span.start, span.end] for span in passage.spans],
        "terms": [span.term for span in passage.spans],
        "score": round(passage.score, 4),
    }


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    """One hit as a JSON object: what `searcher search --json` prints, one per line.

    `matched` is "all" when the article holds every word of the query, "some" when it
    holds some of them (see Results.matched).
    """
    article = hit.article.to_dict()
    del article["body"]  # the passages carry the text that matters; `searcher show ID` has the rest
    fields = {key: value for key, value in article.items() if key not in ("id", "title")}
    return {
        "rank": hit.rank,
        "id": hit.id,
        "matched": hit.matched,
        "score": round(hit.score, 4),
        "title": hit.title.text,
        "title_spans": [[span.start, span.end] for span in hit.title.spans],
        "fields": fields,
        "passages": [passage_to_dict(passage) for passage in hit.passages],
        **({"contributions": [{"field": c.field, "term": c.term, "score": round(c.score, 4)}
                              for c in hit.contributions]} if hit.contributions else {}),
        **({"duplicates": list(hit.duplicates)} if hit.duplicates else {}),
        **({"semantic": semantic_to_dict(hit.semantic)} if hit.semantic else {}),
    }


def semantic_to_dict(semantic: Semantic) -> dict[str, Any]:
    """How semantic ranking placed a hit (model.Semantic), as JSON."""
    return {
        "fused": round(semantic.fused, 6),
        "bm25_rank": semantic.bm25_rank,
        "similarity": None if semantic.similarity is None else round(semantic.similarity, 4),
        "similarity_rank": semantic.similarity_rank,
        "window": semantic.window,
        **({"window_text": semantic.window_text} if semantic.window_text else {}),
    }


def score_parts(hit: Hit) -> list[str]:
    """What each query term gave a hit's score ("body:refuge 3.21"), and what the rest
    gave ("other 0.05": a phrase's bonus, say), when explained (--explain, explain=1)."""
    parts = [f"{contribution.field}:{contribution.term} {contribution.score:.2f}" for contribution in hit.contributions]
    rest = hit.score - sum(contribution.score for contribution in hit.contributions)
    if parts and abs(rest) >= 0.005:
        parts.append(f"other {rest:.2f}")
    return parts


def semantic_ranks(semantic: Semantic) -> str:
    """A hit's places in the two rankings semantic ranking fuses ("BM25 #3 + similarity #1"),
    which its BM25 score alone doesn't explain."""
    if semantic.similarity is None:
        return f"BM25 {_rank(semantic.bm25_rank)}"
    return f"BM25 {_rank(semantic.bm25_rank)} + similarity {_rank(semantic.similarity_rank)}"


def _rank(value: int | None) -> str:
    return f"#{value}" if value is not None else "deeper"


def semantic_line(semantic: Semantic) -> str:
    """How semantic ranking placed a hit, in a line (--explain)."""
    if semantic.similarity is None:
        return f"fused {semantic.fused:.4f} = {semantic_ranks(semantic)} (the article has no vectors)"
    return f"fused {semantic.fused:.4f} = {semantic_ranks(semantic)} ({semantic.similarity:.3f}, window {semantic.window + 1})"


def results_to_dict(results: Results) -> dict[str, Any]:
    """A search's answer as one JSON object (`searcher serve`'s /api/v1/search): the counts,
    what was searched, "did you mean", the facets and the hits as `hit_to_dict` makes them.
    `matched` says how the hits matched (see Results.matched; each hit's own `matched`
    is "all" or "some")."""
    return {
        "total": results.total,
        "every_word": results.every_word,
        "some_words": results.some_words,
        "matched": results.matched,
        "query": results.query,
        "suggestion": results.suggestion,
        "corrected_from": results.corrected_from,
        "variants": name_variants(results),
        **facets_to_dict(results.facets),
        "hits": [hit_to_dict(hit) for hit in results],
    }


def name_variants(results: Results) -> dict[str, list[str]]:
    """The query's words that name variants were searched with, and those variants."""
    variants: dict[str, list[str]] = {}
    for expansion in results.variants:
        known = variants.setdefault(expansion.written, [])
        known.extend(variant for variant in expansion.variants if variant not in known)
    return variants


def article_to_dict(article: Article, duplicates: list[str]) -> dict[str, Any]:
    """An article and the ids of its near-duplicates: what `searcher show --json` prints."""
    return {**article.to_dict(), "duplicates": duplicates}


def facets_to_dict(facets: dict[str, list[FacetCount]]) -> dict[str, Any]:
    """A search's facets as one JSON object: {"facets": {"category": [["coffee", 85], ...]}}."""
    return {"facets": {name: [[count.value, count.count] for count in counts] for name, counts in facets.items()}}


#: The columns of `searcher timeline --csv`, and the keys of its JSON lines.
TIMELINE_COLUMNS = ("query", "value", "period", "start", "end", "partial", "matches", "articles", "ratio")


def timeline_rows(timeline: Timeline) -> list[dict[str, Any]]:
    """One row per series and period: the data of `searcher timeline --json` and `--csv`
    (`ratio` is None for a period without articles; `start` and `end` are the days
    counted). Articles without a date come last, as a period "undated" with no days,
    so that a series' rows add up to its matches."""
    rows = []
    for series in timeline.series:
        for bucket in series.buckets:
            rows.append({"query": series.query, "value": series.value, "period": bucket.label,
                         "start": bucket.start.isoformat(), "end": bucket.end.isoformat(), "partial": bucket.partial,
                         "matches": bucket.matches, "articles": bucket.articles,
                         "ratio": None if bucket.ratio is None else round(bucket.ratio, 6)})
        if series.undated or series.undated_articles:
            ratio = series.undated / series.undated_articles if series.undated_articles else None
            rows.append({"query": series.query, "value": series.value, "period": "undated", "start": None,
                         "end": None, "partial": False, "matches": series.undated,
                         "articles": series.undated_articles, "ratio": None if ratio is None else round(ratio, 6)})
    return rows


def key_term_to_dict(term: KeyTerm) -> dict[str, Any]:
    return {"word": term.word, "term": term.term, "matches": term.matches, "articles": term.articles,
            "score": term.score, "in_query": term.in_query}


def concordance_to_dict(line: Concordance) -> dict[str, Any]:
    return {"id": line.id, "rank": line.rank, "field": line.field, "left": line.left, "match": line.match,
            "right": line.right, "term": line.term}


#: What `searcher export --fields` can name, in the default order.
EXPORT_FIELDS = ("rank", "score", "id", "date", "title", "source", "dateline", "categories", "url", "authors",
                 "language", "caption", "credit", "body", "path")
#: Fields an export has when asked for (--fields): whether the article holds every word ("all") or some.
OTHER_EXPORT_FIELDS = ("matched",)
#: Other names for export fields: the filters' names, and what corpora call them.
EXPORT_ALIASES = {"author": "authors", "place": "dateline", "places": "dateline", "category": "categories", "topic": "categories",
                  "topics": "categories"}


def export_row(hit: Hit, fields: tuple[str, ...] = EXPORT_FIELDS) -> dict[str, Any]:
    """An exported article: its rank and score in the search, and its fields (lists as lists)."""
    row: dict[str, Any] = {"rank": hit.rank, "score": round(hit.score, 4), "matched": hit.matched,
                           **hit.article.to_dict()}
    return {name: row[name] for name in fields}
