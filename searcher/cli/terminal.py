"""Output for people: hits, articles, stats and indexing progress, drawn with rich.

Colours only on a terminal (rich decides, and honours NO_COLOR); article text is
never read as markup. The progress bar goes to stderr, so that piping stdout
stays clean, and only when stderr is a terminal.
"""

from __future__ import annotations

import itertools
import sys
import time
from typing import IO, Iterable

from rich.console import Console
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..errors import OutputClosed, write_output
from ..evaluation import Report as EvaluationReport
from ..model import Article, Concordance, FacetCount, Hit, IndexReport, IndexStats, Passage
from ..model import Progress as WorkProgress
from ..model import Results, Timeline, TopWords
from ..paths import display_path
from ..render import article_facts, plural, results_summary, score_parts, semantic_line, semantic_ranks, untitled
from ..text import quoted, safe

MATCH = "bold black on yellow"
META = "dim"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich exits with status 1 here; the command line ends quietly instead, like
        # any tool whose reader stopped reading (searcher ... | head).
        raise OutputClosed


class _Output:
    """Standard output for rich, its write errors said in one line (errors.write_output)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        write_output(lambda: self._stream.write(text))

    def flush(self) -> None:
        write_output(self._stream.flush)

    def __getattr__(self, name: str) -> object:  # isatty, fileno, encoding...
        return getattr(self._stream, name)


def passage_to_rich(passage: Passage, style: str = "", match_style: str = "bold black on yellow") -> Text:
    """The passage as rich Text, matches styled; never parsed as markup (render.py's
    renderers, for the terminal)."""
    text = Text(safe(passage.text), style=style)
    for span in passage.spans:
        text.stylize(match_style, span.start, span.end)
    return text


def console(stderr: bool = False) -> Console:
    out = _Console(file=None if stderr else _Output(sys.stdout), stderr=stderr, markup=False, emoji=False,
                   highlight=False)
    # Piped output keeps its lines whole, for grep and friends; a terminal wraps them.
    out.soft_wrap = not out.is_terminal
    return out


def print_indented(out: Console, text: Text, indent: int = 4) -> None:
    """Print text indented, its wrapped lines too."""
    if out.soft_wrap:
        out.print(Text(" " * indent) + text)
    else:
        out.print(Padding(text, (0, 0, 0, indent)))


def print_results(out: Console, results: Results, query: str, filters: str = "") -> None:
    """The hits under a line saying how many match (`filters`: the filters in words)."""
    if not results:
        return
    out.print(Text(results_summary(results, safe(query), safe(filters)), style=META))
    previous = "all"
    for hit in results:
        out.print()
        if results.in_two_groups and hit.matched != previous:
            out.print(Text("With some of the words:", style=META))  # (those with every word came first)
            out.print()
        previous = hit.matched
        print_hit(out, hit)


def print_hit(out: Console, hit: Hit) -> None:
    number = Text(f"{hit.rank:>2}. ", style="bold")
    if hit.title.text:
        title = passage_to_rich(hit.title, style="bold", match_style=MATCH)
    else:
        title = Text(_untitled(hit.article), style="bold italic")
    if out.soft_wrap:
        out.print(number + title)
    else:  # a long title wraps under itself, not under its number
        from rich.table import Table

        grid = Table.grid()
        grid.add_column(width=4, no_wrap=True)
        grid.add_column()
        grid.add_row(number, title)
        out.print(grid)
    # (With semantic ranking, the BM25 score alone would look out of order: its two places too.)
    extra = [f"score {hit.score:.2f}" + (f" ({semantic_ranks(hit.semantic)})" if hit.semantic is not None else "")]
    if hit.duplicates:
        extra.append(f"+{len(hit.duplicates)} near-duplicate{'' if len(hit.duplicates) == 1 else 's'}")
    items = _meta_items(hit.article, extra=extra)
    if out.soft_wrap:
        print_indented(out, Text(" · ".join(items), style=META))
    else:  # a narrow terminal breaks the line between items, not inside one ("id" / "9680")
        for line in _packed(items, max(out.width - 4, 20)):
            print_indented(out, Text(line, style=META))
    if hit.contributions:
        parts = [safe(part) for part in score_parts(hit)]
        lines = [" + ".join(parts)] if out.soft_wrap else _packed(parts, max(out.width - 6, 20), " + ")
        for number, line in enumerate(lines):
            print_indented(out, Text(f"{'=' if number == 0 else '+'} {line}", style="cyan"))
    if hit.semantic is not None and hit.semantic.window_text:  # (--explain)
        print_indented(out, Text(semantic_line(hit.semantic), style="cyan"))
        window = " ".join(hit.semantic.window_text.split())
        print_indented(out, Text(f"best window: {window[:240]}{'…' if len(window) > 240 else ''}", style=META))
    for passage in hit.passages:
        prefix = Text("Photo: " if passage.field == "caption" else "", style=META)
        print_indented(out, Text.assemble(prefix, passage_to_rich(passage, match_style=MATCH)))


def _which(total: int, every_word: int | None) -> str:
    """Which matches are counted, when not all of them have every word of the query."""
    if every_word is None or every_word >= total:
        return ""
    return f" ({every_word:,} with every word, {total - every_word:,} with some)"


def print_facets(out: Console, facets: dict[str, list[FacetCount]], total: int, shown: int = 10,
                 every_word: int | None = None) -> None:
    """Each facet's top values with their counts over all `total` matching articles
    (`every_word` of them with every word of the query, when some have only some)."""
    if not facets:
        return
    out.print()
    out.print(Text(f"Over all {plural(total, 'matching article')}{_which(total, every_word)}:", style=META))
    for name, counts in facets.items():
        out.print(Text(name, style="bold"))
        if not counts:
            out.print(Text("    (no values)", style=META))
            continue
        width = max(len(f"{count.count:,}") for count in counts[:shown])
        for count in counts[:shown]:
            line = Text(f"  {count.count:>{width},}  ")
            line.append(safe(count.value))
            out.print(line, no_wrap=True, overflow="ellipsis")
        if len(counts) > shown:
            out.print(Text(f"  ... {plural(len(counts) - shown, 'more value')}", style=META))


_SERIES_STYLES = ("cyan", "magenta", "green", "yellow", "blue", "red")
_EIGHTHS = " ▏▎▍▌▋▊▉"


def print_timeline(out: Console, timeline: Timeline, within: str = "", filtered: str = "") -> None:
    """A bar chart: one row per period (and series), the share of the period's articles that match
    (`within`: the filters in words, when the articles are those that pass them; `filtered`:
    the filters in words, which name a series of every article, "*", under them).

    Bars are scaled to the largest share (said in the header). With several series
    each row names its series, cut to fit; when cut names would look alike, rows
    carry the series' number from the legend instead.
    """
    series = timeline.series
    if not series or not series[0].buckets:
        return
    buckets = [bucket for one in series for bucket in one.buckets]
    top = max((bucket.ratio or 0.0 for bucket in buckets), default=0.0) or 1.0
    many = len(series) > 1
    label_width = max(len(b.label) + (1 if b.partial else 0) for b in series[0].buckets)
    counts_width = max([len(f"{b.matches:,}") for b in buckets] + [len("match")])
    # (Of all the period's articles, or of those the filters or --per keep: said under the chart.)
    of = "of all" if not within and timeline.per is None else "of these"
    all_width = max([len(f"{b.articles:,}") for b in buckets] + [len(of)])
    fixed = label_width + counts_width + all_width + 6 + 7
    one_query = len({one.query for one in series}) == 1 and series[0].value is not None  # --per: name the values
    labels = [safe(one.value if one_query else one.label) for one in series]  # type: ignore[arg-type]
    names = _series_names(labels, max(out.width - fixed - 14, 8)) if many else []
    name_width = max(map(len, names)) + 2 if many else 0
    bar_width = max(out.width - fixed - name_width, 4)
    numbered = many and names[0].isdigit()
    for number, one in enumerate(series):
        style = _SERIES_STYLES[number % len(_SERIES_STYLES)]
        undated = f", {one.undated:,} undated" if one.undated else ""
        value = f" · {safe(one.value)}" if one.value is not None else ""
        marker = f"■ {number + 1} " if numbered else "■ " if many else ""
        which = _which(one.matches, one.every_word)
        named = safe(filtered) if one.query.strip() == "*" and filtered else safe(repr(one.query))
        head = Text.assemble((marker, style), (named + value, "bold"),
                             (f"  {plural(one.matches, 'article')}{which}{undated}", META))
        out.print(head, no_wrap=True, overflow="ellipsis")
    header = f"{'period':<{label_width}}  " + " " * name_width
    header += f"{'match':>{counts_width}}  {of:>{all_width}}  {'share':>6}"
    out.print(Text(header, style=META), no_wrap=True, overflow="ellipsis")
    for at in range(len(series[0].buckets)):
        for number, one in enumerate(series):
            bucket = one.buckets[at]
            style = _SERIES_STYLES[number % len(_SERIES_STYLES)]
            label = bucket.label + ("*" if bucket.partial else "") if number == 0 else ""
            line = Text(f"{label:<{label_width}}  ")
            if many:
                line.append(f"{names[number]:<{name_width}}", style=style)
            share = f"{bucket.ratio:6.1%}" if bucket.ratio is not None else f"{'-':>6}"
            line.append(f"{bucket.matches:>{counts_width},}  {bucket.articles:>{all_width},}  {share} ")
            line.append(_bar((bucket.ratio or 0.0) / top, bar_width), style=style)
            out.print(line, no_wrap=True, overflow="crop")
    kept = [f"with that {timeline.per}"] if timeline.per is not None else []
    kept += [f"under the filters ({safe(within)})"] if within else []
    whose = f"the period's articles {', '.join(kept)}" if kept else "all the period's articles"
    out.print(Text(f"share: of {whose}; a full bar is {top:.1%}", style=META))
    if any(bucket.partial for bucket in series[0].buckets):
        out.print(Text("* part of the period only (--since, --until)", style=META))


def _series_names(labels: list[str], width: int) -> list[str]:
    """The names rows show: the labels, cut to `width`; the legend's numbers when cut ones look alike."""
    names = [_fit(label, width) for label in labels]
    if len(set(names)) < len(names):
        return [str(number) for number in range(1, len(labels) + 1)]
    return names


def _bar(fraction: float, width: int) -> str:
    eighths = round(fraction * width * 8)
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def print_key_terms(out: Console, found: TopWords, query: str, filters: str = "") -> None:
    """The top words as a table, under a line saying what was compared with what."""
    terms = found.terms
    sample = f", from a sample of {found.read:,}" if found.read < found.matches else ""
    against = f"the {found.compared:,} articles ({safe(filters)})" if found.filtered else f"all {found.compared:,}"
    what = f"({safe(filters)})" if query == "*" and filters else f"matching {safe(repr(query))}"
    which = _which(found.matches, found.every_word)
    out.print(Text(f"Words of the {plural(found.matches, 'article')} {what}{which}{sample}, against {against}; "
                   "* in the query", style=META))
    if not terms:
        return
    word_width = min(max(len(term.word) for term in terms) + 2, 24)
    header = f"{'word':<{word_width}}  {'matching':>8}  {'all':>7}  {'keyness':>8}"
    out.print(Text(header, style=META), no_wrap=True, overflow="ellipsis")
    for term in terms:
        word = _fit(safe(term.word) + (" *" if term.in_query else ""), word_width)
        line = Text(f"{word:<{word_width}}", style="bold" if term.in_query else "")
        line.append(f"  {term.matches:>8,}  {term.articles:>7,}  {term.score:>8,.1f}")
        out.print(line, no_wrap=True, overflow="ellipsis")


def print_concordance(out: Console, lines: Iterable[Concordance], width: int, first: int = 500) -> int:
    """Concordance lines aligned on the match, as they come; returns how many.

    The columns are set by the `first` lines (a concordance of a common word has
    hundreds of thousands: they are printed as they are found). In a terminal the
    context is narrowed to fit, and a long id keeps its end, which tells articles
    apart ("…tainment/028", a web address's page); piped lines keep `width` and
    whole ids (a longer id after the first lines pushes its line's match along).
    """
    lines = iter(lines)
    head = list(itertools.islice(lines, first))
    id_width = max((len(line.id) for line in head), default=0)
    if out.is_terminal:
        id_width = min(id_width, 24)
    cut_ids = out.is_terminal
    match_width = min(max((len(line.match) for line in head), default=0), 30)
    if out.is_terminal:
        width = max(min(width, (out.width - id_width - 2 - match_width) // 2), 10)
    count = 0
    for line in itertools.chain(head, lines):
        print_concordance_line(out, line, width, id_width, match_width, cut_ids)
        count += 1
    return count


def print_concordance_line(out: Console, line: Concordance, width: int, id_width: int, match_width: int,
                           cut_ids: bool = True) -> None:
    """One occurrence: the id, then the match in the middle column between its left and
    right context. An id longer than `id_width` shows its end, when `cut_ids`."""
    match = _fit(safe(line.match), match_width)
    left = safe(line.left)[-width:] if width else ""
    right = safe(line.right)[:width] if width else ""
    shown_id = safe(line.id)
    if cut_ids and len(shown_id) > id_width:
        shown_id = "…" + shown_id[len(shown_id) - id_width + 1:]
    text = Text(f"{shown_id:<{id_width}}  ", style=META)
    # The context keeps its own spaces ("on " + "coffee" + " quotas", "quotas" + ". There"),
    # and nothing is added: the match starts in the same column on every line, and a
    # line reads as the text it quotes.
    text.append(f"{left:>{width}}")
    text.append(match, style=MATCH)
    text.append(right)
    if out.soft_wrap:
        out.print(text)  # (piped: whole lines)
    else:
        out.print(text, no_wrap=True, overflow="crop")


def print_similar(out: Console, results: Results, article: Article, by: str = "by its key words") -> None:
    title = safe(article.title) or _untitled(article)
    out.print(Text(f"Articles most like {quoted(title)} (id {safe(article.id)}), {by}:", style=META))
    for hit in results:
        out.print()
        print_hit(out, hit)


def print_explanation(out: Console, results: Results) -> None:
    """How the query was searched: corrected, with which name variants, as which Whoosh query."""
    if results.corrected_from is not None:
        out.print(Text(f"Corrected: {quoted(safe(results.corrected_from))} -> {quoted(safe(results.suggestion or ''))}",
                       style="cyan"))
    variants: dict[str, set[str]] = {}
    for expansion in results.variants:
        variants.setdefault(expansion.written, set()).update(expansion.variants)
    for written, others in variants.items():
        out.print(Text(f"Name variants: {safe(written)} -> {', '.join(sorted(map(safe, others)))}", style="cyan"))
    how = {"all": "every word required", "any": "any of the words (no article had them all)",
           "ranked": "ranked by any of its words (a long query)",
           "tiered": "those with every word first, then those with some"}.get(results.matched, results.matched)
    if results.matched == "all" and " ANDMAYBE " in results.query:  # ("is it true?": "is" and "it" optional)
        how = "every word required but the common ones, which rank an article higher"
    out.print(Text(f"Searched ({how}), as field:term (terms are stems in title, caption and body):", style="cyan"))
    # (Whoosh writes the query that matches nothing "<_NullQuery>": a wildcard or a fuzzy
    # word that matches no word of the index.)
    searched = results.query.replace("<_NullQuery>", NOTHING)
    print_indented(out, Text(safe(searched), style="cyan"), indent=2)
    if searched != results.query:
        out.print(Text(f"  {NOTHING}: a wildcard or fuzzy word that matches no word of the index", style="cyan"))
    out.print()


NOTHING = "<no word>"


def print_article(out: Console, article: Article, duplicates: list[str] = ()) -> None:  # type: ignore[assignment]
    out.print(Text(safe(article.title) or _untitled(article), style="bold"))
    out.print(Text(_meta(article), style=META))
    if article.url:
        out.print(Text(safe(article.url), style=META))
    if article.caption:
        credit = f" ({article.credit})" if article.credit else ""
        out.print(Text(f"Photo: {safe(article.caption)}{safe(credit)}", style="italic"))
    out.print()
    body = article.body
    if article.dateline:
        body = f"{', '.join(article.dateline)} – {body}"
    out.print(Text(safe(body)))
    if duplicates:
        out.print()
        out.print(Text(f"Near-duplicates (the same story, small edits): {', '.join(map(safe, duplicates))}",
                       style=META))


def print_stats(out: Console, stats: IndexStats) -> None:
    rows = [
        ("Articles", f"{stats.articles:,}"),
        ("Dates", (f"{stats.first_date} to {stats.last_date}" if stats.first_date else "none")
         + (f" ({stats.undated:,} undated)" if stats.undated and stats.first_date else "")),
        ("Index", display_path(stats.path)),
        ("Corpus", ", ".join(map(display_path, stats.corpus)) or "-"),
        ("Size on disk", _size(stats.size_bytes)),
        ("Last update", stats.last_update.strftime("%Y-%m-%d %H:%M:%S") if stats.last_update else "-"),
        ("Segments", str(stats.segments) + (f" in {stats.shards} shards" if stats.shards > 1 else "")),
        ("Fields", ", ".join(stats.fields)),
        ("Embeddings", display_path(stats.semantic_model) if stats.semantic_model else "none (no semantic ranking)"),
    ]
    for label, value in rows:
        out.print(Text.assemble((f"{label + ':':<14}", "bold"), safe(value)))


def print_report(out: Console, err: Console, report: IndexReport, where: str) -> None:
    for problem in report.problems:
        err.print(Text(problem.labelled(), style={"error": "red", "warning": "yellow"}.get(problem.severity, "cyan")))
    out.print(report.summary(where))


def print_evaluation(out: Console, report: EvaluationReport, per_query: bool = False) -> None:
    """The measures of an evaluation run as a table; with `per_query`, one row per query first."""
    from rich.table import Table

    from ..evaluation import MEASURE_NAMES, MEASURES

    if per_query:
        table = Table(box=None, header_style="bold", pad_edge=False)
        # Figures keep their width; the query text is cut to what is left.
        table.add_column("query", no_wrap=True, min_width=5)
        for name in MEASURES:
            table.add_column(MEASURE_NAMES[name], justify="right", no_wrap=True, min_width=7)
        table.add_column("found", justify="right", no_wrap=True, min_width=5)
        table.add_column("text", overflow="ellipsis", no_wrap=True, max_width=max(10, out.width - 62))
        for query in report.queries:
            table.add_row(safe(query.qid), *(f"{query.measures[name]:.4f}" for name in MEASURES),
                          f"{query.relevant_retrieved}/{query.relevant}", safe(query.query))
        out.print(table)
        out.print()
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in MEASURES:
        table.add_column(MEASURE_NAMES[name], justify="right")
    table.add_row(*(f"{report.means[name]:.4f}" for name in MEASURES))
    out.print(table)
    left_out = f"; {plural(len(report.unjudged), 'query')} without relevant documents left out" if report.unjudged else ""
    if report.not_run:
        left_out += f"; {plural(len(report.not_run), 'judged query')} not in the queries file"
    out.print(Text(f"{plural(len(report.queries), 'query')}, top {report.limit:,}{left_out} "
                   "(trec_eval definitions)", style=META))
    if report.not_in_index:
        shown = ", ".join(report.not_in_index[:5]) + (", ..." if len(report.not_in_index) > 5 else "")
        out.print(Text(f"warning: {len(report.not_in_index):,} of the {report.judged_relevant:,} relevant documents "
                       f"judged are not in the index ({safe(shown)}): they count as missed. Are the judgments "
                       "of this collection, with its ids?"))


def _meta(article: Article) -> str:
    return " · ".join(_meta_items(article))


def _meta_items(article: Article, extra: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    return [safe(part) for part in [*article_facts(article), *extra]]


def _packed(items: list[str], width: int, separator: str = " · ") -> list[str]:
    """Items joined with `separator` into lines of at most `width` (an item longer than that on its own)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(separator) + len(item) <= width:
            lines[-1] += separator + item
        else:
            lines.append(item)
    return lines


def _untitled(article: Article) -> str:
    return safe(untitled(article))


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{count} bytes"


class RichProgress(WorkProgress):
    """Progress of long work (an index run, an export) as a rich bar on stderr: done, rate, time left.

    It refreshes itself (no background thread), so that worker processes forked by
    the indexer never inherit a thread holding the terminal's lock.
    """

    def __init__(self, err: Console) -> None:
        # A narrow terminal (under 80 columns) gets the bar, the count and the time left.
        wide = err.width >= 80
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<10}"),
            BarColumn(bar_width=40 if wide else 12),
            TaskProgressColumn(),
            TextColumn("{task.fields[count]}"),
            *([TextColumn("{task.fields[rate]}", style="dim"), TimeElapsedColumn()] if wide else []),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err,
            auto_refresh=False,
            transient=False,
            disable=not err.is_terminal,
        )
        self._task = None
        self._unit = ""
        self._phase_started = 0.0
        self._last = 0.0
        self._started = False

    def phase(self, name: str, total: int | None, unit: str) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        self._close_task()
        self._unit = unit
        self._task = self._progress.add_task(name, total=total, count="", rate="")
        self._phase_started = time.monotonic()
        self._progress.refresh()

    def advance(self, amount: int = 1) -> None:
        if self._task is None:
            return
        self._progress.advance(self._task, amount)
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._show_counts()
            self._progress.refresh()

    def notice(self, message: str) -> None:
        try:
            self._progress.console.print(Text(message, style="yellow"))
        except (OutputClosed, OSError):
            pass  # (stderr gone, as in `searcher index 2>&1 | head`: the run goes on)

    def finish(self) -> None:
        if self._started:
            self._close_task()
            self._progress.refresh()
            self._progress.stop()
            self._started = False

    def _show_counts(self) -> None:
        done = self._progress.tasks[self._task].completed
        rate = done / max(time.monotonic() - self._phase_started, 1e-6)
        if self._unit == "bytes":
            count, rate_text = f"{done / 1e6:,.1f} MB", f"{rate / 1e6:,.1f} MB/s"
        elif self._unit:
            count, rate_text = f"{done:,.0f} {self._unit}", f"{rate:,.0f}/s"
        else:
            count, rate_text = "", ""
        self._progress.update(self._task, count=count, rate=rate_text)

    def _close_task(self) -> None:
        """Show the current phase as complete, with its final counts."""
        if self._task is None:
            return
        self._show_counts()
        done = self._progress.tasks[self._task].completed or 1
        self._progress.update(self._task, total=done, completed=done)
