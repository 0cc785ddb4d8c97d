"""The web page: a search with its filters, facets and timeline, and an article's page.

Each page makes its library calls in one `Library.ask` (one index generation), then
hands plain values to a Jinja2 template (templates/). Article text reaches the
templates as text and is escaped there (autoescape on, whatever a template's name);
the only markup made here is a passage's or title's `<mark>`s, by
render.passage_to_html, which escapes the text around them. Every link is a URL of
the whole state (params.Search.url), so that a page can be shared, and back and
forward work, with no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..errors import ArticleNotFoundError, RequestError, SearcherError, http_status_for
from ..news.timeline import TimelineError
from ..render import (article_facts, name_variants, passage_to_html, plural, results_summary, score_parts, semantic_line,
                      untitled)
from ..search.passages import paragraphs
from .chart import chart, timeline
from .library import article_of
from .params import FACETS, MAX_DEPTH, Params, Search

if TYPE_CHECKING:
    from jinja2 import Environment

    from ..index import Index
    from ..model import FacetCount, Hit, Results

FACET_TITLES = {"source": "Source", "category": "Category", "place": "Place"}
FACET_VALUES = 12  # values shown a facet


def templates() -> Environment:
    """The page templates, escaping everything they are given but Markup."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("searcher.web", "templates"), autoescape=True, undefined=StrictUndefined)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = request.app.state
    html = state.templates.get_template(name).render(name=state.name, articles=state.articles, **context)
    return HTMLResponse(html, status_code=status)


@dataclass(frozen=True)
class ShownHit:
    """A hit as the page shows it."""

    id: str
    href: str
    title: Markup
    facts: list[str]
    passages: list[Markup]
    matched: str
    duplicates: list[tuple[str, str]]  # (id, href)
    first_of_some: bool  # the first hit with some of the words only, after those with all
    explained: str = ""  # with explain=1: what each query term gave its score
    placed: str = ""  # with explain=1 and semantic ranking: how the fusion placed it


async def search_page(request: Request) -> HTMLResponse:
    params = Params.of(request)
    try:
        search = Search.read(params)
    except SearcherError as error:  # (a bad parameter or date: the page says it, with the form as it was)
        return render(request, "search.html", http_status_for(error), search=Search.kept(params),
                      error=str(error), page=None)
    if not search.asked:
        return render(request, "search.html", search=search, error="", page=None)
    try:
        page = await request.app.state.library.ask(lambda index: _search_page(index, search))
    except RequestError as error:
        return render(request, "search.html", 400, search=search, error=str(error), page=None)
    except SearcherError as error:
        status = http_status_for(error)
        if status == 503:
            raise
        return render(request, "search.html", status, search=search, error=str(error), page=None)
    return render(request, "search.html", search=search, error="", page=page)


def _search_page(index: Index, search: Search) -> dict[str, Any]:
    """What the search page shows, from one index generation."""
    results = search.run(index)
    shown_query = results.suggestion if results.corrected_from is not None else search.q
    page: dict[str, Any] = {
        "results": results,
        "summary": results_summary(results, shown_query or "*", search.filters.describe()) if results else "",
        "any_word": results.matched == "any" or (results.matched == "tiered" and not results.every_word),
        "nothing": "" if results else (
            f"No more articles: {plural(results.total, 'article')} match, fewer than page {search.page} starts at."
            if results.total else index.nothing_found(search.text, search.filters, all_words=search.all_words)),
        "hits": _shown_hits(results, search),
        "suggestion_url": search.url(q=results.suggestion) if results.suggestion else "",
        "exact_url": search.url(q=results.corrected_from or search.q, auto_correct=False),
        "variants": name_variants(results),
        "facets": _facets(results, search, _counts_without_own_filter(index, search, results)),
        "searched_as": results.query if search.explain else "",
        "chosen": _chosen_filters(search),
        "previous_url": search.url(page=search.page - 1) if search.page > 1 else "",
        "next_url": search.url(page=search.page + 1)
        if len(results) == search.limit and search.offset + 2 * search.limit <= MAX_DEPTH
        and search.offset + len(results) < results.total else "",
        "chart": None,
        "chart_note": "",
    }
    if results.total:
        try:
            drawn = timeline(index, [search.text if results.corrected_from is None else results.suggestion],
                             search.by, per=None, filters=search.filters, all_words=search.all_words)
        except TimelineError as error:
            # (A date far from the others, 0001-01-01 say: the hits are still the answer.)
            page["chart_note"] = f"No timeline: {error}."
            return page
        if drawn.series and any(bucket.matches for bucket in drawn.series[0].buckets):
            page["chart"] = chart(drawn.series[0], drawn.by, search.within)
            page["all_dates_url"] = search.without_dates() if search.filters.since or search.filters.until else ""
    return page


def _shown_hits(results: Results, search: Search) -> list[ShownHit]:
    shown, previous = [], "all"
    for hit in results:
        shown.append(ShownHit(
            id=hit.id, href=_article_url(hit.id), title=_title(hit), facts=article_facts(hit.article),
            passages=[Markup(passage_to_html(passage)) for passage in hit.passages], matched=hit.matched,
            duplicates=[(other, _article_url(other)) for other in hit.duplicates],
            first_of_some=results.in_two_groups and hit.matched != previous,
            explained=f"score {hit.score:.2f} = {' + '.join(score_parts(hit))}" if hit.contributions else "",
            placed=semantic_line(hit.semantic) if search.explain and hit.semantic is not None else ""))
        previous = hit.matched
    return shown


def _title(hit: Hit) -> Markup:
    if hit.title.text:
        return Markup(passage_to_html(hit.title))
    return Markup.escape(untitled(hit.article))


def _article_url(article_id: str) -> str:
    from urllib.parse import quote

    return f"/articles/{quote(article_id, safe='')}"


def _counts_without_own_filter(index: Index, search: Search, results: Results) -> dict[str, list[FacetCount]]:
    """The counts of each facet the search filters on, under the other filters only.

    A facet's values are links that add the value to its filter, and the values of one
    facet are any of them: under "category: crude", the link "nat-gas" leads to the
    articles about crude or natural gas. Counted within the results, nat-gas would say
    how many crude articles are also about it (4 of "opec oil prices" on Reuters) and
    lead to 78. Counted without the category's own filter, each value says how many
    articles it brings, as multi-select facets do on shopping and news sites. The
    other facets' counts are the results' own."""
    if not results.total:
        return {}
    text = results.suggestion if results.corrected_from is not None else search.text
    counts = {}
    for facet, values in search.filters.facet_values().items():
        if values and facet in results.facets:
            others = search.filters.with_values(facet, ())
            counts[facet] = index.search(text, limit=1, passages=0, filters=others or None, facets=[facet],
                                         auto_correct=False, collapse=search.collapse,
                                         all_words=search.all_words).facets[facet]
    return counts


def _facets(results: Results, search: Search, own: dict[str, list[FacetCount]]) -> list[dict[str, Any]]:
    facets = []
    for facet in FACETS:
        counts = own.get(facet, results.facets.get(facet)) or []
        chosen = {value.lower() for value in search.filters.facet_values()[facet]}
        values = [{"value": count.value, "count": count.count, "href": search.with_value(facet, count.value),
                   "chosen": count.value.lower() in chosen} for count in counts[:FACET_VALUES]]
        if values:
            facets.append({"name": facet, "title": FACET_TITLES[facet], "counts": values,
                           "more": max(len(counts) - FACET_VALUES, 0)})
    return facets


def _chosen_filters(search: Search) -> list[dict[str, str]]:
    """The filters in force, each with the URL without it."""
    chosen = [{"label": f"{FACET_TITLES[facet]}: {value}", "href": search.without_value(facet, value)}
              for facet, values in search.filters.facet_values().items() for value in values]
    filters = search.filters
    if filters.since or filters.until:
        since = filters.since.date().isoformat() if filters.since else "…"
        until = filters.until.date().isoformat() if filters.until else "…"
        chosen.append({"label": f"Dates: {since} to {until}", "href": search.without_dates()})
    return chosen


async def article_page(request: Request) -> HTMLResponse:
    article_id = request.path_params["article_id"]

    def answer(index: Index) -> dict[str, Any]:
        article = article_of(index, article_id)
        similar = index.similar(article_id, 5, passages=0) or []
        return {"article": article, "facts": article_facts(article), "title": article.title or untitled(article),
                "link": _web_link(article.url),
                "paragraphs": paragraphs(article.body),
                "duplicates": [(other, _article_url(other)) for other in index.duplicates_of(article_id)],
                "similar": [{"href": _article_url(hit.id), "title": hit.title.text or untitled(hit.article),
                             "facts": article_facts(hit.article)} for hit in similar]}

    try:
        page = await request.app.state.library.ask(answer)
    except ArticleNotFoundError as error:
        return render(request, "error.html", 404, title="No such article", message=str(error))
    back = request.headers.get("referer", "")
    return render(request, "article.html", back=back if back.startswith(f"{request.url.scheme}://{request.url.netloc}/")
                  else "", **page)


def _web_link(url: str) -> str:
    """The article's URL as a link when it is a web address (http or https): a corpus may
    hold any text there, `javascript:` too, which a link would run when clicked."""
    from urllib.parse import urlsplit

    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    return url.strip() if scheme in ("http", "https") else ""


async def api_page(request: Request) -> HTMLResponse:
    from .api import ENDPOINTS

    return render(request, "api.html", endpoints=ENDPOINTS)
