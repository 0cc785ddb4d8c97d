#!/usr/bin/env python3
"""Web pages and web archives: extraction quality, and indexing speed against extraction alone.

    python scripts/bench_html.py [--copies 4] [--rounds 2] [--keep DIR]

On the 300 judged pages of ../shared/data/web (trafilatura's evaluation set, see its
PROVENANCE.md), in one run:

1. quality: the share of the `with` snippets our article holds (its title and text)
   and of the `without` snippets it does not, against trafilatura's defaults
   (`extract(html, url=url)`), with each one's time a page on one core. Our text has no
   soft hyphens or zero-width characters, so the snippets are compared without them.
2. speed: the pages, --copies times over (the copies' canonical URLs taken out, so
   that each is an article of its own), extracted in this process on one core with
   our extraction (`page_article`): the baseline. Then `searcher index` of the folder
   (2 cores: extraction in worker processes), and of the same pages packed in one
   gzipped WARC file a copy (request, metadata and image records mixed in), each as a
   fresh build, start-up included; then each again, unchanged; then the WARC files
   written again (new record ids, the same pages), so that every page is extracted
   again and no article is written:
   what the extraction in worker processes alone makes of the two cores. Each of these
   is measured --rounds times, the extraction alone too, and the fastest kept: this
   machine's CPU seconds for the same work vary by up to a fifth between runs. Last, the
   articles of the HTML index, exported as JSON lines, indexed again, half of them and
   all: what indexing costs without extraction, an article and a run (start-up, the
   segments written, the commit), and so the most that extraction and indexing sharing
   two cores could reach, 2 x extraction / (extraction + indexing), in CPU seconds.
   And what the target (1.8x) leaves for writing the articles, in seconds and CPU
   seconds, against what writing them cost.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

#: Issue 19's target: HTML indexing on 2 cores, in pages a second, against extraction alone on one.
TARGET = 1.8


def quality(pages: list[benchlib.WebPage]) -> list[list[str]]:
    import trafilatura

    from searcher.readers.html import page_article, page_of
    from searcher.text import without_invisible

    rows = []
    for name in ("trafilatura 2 defaults", "searcher"):
        kept = dropped = wanted = unwanted = 0
        started = time.perf_counter()
        for page in pages:
            if name == "searcher":
                article, _ = page_article(page_of(page.data, str(page.file), page.file.name))
                text = f"{article.title}\n{article.body}" if article else ""
                clean = without_invisible
            else:
                text = trafilatura.extract(page.data, url=page.url) or ""
                clean = lambda snippet: snippet  # noqa: E731
            kept += sum(clean(snippet) in text for snippet in page.with_)
            dropped += sum(clean(snippet) not in text for snippet in page.without)
            wanted, unwanted = wanted + len(page.with_), unwanted + len(page.without)
        ms = (time.perf_counter() - started) / len(pages) * 1000
        rows.append([name, f"{kept / wanted:.3f}", f"{dropped / unwanted:.3f}", f"{ms:.1f}"])
    return rows


def copies_of(pages: list[benchlib.WebPage], copies: int, folder: Path) -> list[tuple[str, Path, bytes]]:
    """The pages `copies` times over as files in `folder` ((url, path, bytes)); past the
    first copy, without canonical URLs, so that each copy is an article of its own."""
    made = []
    for copy in range(copies):
        (folder / f"copy{copy}").mkdir(parents=True, exist_ok=True)
        for page in pages:
            data = page.data if copy == 0 else page.data.replace(b"canonical", b"no-canonical").replace(
                b"og:url", b"og:no-url")
            path = folder / f"copy{copy}" / page.file.name
            path.write_bytes(data)
            made.append((page.url + ("" if copy == 0 else f"?copy={copy}"), path, data))
    return made


def write_warcs(made: list[tuple[str, Path, bytes]], pages: int, copies: int, folder: Path) -> None:
    """The pages in one gzipped WARC file a copy (request, metadata and image records
    mixed in), all dated alike (a page without a date of its own is dated by its record:
    written again, the files hold the same articles)."""
    folder.mkdir(exist_ok=True)
    for copy in range(copies):
        mine = made[copy * pages:(copy + 1) * pages]
        benchlib.write_warc(folder / f"crawl-{copy}.warc.gz", [(url, data) for url, _, data in mine],
                            date="2026-01-01T00:00:00Z")


def stolen() -> float:
    """Core-seconds this virtual machine's hypervisor has given to others so far ("steal"
    in /proc/stat; 0 where there is none). With both cores busy it takes up to a tenth
    of their time, and none from one busy core: the work two cores can do against one."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return 0.0
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 and fields[0] == "cpu" else 0.0


Timing = tuple[float, float, float]  # (seconds, CPU seconds, core-seconds stolen)


def extraction_alone(made: list[tuple[str, Path, bytes]]) -> Timing:
    """Extracting every page in this process."""
    from searcher.readers.html import page_article, page_of

    started, cpu, steal = time.perf_counter(), time.process_time(), stolen()
    for _, path, data in made:
        page_article(page_of(data, str(path), path.name))
    return time.perf_counter() - started, time.process_time() - cpu, stolen() - steal


def index(corpus: Path, folder: Path) -> Timing:
    """`searcher index`: its CPU time is its processes' user and system seconds. (Not
    benchlib.run_watched, whose memory sampling would take CPU from the run's two cores.)"""
    before, steal = resource.getrusage(resource.RUSAGE_CHILDREN), stolen()
    started = time.perf_counter()
    run = subprocess.run([str(benchlib.SEARCHER), "index", str(corpus), "--index", str(folder)],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode:
        raise SystemExit(f"searcher index {corpus} failed ({run.returncode}):\n{run.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, stolen() - steal


def _count(folder: Path) -> int:
    from searcher import Index

    with Index.open(folder) as index:
        return len(index)


def generation(folder: Path) -> int:
    """The index's last commit (a run that writes nothing makes none)."""
    from searcher import Index

    with Index.open(folder) as index:
        return index.generation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="times over the 300 pages are indexed (default 4)")
    parser.add_argument("--pages", type=int, default=0, help="only the first N pages (a quick run)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--rounds", type=int, default=2,
                        help="times each speed is measured, the fastest kept (default 2)")
    args = parser.parse_args()
    if not (benchlib.WEB_PAGES / "evaldata.json").exists():
        raise SystemExit(f"{benchlib.WEB_PAGES} not found: set SEARCHER_DATA to the folder of ../shared/data")
    pages = benchlib.web_pages()[:args.pages or None]

    print(f"## Extraction quality, {len(pages)} judged pages, one core\n")
    print(benchlib.table(["extractor", "with kept", "without dropped", "ms a page"], quality(pages)))

    with benchlib.work_folder(args.keep, "bench-html-") as work:
        for built in ("html", "warc", "ix-html", "ix-warc", "ix-articles"):  # (a kept folder's are an earlier run's: made anew)
            shutil.rmtree(work / built, ignore_errors=True)
        made = copies_of(pages, args.copies, work / "html")
        count = len(made)
        # This machine's CPU seconds for the same work vary by up to a fifth between runs
        # minutes apart: each measure is taken in every round, and its fastest kept.
        timings: dict[str, list[Timing]] = {}
        for _ in range(args.rounds):
            timings.setdefault("alone", []).append(extraction_alone(made))
            for built in ("ix-html", "ix-warc"):
                shutil.rmtree(work / built, ignore_errors=True)
            write_warcs(made, len(pages), args.copies, work / "warc")
            timings.setdefault("html", []).append(index(work / "html", work / "ix-html"))
            timings.setdefault("warc", []).append(index(work / "warc", work / "ix-warc"))
            timings.setdefault("html_again", []).append(index(work / "html", work / "ix-html"))
            timings.setdefault("warc_again", []).append(index(work / "warc", work / "ix-warc"))
            # The workers carrying the extractor with no indexing to do: the WARC files
            # written again (new record ids), a run reads and extracts every page again and
            # finds every article unchanged, so it writes nothing.
            write_warcs(made, len(pages), args.copies, work / "warc")
            before = generation(work / "ix-warc")
            timings.setdefault("extracting", []).append(index(work / "warc", work / "ix-warc"))
            if generation(work / "ix-warc") != before:
                raise SystemExit("the WARC files written again changed some articles: the run wrote them")
        (alone, alone_cpu, _), (html, html_cpu, html_stolen), (warc, warc_cpu, _), (html_again, _, _), \
            (warc_again, _, _), (extracting, extracting_cpu, _) = (min(timings[what]) for what in (
                "alone", "html", "warc", "html_again", "warc_again", "extracting"))
        # The same articles without extraction: exported from the HTML index as JSON lines.
        articles = work / "articles.jsonl"
        benchlib.run_watched([str(benchlib.SEARCHER), "export", "*", "--index", str(work / "ix-html"), "--fields",
                              "id,date,title,source,categories,url,body,author,language", "--output", str(articles)])
        lines = articles.read_bytes().splitlines(keepends=True)
        half = work / "half.jsonl"
        half.write_bytes(b"".join(lines[:len(lines) // 2]))
        shutil.rmtree(work / "ix-articles", ignore_errors=True)
        shutil.rmtree(work / "ix-half", ignore_errors=True)
        _, half_cpu, _ = index(half, work / "ix-half")
        indexing, indexing_cpu, _ = index(articles, work / "ix-articles")
        indexed = _count(work / "ix-articles")
        # Indexing's cost, an article and a run: from the runs of half the articles and all.
        per_article = (indexing_cpu - half_cpu) / (indexed - _count(work / "ix-half"))
        per_run = indexing_cpu - per_article * indexed
    rows = [
        ["extraction alone, one core (baseline)", f"{alone:.1f}", f"{alone_cpu:.1f}", f"{count / alone:.1f}", "1.00x"],
        ["searcher index, HTML files", f"{html:.1f}", f"{html_cpu:.1f}", f"{count / html:.1f}", f"{alone / html:.2f}x"],
        ["searcher index, the same pages in WARC files", f"{warc:.1f}", f"{warc_cpu:.1f}", f"{count / warc:.1f}",
         f"{alone / warc:.2f}x"],
        ["the same WARC files written again: every page extracted again, nothing written", f"{extracting:.1f}",
         f"{extracting_cpu:.1f}", f"{count / extracting:.1f}", f"{alone / extracting:.2f}x"],
        [f"the HTML index's {indexed:,} articles indexed from JSON lines: no extraction", f"{indexing:.1f}",
         f"{indexing_cpu:.1f}", f"{indexed / indexing:.1f}", ""],
    ]
    print(f"\n## Indexing {count:,} pages ({args.copies} copies), 2 cores, the fastest of {args.rounds} rounds\n")
    for what, runs in timings.items():
        print(f"- {what}: " + ", ".join(f"{seconds:.1f} s ({cpu:.1f} CPU, {steal:.1f} stolen)" for seconds, cpu, steal in runs))
    print()
    print(benchlib.table(["what", "seconds", "CPU seconds", "pages/s", "vs extraction alone"], rows))
    # Two cores do about twice one core's work (a little more when the workers, fresh
    # processes, extract faster than this one): the CPU an index run spends bounds how far
    # past one core it can go.
    print(f"\nceiling on 2 cores, from the CPU each run spent: HTML {2 * alone_cpu / html_cpu:.2f}x, "
          f"WARC {2 * alone_cpu / warc_cpu:.2f}x")
    # Extraction and indexing sharing two cores perfectly, with nothing else to do.
    print(f"indexing alone: {per_article * 1000:.1f} ms of CPU an article and {per_run:.1f} s a run "
          f"(runs of {indexed // 2:,} and {indexed:,} articles); extraction {alone_cpu / count * 1000:.1f} ms a page")
    print(f"ceiling on 2 cores, from extraction alone and indexing alone: "
          f"{2 * alone_cpu / (alone_cpu + indexing_cpu):.2f}x with this run's pages; "
          + (f"{2 * alone_cpu / (alone_cpu + per_article * indexed):.2f}x" if per_article > 0 else "not measured (runs too small)")
          + " without a run's own cost (a large archive)")
    # The same with what the index run spends besides extraction and writing (reading,
    # fingerprints, handing pages to the workers and articles back): the run that writes nothing.
    print(f"ceiling on 2 cores, from the run that writes nothing and indexing alone: "
          f"{2 * alone_cpu / (extracting_cpu + indexing_cpu):.2f}x with this run's pages; "
          + (f"{2 * alone_cpu / (extracting_cpu + per_article * indexed):.2f}x" if per_article > 0 else "not measured")
          + " without the indexing run's own cost")
    # What the target leaves for writing: the run that writes nothing did everything else
    # a build does (read, extract, compare) with the same pages on the same two cores.
    target = alone / TARGET
    print(f"\n{TARGET}x extraction alone is a run of {target:.1f} s. With nothing written, the WARC run took "
          f"{extracting:.1f} s and {extracting_cpu:.1f} CPU seconds: writing the {count:,} articles may add "
          f"{target - extracting:.1f} s, or {2 * target - extracting_cpu:.1f} CPU seconds with both cores busy "
          f"all the time. It added {warc - extracting:.1f} s and {warc_cpu - extracting_cpu:.1f} CPU seconds "
          f"(WARC build against nothing written); from JSON lines it costs {indexing_cpu:.1f} CPU seconds, "
          + (f"{per_article * count:.1f} without a run's own cost." if per_article > 0 else "its cost an article not measured (runs too small)."))
    print(f"The hypervisor took {html_stolen:.1f} of the HTML build's {2 * html:.1f} core-seconds (steal in /proc/stat): "
          f"its two cores were {(2 * html - html_stolen) / html:.2f} cores.")
    print(f"\nWARC indexing time / HTML indexing time: {warc / html:.2f}")
    print(f"second run, unchanged: HTML {html_again:.2f} s ({html_again / html:.1%} of the first), "
          f"WARC {warc_again:.2f} s ({warc_again / warc:.1%})")


if __name__ == "__main__":
    main()
