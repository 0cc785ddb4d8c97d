"""The JSON API, `/api/v1/...`: the library's answers, as the command line's --json prints them.

Each endpoint reads its parameters (params.py), makes its library calls in one
`Library.ask` and returns what render.py makes of the answer: a hit is the object
`searcher search --json` prints, an article what `searcher show --json` prints, a
timeline the rows of `searcher timeline --json`. Errors are JSON too, with the same
words as the command line's and the status errors.http_status_for gives (app.py).

`ENDPOINTS` documents them: the page at /api and the OpenAPI description at
/api/v1/openapi.json are both made from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import ArticleNotFoundError, RequestError
from ..render import article_to_dict, hit_to_dict, key_term_to_dict, results_to_dict, timeline_rows
from .chart import timeline
from .library import article_of
from .params import BY, FACETS, MAX_LIMIT, MAX_PASSAGES, MAX_QUERIES, MAX_QUERY, MAX_WORDS, Params, Search

if TYPE_CHECKING:
    from ..index import Index

VERSION = "v1"
MISSING_QUERY = "missing query: q (or a filter: source, category, place, since, until)"

_FILTERS = (
    ("source", "only articles from this source (repeat for any of several)"),
    ("category", "only articles in this category (repeatable)"),
    ("place", "only articles filed from this place (repeatable)"),
    ("since", "only articles published on or after this date: 1987, 1987-03 or 1987-03-15"),
    ("until", "only articles published on or before this date (the whole month for 1987-03)"),
    ("all_words", "1: only articles with every word of the query (default: those first, then those with some)"),
)


@dataclass(frozen=True)
class Endpoint:
    path: str
    summary: str
    parameters: tuple[tuple[str, str], ...] = ()
    example: str = ""


ENDPOINTS = (
    Endpoint("/api/v1/search", "The best articles for a query, with their best passages, the counts and the facets",
             (("q", f"the query, as on the command line (at most {MAX_QUERY:,} characters); with filters and "
                    "no q, every article that passes them"),
              *_FILTERS,
              ("sort", "relevance (default), newest or oldest"),
              ("limit", f"articles a page, 1 to {MAX_LIMIT} (default 10)"),
              ("page", "which page of them (default 1)"),
              ("passages", f"passages an article, 0 to {MAX_PASSAGES} (default: the configuration's, 2)"),
              ("facets", f"the facets to count, comma-separated: {', '.join(FACETS)} (default: all; empty: none)"),
              ("collapse", "0: show near-duplicates each on its own (default 1: once, as their best)"),
              ("explain", "1: what each query term gave each hit"),
              ("auto_correct", "1: search the \"did you mean\" words when a word is in no article")),
             "/api/v1/search?q=opec+oil+prices&category=crude&since=1987-03&limit=5"),
    Endpoint("/api/v1/articles/{id}", "One article, whole, with the ids of its near-duplicates (404: no such id)",
             example="/api/v1/articles/{id}"),
    Endpoint("/api/v1/similar/{id}", "The articles most like this one (404: no such id)",
             (("limit", f"1 to {MAX_LIMIT} (default 10)"), ("passages", f"0 to {MAX_PASSAGES} (default 1)"))),
    Endpoint("/api/v1/timeline", "Matches per period against all the articles of that period, query by query",
             (("q", f"a query (repeat for up to {MAX_QUERIES} series); with filters and no q, the articles that "
                    "pass them"),
              ("by", f"the period: {', '.join(BY)} (default auto: the finest with at most 60 periods)"),
              ("per", f"one series per value of this facet ({', '.join(FACETS)}): the 5 with most matches"),
              *_FILTERS),
             "/api/v1/timeline?q=coffee&q=cocoa&by=month"),
    Endpoint("/api/v1/words", "The words that set the matching articles apart from the others (log-likelihood)",
             (("q", "the query"), ("limit", f"1 to {MAX_WORDS} (default 30)"), *_FILTERS),
             "/api/v1/words?q=coffee"),
    Endpoint("/api/v1/stats", "What the index holds: articles, fields, size, last update"),
    Endpoint("/api/v1/health", "Whether the index answers: its articles and commit generation"),
)


def _params(request: Request, path: str) -> Params:
    """The request's parameters, each one the endpoint at `path` takes (ENDPOINTS)."""
    params = Params.of(request)
    params.check_names(next({name for name, _ in endpoint.parameters} for endpoint in ENDPOINTS if endpoint.path == path))
    return params


async def search(request: Request) -> JSONResponse:
    search = Search.read(_params(request, "/api/v1/search"))
    if not search.asked:
        raise RequestError(MISSING_QUERY, "q")
    results = await request.app.state.library.ask(search.run)
    return JSONResponse({**results_to_dict(results), "page": search.page, "limit": search.limit})


async def article(request: Request) -> JSONResponse:
    article_id = request.path_params["article_id"]
    _params(request, "/api/v1/articles/{id}")

    def answer(index: Index) -> dict[str, Any]:
        return article_to_dict(article_of(index, article_id), index.duplicates_of(article_id))

    return JSONResponse(await request.app.state.library.ask(answer))


async def similar(request: Request) -> JSONResponse:
    article_id = request.path_params["article_id"]
    params = _params(request, "/api/v1/similar/{id}")
    limit = params.integer("limit", 10, 1, MAX_LIMIT)
    passages = params.integer("passages", 1, 0, MAX_PASSAGES)

    def answer(index: Index) -> dict[str, Any]:
        results = index.similar(article_id, limit, passages=passages)
        if results is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r}")
        return {"id": article_id, "total": results.total, "hits": [hit_to_dict(hit) for hit in results]}

    return JSONResponse(await request.app.state.library.ask(answer))


async def timeline_of(request: Request) -> JSONResponse:
    params = _params(request, "/api/v1/timeline")
    queries = [query.strip() for query in params.all("q") if query.strip()]
    filters = params.filters()
    if len(queries) > MAX_QUERIES:
        raise RequestError(f"q: at most {MAX_QUERIES} queries, not {len(queries)}", "q")
    for query in queries:
        if len(query) > MAX_QUERY:
            raise RequestError(f"q is {len(query):,} characters long; at most {MAX_QUERY:,} are searched", "q")
    if not queries and not filters:
        raise RequestError(MISSING_QUERY, "q")
    by = params.choice("by", BY, "auto")
    per = params.facet_names("per", ())
    if len(per) > 1:
        raise RequestError(f"per: one facet at a time, not {', '.join(per)}", "per")
    all_words = params.flag("all_words")
    chart = await request.app.state.library.ask(
        lambda index: timeline(index, queries or ["*"], by, per=per[0] if per else None, filters=filters,
                               all_words=all_words))
    return JSONResponse({"by": chart.by, "per": chart.per, "rows": timeline_rows(chart)})


async def words(request: Request) -> JSONResponse:
    params = _params(request, "/api/v1/words")
    query, filters = params.query(), params.filters()
    if not query and not filters:
        raise RequestError(MISSING_QUERY, "q")
    limit = params.integer("limit", 30, 1, MAX_WORDS)
    all_words = params.flag("all_words")
    found = await request.app.state.library.ask(
        lambda index: index.top_words(query or "*", limit, filters=filters, all_words=all_words))
    return JSONResponse({"matches": found.matches, "every_word": found.every_word, "compared": found.compared,
                         "read": found.read, "filtered": found.filtered,
                         "words": [key_term_to_dict(term) for term in found.terms]})


async def stats(request: Request) -> JSONResponse:
    _params(request, "/api/v1/stats")
    summary = await request.app.state.library.ask(lambda index: index.stats())
    return JSONResponse(summary.to_dict())


async def health(request: Request) -> JSONResponse:
    _params(request, "/api/v1/health")
    articles, generation = await request.app.state.library.ask(lambda index: (len(index), index.generation))
    return JSONResponse({"status": "ok", "articles": articles, "generation": generation})


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(openapi_description())


def openapi_description() -> dict[str, Any]:
    """ENDPOINTS as an OpenAPI 3 description (every parameter a string in the query, but the ids in the path)."""
    paths: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        parameters = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}] \
            if "{id}" in endpoint.path else []
        parameters += [{"name": name, "in": "query", "required": False, "description": what,
                        "schema": {"type": "string"}} for name, what in endpoint.parameters]
        paths[endpoint.path] = {"get": {
            "summary": endpoint.summary, "parameters": parameters,
            "responses": {"200": {"description": "the answer, as JSON"},
                          "400": {"description": "a bad parameter or query: {\"error\": ..., \"status\": 400}"},
                          "404": {"description": "no such article"},
                          "503": {"description": "the index can't be read now (being built, or rebuilt)"}}}}
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("searcher")
    except PackageNotFoundError:  # (run from a checkout that is not installed)
        release = "0"
    return {"openapi": "3.0.3", "info": {"title": "searcher", "version": release,
                                         "description": "Full-text search over a news archive"}, "paths": paths}
