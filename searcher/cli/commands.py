"""The `searcher` command: a thin click layer over the library.

Each command makes one library call (`Index.search`, `update_index`, `Index.get`,
`Index.stats`, `evaluate`) and prints its result: rich text for people, JSON lines with
--json. Errors are `SearcherError`s, printed as one line and mapped to an exit
code in `SearcherGroup.main`, the one place that does it.

Imports of whoosh and rich happen inside the commands, so `searcher --help`
starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from functools import wraps
from typing import Any, Callable, Iterable

import click

from ..errors import (
    ConfigError,
    ExitCode,
    IndexNotFoundError,
    Interrupted,
    OutputClosed,
    OutputError,
    SearcherError,
    did_you_mean,
    exit_code_for,
    install_hint,
    write_output,
)
from ..model import PERIODS, SORTS

QUERY_HELP = """\b
Query syntax:
  Idlib refugees          articles with all the words first, then those
                          with some of them (--all-words: only the first)
  "1.5 million refugees"  a phrase
  title:Aleppo            a word in one field: title, caption, body,
                          dateline (or place), source, category, credit, author, language, id
  Idlib OR Aleppo         AND, OR, NOT and (parentheses); -word excludes
                          (in a query all in capitals with several long
                          words or six words, as pasted from a headline,
                          they are words, and so is its source: ... -AGENCY)
  refug*  un?vers*        wildcards, on words as written (a ? that ends
                          a word ends a question: labour? is labour)
  Idleb~  Idleb~2         a fuzzy word (1 or 2 letters off)
  date:2016-11            a year, month or day; a range with
                          date:2016-11-01..2016-12-31 (or date:2016..);
                          since:2016-11 and until:2016 as --since, --until
"""


#: The commands whose arguments are query words ("-Aleppo" is a word there, not an option).
QUERY_COMMANDS = ("search", "timeline", "words", "kwic", "export")


class SearcherGroup(click.Group):
    """A group whose default command is `search`, and which maps errors to exit codes."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # `searcher "Idlib refugees"` means `searcher search "Idlib refugees"`: insert
        # "search" before the first argument that is neither a group option nor a command.
        args = _config_first(list(args))
        at = 0
        while at < len(args):
            arg = args[at]
            if arg == "--config":
                at += 2
            elif arg.startswith("--config="):
                at += 1
            else:
                break
        # Every command's own --index and --cluster, given before the command's name
        # (`searcher --index /tmp/bbc words opec`), go after it: else the name was a word
        # of a search.
        options = at
        while options < len(args) and args[options] in _COMMAND_OPTIONS and options + 1 < len(args):
            options += 2
        if options > at and options < len(args) and args[options] in self.commands:
            args[at:options + 1] = [args[options], *args[at:options]]
        if at < len(args) and args[at] not in self.commands and args[at] not in ("--help", "-h", "--version"):
            args.insert(at, "search")
        if at < len(args) and args[at] in QUERY_COMMANDS:
            args[at + 1:] = _protect_minus_words(args[at + 1:], self.commands[args[at]], self.commands.values())
        return super().parse_args(ctx, args)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = int(result) if isinstance(result, int) else ExitCode.OK
            _flush_stdout()
        except click.exceptions.Exit as done:
            code = done.exit_code
        except _HELP_FOR_NO_ARGUMENTS as error:  # (`searcher` alone: the help, as click shows it)
            error.show()
            code = ExitCode.ERROR
        except click.UsageError as error:
            # One line, as every other error (click's own is four: usage, a hint, a blank, the error).
            message = " ".join(error.format_message().split())
            command = error.ctx.command_path.split()[1:] if error.ctx is not None else []  # (less the program's name)
            if not command:  # (an option's missing value is said in the group's context: the command named)
                given = sys.argv[1:] if args is None else list(args)
                command = [arg for arg in given if arg in self.commands][:1]
            click.echo(f"searcher: error: {message} (see `{' '.join(['searcher', *command])} --help`)", err=True)
            code = ExitCode.ERROR
        except click.ClickException as error:
            error.show()
            code = ExitCode.ERROR
        except (click.Abort, KeyboardInterrupt):
            click.echo("searcher: interrupted", err=True)
            code = exit_code_for(KeyboardInterrupt())
        except SearcherError as error:
            label = "" if isinstance(error, Interrupted) else "error: "
            click.echo(f"searcher: {label}{error}", err=True)
            code = exit_code_for(error)
            if isinstance(error, OutputError):
                _drop_stdout()  # (else Python's own flush at exit fails again, with a traceback)
        except OutputClosed:
            # The reader went away (searcher ... | head): not an error. Later writes,
            # Python's own flush at exit included, go nowhere.
            _drop_stdout()
            code = ExitCode.OK
        if standalone_mode:
            sys.exit(code)
        return code


# (click 8.2 on says "no arguments: the help" as a UsageError of its own; before, it printed
# the help and exited.)
_HELP_FOR_NO_ARGUMENTS = getattr(click.exceptions, "NoArgsIsHelpError", ())
_COMMAND_OPTIONS = ("--index", "--cluster")  # (options of every command that take a value)


def _config_first(args: list[str]) -> list[str]:
    """`args` with a --config given after the command moved before it, where the group
    reads it: `searcher opec --config reuters.yaml` as `searcher --config reuters.yaml
    opec`, as --index works anywhere. (Not after "--", which ends the options.)"""
    moved: list[str] = []
    rest: list[str] = []
    at = 0
    while at < len(args):
        arg = args[at]
        if arg == "--":
            rest.extend(args[at:])
            break
        if arg == "--config":
            if at + 1 == len(args):  # (moved alone, it would take the command's name for its file)
                raise click.UsageError("Option '--config' requires an argument.")
            moved += args[at:at + 2]
            at += 2
            continue
        if arg.startswith("--config="):
            moved.append(arg)
        else:
            rest.append(arg)
        at += 1
    return moved + rest if moved else args


def _drop_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _protect_minus_words(args: list[str], command: click.Command, commands: Iterable[click.Command] = ()) -> list[str]:
    """Query words starting with "-" ("-Aleppo", '-"crude oil"', "-2004"), with a space in front.

    click would take them for options: "-Aleppo" is the cluster -A -l -e -p..., and -p
    takes a value. The space is harmless: the query parser sees an exclusion after
    whitespace. The command's own options (and "-n5") are left alone, and so is
    everything after "--". So are a long option the command doesn't have ("--jsn") and
    an option of another of `commands` ("-n 3" to export): click says they are no
    options here, where as words they would change the query without a word said.
    """
    options, numeric = _option_names([command])
    elsewhere, elsewhere_numeric = _option_names(commands)
    protected = []
    for at, arg in enumerate(args):
        if arg == "--":
            return protected + args[at:]
        name = arg.split("=", 1)[0]
        is_option = name in options or (arg[:2] in numeric and arg[2:].isdigit())
        mistaken = name.startswith("--") or name in elsewhere or (arg[:2] in elsewhere_numeric and arg[2:].isdigit())
        protected.append(" " + arg if arg.startswith("-") and len(arg) > 1 and not is_option and not mistaken else arg)
    return protected


def _option_names(commands: Iterable[click.Command]) -> tuple[set[str], set[str]]:
    """The options of `commands` ("-h" and "--help" too), and of those the short ones
    that take a number: "-n5" is -n 5, a short option glued to its number. Anything
    else glued to a short option ("-nuclear", "-opec", "-hedge") is a word."""
    params = [param for command in commands for param in command.params]
    names = {"-h", "--help"} | {name for param in params for name in getattr(param, "opts", ())}
    numeric = {name for param in params if isinstance(getattr(param, "type", None), click.IntRange)
               or getattr(param, "type", None) is click.INT for name in getattr(param, "opts", ()) if len(name) == 2}
    return names, numeric


def index_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--index PATH and --cluster ADDRESS, on every command."""
    command = click.option(
        "--cluster", "cluster_address", metavar="ADDRESS", default=None,
        help="Search (and build) a sharded index on this Dask cluster, e.g. tcp://host:8786 "
             "[default: $SEARCHER_CLUSTER, else cluster: in searcher.yaml, else this machine].",
    )(command)
    return click.option(
        "--index", "index_path", type=click.Path(file_okay=False), default=None,
        help="Use the index in this folder instead of the configured one.",
    )(command)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--json, on every command that prints data."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per line) for tools.")(command)


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--source, --category, --place, --since, --until: passed as `filters` (filters.Filters)."""

    @wraps(command)
    def wrapper(*args: Any, source: tuple[str, ...], category: tuple[str, ...], place: tuple[str, ...],
                since: str | None, until: str | None, **kwargs: Any) -> Any:
        from ..search.filters import Filters

        filters = Filters.parse(source=source, category=category, place=place, since=since, until=until)
        return command(*args, filters=filters, **kwargs)

    options = [
        click.option("--source", multiple=True, metavar="NAME", help="Only articles from this source (repeat for any of several)."),
        click.option("--category", multiple=True, metavar="NAME", help="Only articles in this category (repeatable)."),
        click.option("--place", multiple=True, metavar="NAME", help="Only articles filed from this place (repeatable)."),
        click.option("--since", metavar="DATE", help="Only articles published on or after DATE (2016, 2016-11, 2016-11-28)."),
        click.option("--until", metavar="DATE", help="Only articles published on or before DATE (the whole month for 2016-11)."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def all_words_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--all-words, on every command that searches: plain words must all match."""
    return click.option("--all-words", is_flag=True, default=None,
                        help="Only articles with every word of the query (else those with every word come "
                             "first, then those with some) [default: search.all_words, off].")(command)


def sort_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--sort relevance|newest|oldest."""
    return click.option("--sort", type=click.Choice(SORTS), default="relevance",
                        show_default=True, help="The order of the articles (undated ones last by date).")(command)


def with_config(command: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the configuration (with --index applied) as `config`."""

    @click.pass_context
    @wraps(command)
    def wrapper(ctx: click.Context, *args: Any, index_path: str | None = None, cluster_address: str | None = None,
                **kwargs: Any) -> Any:
        from ..config import CONFIG_NAME, load_config

        root = ctx.find_root()
        named = root.params.get("config_path")
        try:
            config = load_config(named)
        except ConfigError as error:
            # (A trial: a file named by the variable was said as if --config had named it. Not
            # $SEARCHER_CLUSTER's errors, which load_config says too.)
            if root.get_parameter_source("config_path") is not click.core.ParameterSource.ENVIRONMENT or \
                    not error.message.startswith(str(named)):
                raise
            raise ConfigError(f"$SEARCHER_CONFIG: {error.message}", hint=error.hint) from None
        config = config.with_cluster(cluster_address)
        try:
            return command(*args, config=config.with_index(index_path), explicit_index=index_path is not None, **kwargs)
        except IndexNotFoundError as error:
            if config.path is None and index_path is None:
                # Most likely run outside the project: say why this index was looked for.
                raise IndexNotFoundError(
                    error.message,
                    hint=f"no {CONFIG_NAME} here or in a parent folder; run `searcher index CORPUS` to build "
                    "an index here, or use --config or --index",
                ) from None
            raise

    return wrapper


@click.group(cls=SearcherGroup, epilog=QUERY_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config_path", type=click.Path(), envvar="SEARCHER_CONFIG",
    help="The configuration file (default: $SEARCHER_CONFIG, else searcher.yaml here or in a parent folder).",
)
@click.version_option(package_name="searcher", message="searcher %(version)s")
def cli(config_path: str | None) -> None:
    """Full-text search over news archives.

    \b
      searcher "Idlib refugees"          search (builds the index on first use)
      searcher index [CORPUS...]          index or update the corpus
      searcher show ID                    print one article
      searcher similar ID                 the articles most like it
      searcher stats                      what the index holds
      searcher timeline QUERY...          matches per month, against all articles
      searcher words QUERY                what sets the matching articles apart
      searcher kwic QUERY                 every occurrence, in context
      searcher export QUERY               all matching articles as JSON lines or CSV
      searcher eval QUERIES QRELS         measure the ranking (MAP, nDCG@10...)
      searcher serve                      a web page and a JSON API (the [web] extra)

    Exit codes: 0 found, 1 nothing found, 2 error.
    """


@cli.command(epilog=QUERY_HELP)
@click.argument("query", nargs=-1)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="How many articles to show [default: 10].")
@click.option("--passages", "-p", type=click.IntRange(min=0), default=None, help="Passages per article [default: 2].")
@filter_options
@sort_option
@click.option("--facets", metavar="NAMES", callback=lambda ctx, param, value: _facet_names(value),
              help="Count the values of these facets (source, category, place; comma-separated) over all matches.")
@click.option("--auto-correct/--no-auto-correct", default=None,
              help="When a word is in no article, search the closest words instead of suggesting them "
                   "[default: search.auto_correct, off].")
@click.option("--explain", is_flag=True, help="Show the query as searched (fields, stems, name variants, "
                                              "corrections) and what each term gave each hit.")
@click.option("--no-collapse", is_flag=True, help="Show near-duplicates (the same story with small edits) each "
                                                  "on its own instead of once.")
@all_words_option
@index_option
@json_option
@with_config
def search(query: tuple[str, ...], limit: int | None, passages: int | None, filters: Any, sort: str,
           facets: tuple[str, ...], auto_correct: bool | None, explain: bool, no_collapse: bool,
           all_words: bool | None, as_json: bool, config: Any, explicit_index: bool) -> int:
    """Search the index for QUERY and show the best articles with their best passages.

    With filters and no QUERY, every article that passes them (newest first).
    """
    text = _query_text(query, filters)
    with _open_for_search(config, explicit_index) as index:
        results = index.search(text, limit=limit or config.limit, passages=passages, filters=filters, sort=sort,
                               facets=facets, explain=explain, collapse=not no_collapse, all_words=all_words,
                               auto_correct=config.auto_correct if auto_correct is None else auto_correct)
        nothing = index.nothing_found(text, filters) if not results else ""
    if as_json:
        from ..render import facets_to_dict, hit_to_dict

        if results.suggestion is not None:
            click.echo(f"searcher: did you mean: {results.suggestion}?" if results.corrected_from is None else
                       f"searcher: showing results for {results.suggestion!r}", err=True)
        for hit in results:
            _print_json(hit_to_dict(hit))
        if facets:
            _print_json({**facets_to_dict(results.facets), "total": results.total, "every_word": results.every_word})
    else:
        from . import terminal

        from ..text import quoted

        err = terminal.console(stderr=True)
        if results.corrected_from is not None:
            err.print(f"Showing results for {quoted(results.suggestion or '')} ({quoted(results.corrected_from)} has words no "
                      "article has).", style="yellow", markup=False)
            text = results.suggestion
        elif results.suggestion is not None:
            err.print(f"Did you mean: {results.suggestion}?  (--auto-correct searches it)", style="yellow",
                      markup=False)
        if not results:
            err.print(nothing)
        elif results.matched == "any" or (results.matched == "tiered" and not results.every_word):
            err.print("No article has all the words; showing articles with any of them.", style="yellow")
        if sort != "relevance" and results and all(hit.article.date is None for hit in results):
            # (Undated articles come last by date: with none dated, the order is relevance's, quietly.)
            err.print(f"None of these articles has a date: --sort {sort} leaves them in order of relevance.",
                      style="yellow")
        out = terminal.console()
        if explain:
            terminal.print_explanation(out, results)
        terminal.print_results(out, results, text, filters.describe())
        if results:
            terminal.print_facets(out, results.facets, results.total, every_word=results.every_word)
    return ExitCode.OK if results else ExitCode.NOT_FOUND


@cli.command()
@click.argument("queries", nargs=-1, metavar="QUERY...")
@click.option("--by", type=click.Choice(PERIODS), default="month", show_default=True,
              help="The length of each period.")
@click.option("--per", metavar="FACET", callback=lambda ctx, param, value: _one_facet(value),
              help="One series per source, category or place (the 5 with most matches).")
@filter_options
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one row per query and period).")
@all_words_option
@index_option
@json_option
@with_config
def timeline(queries: tuple[str, ...], by: str, per: str | None, filters: Any, as_csv: bool, all_words: bool | None,
             as_json: bool, config: Any, explicit_index: bool) -> int:
    """Attention over time: how many articles match each QUERY in each period, against all.

    \b
    Each argument is one query: `searcher timeline oil coffee` draws two series,
    `searcher timeline "crude oil"` one. Periods with no article show as zero.
    With filters and no QUERY, the articles that pass them.
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv: one or the other")
    texts = [query.strip() for query in queries if query.strip()] or [_query_text((), filters)]  # ('': as none)
    with _open_for_search(config, explicit_index) as index:
        chart = index.timeline(texts, by, per=per, filters=filters, all_words=all_words)
        found = any(series.matches for series in chart.series)
        nothing = "" if found else "\n".join(index.nothing_found(text, filters, per, all_words) for text in texts)
    if as_json or as_csv:
        from ..render import TIMELINE_COLUMNS, timeline_rows

        rows = timeline_rows(chart)
        if as_csv:
            _print_csv(TIMELINE_COLUMNS, rows)
        else:
            for row in rows:
                _print_json(row)
        if not found:  # (the rows are the periods, at 0; a person reading stderr is told why)
            click.echo(nothing, err=True)
    else:
        from . import terminal

        if not found:
            terminal.console(stderr=True).print(nothing)
        elif not any(bucket.matches for series in chart.series for bucket in series.buckets):
            undated = sum(series.undated for series in chart.series)
            terminal.console(stderr=True).print(f"No matching article has a date ({_plural(undated, 'undated match')}): "
                                                "nothing to draw.")
        else:
            # (Dates narrow the periods, not the articles of each: only facets change what a share is of.)
            from ..news.timeline import share_filters

            counted = share_filters(texts, filters)
            within = counted.undated().describe() if counted else ""
            terminal.print_timeline(terminal.console(), chart, within, filters.describe() if filters else "")
    return ExitCode.OK if found else ExitCode.NOT_FOUND


@cli.command()
@click.argument("query", nargs=-1)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=30, show_default=True, help="How many words.")
@filter_options
@all_words_option
@index_option
@json_option
@with_config
def words(query: tuple[str, ...], limit: int, filters: Any, all_words: bool | None, as_json: bool, config: Any,
          explicit_index: bool) -> int:
    """The words that set the articles matching QUERY apart from the rest (log-likelihood).

    Counts are articles: how many matching articles have the word (in the title or
    the text), how many of those compared: the index, or the articles under the
    filters (with filters and no QUERY: those articles against the whole index).
    Words of the query are flagged. The words of a large result are chosen from a
    sample of 2,000 of its articles; the counts are exact.
    """
    text = _query_text(query, filters)
    with _open_for_search(config, explicit_index) as index:
        found = index.top_words(text, limit, filters=filters, all_words=all_words)
        total = found.matches
        nothing = index.nothing_found(text, filters, all_words=all_words) if not total else ""
    if as_json:
        from ..render import key_term_to_dict

        for term in found.terms:
            _print_json(key_term_to_dict(term))
    else:
        from . import terminal

        if not total:
            terminal.console(stderr=True).print(nothing)
        elif total >= found.compared:
            from ..text import quoted

            terminal.console(stderr=True).print(f"Every article matches {quoted(text)}: there are no others to compare "
                                                "them with.")
        else:
            terminal.print_key_terms(terminal.console(), found, text, filters.describe())
    return ExitCode.OK if total else ExitCode.NOT_FOUND


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--width", "-w", type=click.IntRange(min=0), default=40, show_default=True,
              help="Characters of context on each side (narrowed to fit a terminal).")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="Only the first N matching articles.")
@filter_options
@sort_option
@all_words_option
@index_option
@json_option
@with_config
def kwic(query: tuple[str, ...], width: int, limit: int | None, filters: Any, sort: str, all_words: bool | None,
         as_json: bool, config: Any, explicit_index: bool) -> int:
    """Keyword in context: every occurrence of QUERY's words in the matching articles,
    one aligned line each, with the article id."""
    text = _query_text(query, filters)
    with _open_for_search(config, explicit_index) as index:
        lines = index.concordance(text, width, filters=filters, sort=sort, limit=limit, all_words=all_words)
        if as_json:
            from ..render import concordance_to_dict

            shown = 0
            for line in lines:
                _print_json(concordance_to_dict(line))
                shown += 1
        else:
            from . import terminal

            shown = terminal.print_concordance(terminal.console(), lines, width)
        if not shown:
            matching = index.matches(text, filters=filters, all_words=all_words)[0]
            click.echo(f"{_plural(matching, 'article')} match {text!r}, but none has its words in its text."
                       if matching else index.nothing_found(text, filters, all_words=all_words), err=True)
    return ExitCode.OK if shown else ExitCode.NOT_FOUND


@cli.command()
@click.argument("query", nargs=-1)
@click.option("--format", "file_format", type=click.Choice(["jsonl", "csv"]),
              help="JSON lines (lists as lists) or CSV (lists joined with '; ') [default: csv for an --output "
                   "ending in .csv, else jsonl].")
@click.option("--fields", metavar="NAMES", callback=lambda ctx, param, value: _export_fields(value),
              help="Comma-separated fields [default: rank,score,id,date,title,source,dateline,categories,url,"
                   "authors,language,caption,credit,body,path; also: matched, whether the article holds every word "
                   "of the query (all) or some].")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write to this file instead of standard output.")
@filter_options
@sort_option
@all_words_option
@index_option
@with_config
def export(query: tuple[str, ...], file_format: str | None, fields: tuple[str, ...], output: str, filters: Any,
           sort: str, all_words: bool | None, config: Any, explicit_index: bool) -> int:
    """Export every article matching QUERY (not only the best 10), for pandas, R or a spreadsheet.

    `searcher export --category coffee` exports a whole category (no QUERY: every
    article that passes the filters).
    """
    from ..news.export import export_hits

    if file_format is None:  # (-o coffee.csv wrote JSON lines into it)
        file_format = "csv" if output.lower().endswith(".csv") else "jsonl"

    text = _query_text(query, filters)
    with _open_for_search(config, explicit_index) as index:
        total, hits = index.matches(text, filters=filters, sort=sort, all_words=all_words)
        progress = None
        if total >= EXPORT_BAR_FROM and sys.stderr.isatty():
            from . import terminal

            progress = terminal.RichProgress(terminal.console(stderr=True))
        # (Nothing found still writes a file: an empty export, a CSV's header, and not the
        # last run's rows left in place for a script to read as this one's.)
        some = export_hits(hits, total, output, file_format, fields, progress) if total or output != "-" else 0
        nothing = index.nothing_found(text, filters, all_words=all_words) if not total else ""
    if nothing or output != "-" or some:
        from ..paths import display_path

        which = f" ({total - some:,} with every word, {some:,} with some)" if some else ""
        where = f" to {display_path(output)}" if output != "-" else ""
        message = f"Exported {_plural(total, 'article')}{where}{which}."
        if nothing:
            message = nothing + (f" (an empty export written to {display_path(output)})" if output != "-" else "")
        click.echo(message, err=True)
    return ExitCode.OK if total else ExitCode.NOT_FOUND


#: Exports with fewer articles than this are done before a bar would show.
EXPORT_BAR_FROM = 2000


@cli.command("index")
@click.argument("corpus", nargs=-1, type=click.Path(exists=True))
@click.option("--rebuild", is_flag=True, help="Build the index again from nothing.")
@click.option("--shards", type=click.IntRange(min=1), default=None,
              help="Make a new index (or, with --rebuild, this one) a sharded index of this many shards, each "
                   "indexed by a process (or a cluster's worker) of its own [default: as the index is, else 1].")
@index_option
@json_option
@with_config
def index_command(corpus: tuple[str, ...], rebuild: bool, shards: int | None, as_json: bool, config: Any,
                  explicit_index: bool) -> int:
    """Index CORPUS (files and folders; default: the configured corpus).

    Only what changed since the last run is read and written: new and changed files
    are read, articles of deleted files removed. Bad files are reported and skipped.
    """
    report = _build(config, corpus=corpus, rebuild=rebuild, quiet=as_json, shards=shards)
    if as_json:
        _print_json(report.to_dict())
    if report.skipped and not (report.added or report.updated or report.unchanged):
        return ExitCode.ERROR  # (every article of the corpus skipped: a script must not take it for done)
    if report.found_nothing:
        return ExitCode.ERROR  # (nor a folder with nothing to read)
    return ExitCode.OK


@cli.command()
@click.argument("article_id", metavar="ID")
@index_option
@json_option
@with_config
def show(article_id: str, as_json: bool, config: Any, explicit_index: bool) -> int:
    """Print the article with this ID."""
    from ..index import Index

    with Index.open(config.index, config) as index:
        article = index.get(article_id)
        duplicates = index.duplicates_of(article_id) if article is not None else []
    if article is None:
        click.echo(f"searcher: no article with id {article_id!r}", err=True)
        return ExitCode.NOT_FOUND
    if as_json:
        from ..render import article_to_dict

        _print_json(article_to_dict(article, duplicates))
    else:
        from . import terminal

        terminal.print_article(terminal.console(), article, duplicates)
    return ExitCode.OK


@cli.command()
@click.argument("article_id", metavar="ID")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True, help="How many articles.")
@click.option("--passages", "-p", type=click.IntRange(min=0), default=1, show_default=True,
              help="Passages per article.")
@index_option
@json_option
@with_config
def similar(article_id: str, limit: int, passages: int, as_json: bool, config: Any, explicit_index: bool) -> int:
    """The articles most like the article with this ID (more like this: by meaning, with `semantic:`, else on its key terms)."""
    with _open_for_search(config, explicit_index) as index:
        results = index.similar(article_id, limit, passages=passages)
        article = index.get(article_id)
    if results is None or article is None:
        click.echo(f"searcher: no article with id {article_id!r}", err=True)
        return ExitCode.NOT_FOUND
    if not results:
        click.echo(f"No article is like {article_id!r}: its text has no words to compare.", err=True)
        return ExitCode.NOT_FOUND
    if as_json:
        from ..render import hit_to_dict

        for hit in results:
            _print_json(hit_to_dict(hit))
    else:
        from . import terminal

        out = terminal.console()
        terminal.print_similar(out, results, article, "by meaning" if config.semantic else "by its key words")
    return ExitCode.OK if results else ExitCode.NOT_FOUND


@cli.command()
@index_option
@json_option
@with_config
def stats(as_json: bool, config: Any, explicit_index: bool) -> int:
    """Show what the index holds: articles, fields, size, last update."""
    from ..index import Index

    with Index.open(config.index, config) as index:
        summary = index.stats()
    if as_json:
        _print_json(summary.to_dict())
    else:
        from . import terminal

        terminal.print_stats(terminal.console(), summary)
    return ExitCode.OK


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to serve on (another than this machine's loopback lets others reach it: "
                   "set a --token).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8080, show_default=True,
              help="The port (0: any free one).")
@click.option("--token", envvar="SEARCHER_TOKEN", default=None, metavar="SECRET",
              help="Answer only requests with the header Authorization: Bearer SECRET [default: $SEARCHER_TOKEN].")
@click.option("--allow-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Another name this server is reached by, sent as the Host header (repeatable); others are "
                   "refused.")
@index_option
@with_config
def serve(host: str, port: int, token: str | None, allowed_hosts: tuple[str, ...], config: Any,
          explicit_index: bool) -> int:
    """Serve a web page to search the index, and a JSON API (/api) for other tools.

    \b
    The page: http://127.0.0.1:8080/?q=opec&category=crude&since=1987-03
    The API:  http://127.0.0.1:8080/api/v1/search?q=opec (all of it: /api)
    """
    try:
        from ..web.serve import is_loopback, serve as run_server
    except ImportError as error:
        raise SearcherError(f"searcher serve needs the web extra ({(error.name or '?').split('.')[0]} is not "
                            "installed)",
                            hint=install_hint("web")) from None
    from ..web.library import Library

    if not token and not is_loopback(host):
        click.echo(f"searcher: warning: serving on {host} without a token: anyone who can reach this machine "
                   "can read the index (set --token or $SEARCHER_TOKEN)", err=True)
    index = _open_for_search(config, explicit_index)
    run_server(Library(config, index), host, port, token=token or None, hosts=allowed_hosts)
    return ExitCode.OK


@cli.command("eval")
@click.argument("queries", type=click.Path())
@click.argument("qrels", type=click.Path())
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True,
              help="How many articles to rank per query.")
@click.option("--run", "run_path", type=click.Path(),
              help="Also write the ranking as a TREC run file (qid Q0 docid rank score tag); - for stdout "
                   "(the figures then go to stderr).")
@click.option("--tag", default="searcher", show_default=True, help="The run tag in the run file.")
@click.option("--per-query", is_flag=True, help="Show each query's figures too.")
@index_option
@json_option
@with_config
def eval_command(queries: str, qrels: str, limit: int, run_path: str | None, tag: str, per_query: bool,
                 as_json: bool, config: Any, explicit_index: bool) -> int:
    """Measure the ranking: run QUERIES and score them against the judgments in QRELS.

    \b
    QUERIES: a TSV file (query id<TAB>query text) or TREC topics (<top>, the title
    is the query). QRELS: TREC judgments, `qid 0 docid grade` per line.
    Queries are searched as `searcher QUERY` searches them. Prints MAP, nDCG@10,
    P@10, recall@100 and MRR with trec_eval's definitions (queries without a
    relevant document left out; ties broken by docid, as trec_eval does).
    """
    from ..evaluation import EvaluationInputError, evaluate, read_qrels, read_queries

    topics, judgments = read_queries(queries), read_qrels(qrels)
    run_file = None
    if run_path not in (None, "-"):
        try:  # before the run, so that a bad path doesn't cost a whole evaluation
            run_file = open(run_path, "w", encoding="utf-8")
        except OSError as error:
            raise EvaluationInputError(f"{run_path}: can't write the run file ({error.strerror})") from None
    try:
        with _open_for_search(config, explicit_index) as index:
            report = evaluate(index, topics, judgments, limit=limit, tag=tag)
        if run_path == "-":
            try:
                report.write_run(sys.stdout)
            except BrokenPipeError:
                raise OutputClosed from None
        elif run_file is not None:
            try:
                report.write_run(run_file)
                run_file.close()
            except OSError as error:
                raise EvaluationInputError(f"{run_path}: can't write the run file ({error.strerror})") from None
    finally:
        if run_file is not None:
            run_file.close()
    to_stderr = run_path == "-"  # stdout holds the run
    if as_json:
        lines = [query.to_dict() for query in report.queries] if per_query else []
        for line in [*lines, report.to_dict()]:
            _print_json(line, to_stderr)
    else:
        from . import terminal

        terminal.print_evaluation(terminal.console(stderr=to_stderr), report, per_query=per_query)
    return ExitCode.OK


def _open_for_search(config: Any, explicit_index: bool) -> Any:
    """The index to search; the configured one is built first when it needs to be, with a
    progress bar (an index named with --index is only opened)."""
    from ..index import Index

    return Index.open_or_build(config, may_build=not explicit_index,
                               build=lambda reason, rebuild: _build(config, rebuild=rebuild, reason=reason))


def _build(config: Any, corpus: tuple[str, ...] = (), rebuild: bool = False, quiet: bool = False,
           reason: str | None = None, shards: int | None = None) -> Any:
    """Run the indexer with a progress bar and print its summary (to stderr when `quiet`)."""
    from ..indexing.update import rare_full_collections, update_index
    from ..model import Problem
    from ..paths import display_path

    where = display_path(config.index)
    # For a tool (--json, stderr not a terminal) there is nothing to draw: plain lines
    # on stderr, and rich is not even imported.
    plain = quiet and not reason and not sys.stderr.isatty()
    if not plain:
        from . import terminal

        err = terminal.console(stderr=True)
    if reason:
        err.print(f"{reason}: building {where} from {', '.join(map(display_path, config.corpus))}")
    try:
        with rare_full_collections():  # (the process is the command's own)
            report = update_index(config, corpus or None, rebuild=rebuild, shards=shards, cluster=config.cluster,
                                  progress=_line_notices() if plain else terminal.RichProgress(err))
    except KeyboardInterrupt:  # (update_index says what it kept; this is Ctrl-C before it ran)
        raise Interrupted(
            f"interrupted; nothing of this run was saved, {where} is as it was before",
            hint="run the same command again to index",
        ) from None
    if plain:
        sys.stderr.write("".join(f"{line}\n" for line in [*map(Problem.labelled, report.problems),
                                                          report.summary(where)]))
    else:
        terminal.print_report(err if quiet or reason else terminal.console(), err, report, where)
    return report


def _line_notices() -> Any:
    from ..indexing.update import Progress

    class LineNotices(Progress):
        """No bar, for tools: notices (waiting for another writer) as lines on stderr."""

        def notice(self, message: str) -> None:
            try:
                sys.stderr.write(f"{message}\n")
                sys.stderr.flush()
            except OSError:
                pass  # (stderr gone: the run goes on)

    return LineNotices()


def _query_text(parts: tuple[str, ...], filters: Any) -> str:
    """The query typed; with none, every article when there are filters (filters.query_text)."""
    from ..search.filters import query_text

    try:
        return query_text(" ".join(part.strip() for part in parts), filters)
    except ValueError:
        raise click.UsageError("Missing QUERY (or a filter: --source, --category, --place, --since, --until).") from None


def _facet_names(value: str | None) -> tuple[str, ...]:
    from ..search.filters import FACET_ALIASES, check_facets

    names = _names(value, FACET_ALIASES)
    try:
        check_facets(names)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return names


def _plural(n: int, noun: str) -> str:
    from ..render import plural

    return plural(n, noun)


def _one_facet(value: str | None) -> str | None:
    names = _facet_names(value)
    if len(names) > 1:
        raise click.BadParameter(f"one facet at a time, not {', '.join(names)}")
    return names[0] if names else None


def _export_fields(value: str | None) -> tuple[str, ...]:
    from ..render import EXPORT_ALIASES, EXPORT_FIELDS, OTHER_EXPORT_FIELDS

    names, known = _names(value, EXPORT_ALIASES), EXPORT_FIELDS + OTHER_EXPORT_FIELDS
    for name in names:
        if name not in known:
            raise click.BadParameter(f"unknown field {name!r} ({did_you_mean(name, known)}fields: {', '.join(known)})")
    if value is not None and not names:  # (--fields "": not the default's every field, silently)
        raise click.BadParameter(f"no field named (fields: {', '.join(known)})")
    return names or EXPORT_FIELDS


def _names(value: str | None, aliases: dict[str, str]) -> tuple[str, ...]:
    """Comma-separated names, aliases replaced, each once."""
    names = (name.strip().lower() for name in (value or "").split(",") if name.strip())
    return tuple(dict.fromkeys(aliases.get(name, name) for name in names))


def _print_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_output(lambda: sys.stdout.write(buffer.getvalue()))


def _print_json(data: dict[str, Any], to_stderr: bool = False) -> None:
    line = json.dumps(data, ensure_ascii=False) + "\n"
    write_output(lambda: (sys.stderr if to_stderr else sys.stdout).write(line))


def _flush_stdout() -> None:
    write_output(sys.stdout.flush)


def main() -> None:
    cli.main(prog_name="searcher")
