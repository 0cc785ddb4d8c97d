"""Output for people: hits, articles, stats and indexing progress, drawn with rich.

Colours only on a terminal (rich decides, and honours NO_COLOR); article text is
never read as markup. The progress bar goes to stderr, so that piping stdout
stays clean, and only when stderr is a terminal.
"""

from __future__ import annotations

import sys
import time
from typing import IO

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

from .errors import OutputClosed, write_output
from .indexer import Progress as IndexProgress
from .evaluation import Report as EvaluationReport
from .model import Article, Hit, IndexReport, IndexStats, Results
from .render import passage_to_rich
from .paths import display_path
from .text import safe

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


def print_results(out: Console, results: Results, query: str) -> None:
    if not results:
        return
    shown = len(results)
    count = f"{results.total:,} articles match" if results.total != 1 else "1 article matches"
    how = {"any": " (any of its words)", "ranked": " (ranked by its words)"}.get(results.matched, "")
    more = f", showing the first {shown}" if shown < results.total else ""
    out.print(Text(f"{count} {query!r}{how}{more}", style=META))
    for hit in results:
        out.print()
        print_hit(out, hit)


def print_hit(out: Console, hit: Hit) -> None:
    line = Text(f"{hit.rank:>2}. ", style="bold")
    if hit.title.text:
        line.append_text(passage_to_rich(hit.title, style="bold", match_style=MATCH))
    else:
        line.append(_untitled(hit.article), style="bold italic")
    out.print(line)
    print_indented(out, Text(_meta(hit.article, extra=[f"score {hit.score:.2f}"]), style=META))
    for passage in hit.passages:
        prefix = Text("Photo: " if passage.field == "caption" else "", style=META)
        print_indented(out, Text.assemble(prefix, passage_to_rich(passage, match_style=MATCH)))


def print_article(out: Console, article: Article) -> None:
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


def print_stats(out: Console, stats: IndexStats) -> None:
    rows = [
        ("Articles", f"{stats.articles:,}"),
        ("Index", display_path(stats.path)),
        ("Corpus", ", ".join(map(display_path, stats.corpus)) or "-"),
        ("Size on disk", _size(stats.size_bytes)),
        ("Last update", stats.last_update.strftime("%Y-%m-%d %H:%M:%S") if stats.last_update else "-"),
        ("Segments", str(stats.segments)),
        ("Fields", ", ".join(stats.fields)),
    ]
    for label, value in rows:
        out.print(Text.assemble((f"{label + ':':<14}", "bold"), safe(value)))


def print_report(out: Console, err: Console, report: IndexReport, where: str) -> None:
    for problem in report.problems:
        err.print(Text(problem.labelled(), style="red" if problem.severity == "error" else "yellow"))
    out.print(report.summary(where))


def print_evaluation(out: Console, report: EvaluationReport, per_query: bool = False) -> None:
    """The measures of an evaluation run as a table; with `per_query`, one row per query first."""
    from rich.table import Table

    from .evaluation import MEASURE_NAMES, MEASURES

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
    left_out = f"; {_count(len(report.unjudged), 'query')} without relevant documents left out" if report.unjudged else ""
    if report.not_run:
        left_out += f"; {_count(len(report.not_run), 'judged query')} not in the queries file"
    out.print(Text(f"{_count(len(report.queries), 'query')}, top {report.limit:,}{left_out} "
                   "(trec_eval definitions)", style=META))


def _meta(article: Article, extra: list[str] = ()) -> str:  # type: ignore[assignment]
    parts = [
        article.source,
        ", ".join(article.dateline),
        article.date.strftime("%Y-%m-%d") if article.date else "",
        ", ".join(article.categories),
        f"id {article.id}",
        *extra,
    ]
    return safe(" · ".join(part for part in parts if part))


def _untitled(article: Article) -> str:
    words = " ".join(article.body.split())
    return safe(words[:77] + "..." if len(words) > 80 else words) or "(untitled)"


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"{n:,} {noun}"
    return f"{n:,} {noun[:-1]}ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else f"{n:,} {noun}s"


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{count} bytes"


class RichProgress(IndexProgress):
    """Indexing progress as a rich bar on stderr: done, rate, time left.

    It refreshes itself (no background thread), so that worker processes forked by
    the indexer never inherit a thread holding the terminal's lock.
    """

    def __init__(self, err: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[rate]}", style="dim"),
            TimeElapsedColumn(),
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
