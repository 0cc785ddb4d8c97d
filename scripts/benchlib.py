"""What the benchmark scripts share: the corpora, the plain Whoosh baseline, and
running a command while watching its memory.

The baseline is Whoosh as its documentation shows it: StemmingAnalyzer, BM25F, one
writer with limitmb=256, query words through QueryParser, top 10, no highlighting.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import tempfile
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator
from pathlib import Path

DATA = Path(os.environ.get("SEARCHER_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
CORPORA = {
    "bbc": DATA / "bbc" / "bbc-news.jsonl",
    "reuters": DATA / "reuters21578" / "reuters21578.jsonl",
}
SEARCHER = Path(sys.executable).parent / "searcher"

# Commands run with Python's default bytecode cache. Where PYTHONDONTWRITEBYTECODE is
# set (it is on this machine), an editable install compiles searcher's modules again
# in every process (about 30 ms), a cost that no `pip install .` pays.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@contextmanager
def work_folder(keep: Path | None, prefix: str) -> Iterator[Path]:
    """The folder a benchmark builds its indexes in: `keep` (made if need be, kept and
    reused), else a temporary folder removed at the end."""
    work = keep or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def configured_index(corpus: Path, folder: Path, config: str) -> Path:
    """A searcher.yaml in `folder`'s parent with `config` and `folder` as the index, and
    that index built from `corpus` (unless it is there already); the file's path."""
    config_path = folder.parent / "searcher.yaml"
    config_path.write_text(config + f"index: {folder}\n", encoding="utf-8")
    if not (folder / "searcher-index.json").exists():
        print(f"building the searcher index of {corpus.name}...", file=sys.stderr)
        run_watched([str(SEARCHER), "--config", str(config_path), "index", str(corpus)])
    return config_path


def corpus_path(name: str, folder: Path) -> Path:
    """A corpus by name: "bbc", "reuters", or "reuters-x5" (Reuters five times over,
    ids suffixed, about 108,000 articles, written into `folder`), or a JSON lines file."""
    if name in CORPORA:
        if not CORPORA[name].exists():
            raise SystemExit(f"{CORPORA[name]} not found: set SEARCHER_DATA to the folder of ../shared/data")
        return CORPORA[name]
    if Path(name).is_file():
        return Path(name)
    base, _, times = name.partition("-x")
    if base not in CORPORA or not times.isdigit():
        raise SystemExit(f"unknown corpus {name!r}: bbc, reuters, reuters-x5, or a JSON lines file")
    path = folder / f"{name}.jsonl"
    if not path.exists():
        lines = corpus_path(base, folder).read_text(encoding="utf-8").splitlines()
        with path.open("w", encoding="utf-8") as out:
            for copy in range(1, int(times) + 1):
                for line in lines:
                    record = json.loads(line)
                    record["id"] = f"{record['id']}-{copy}"
                    out.write(json.dumps(record) + "\n")
    return path


def count_lines(path: Path) -> int:
    with path.open("rb") as data:
        return sum(1 for _ in data)


# -- the plain Whoosh baseline ---------------------------------------------------------


def plain_schema():  # type: ignore[no-untyped-def]
    from whoosh import analysis, fields

    stem = analysis.StemmingAnalyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=stem, stored=True),
        body=fields.TEXT(analyzer=stem, stored=True),
    )


def plain_index(corpus: Path, folder: Path) -> int:
    """Index `corpus` the plain Whoosh way; returns the number of articles."""
    from whoosh import index

    ix = index.create_in(str(folder), plain_schema())
    writer = ix.writer(limitmb=256)
    count = 0
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            writer.add_document(id=str(record["id"]), title=record.get("title") or "",
                                body=record.get("body") or record.get("text") or "")
            count += 1
    writer.commit()
    return count


def plain_search(searcher, parser, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The plain Whoosh search: the query through QueryParser, top 10, stored ids."""
    return [hit["id"] for hit in searcher.search(parser.parse(text), limit=10)]


def plain_parser(ix):  # type: ignore[no-untyped-def]
    from whoosh import qparser

    return qparser.MultifieldParser(["title", "body"], ix.schema, group=qparser.OrGroup)


# -- queries ---------------------------------------------------------------------------


def query_set(corpus: Path, titles: int = 200, short: int = 50, seed: int = 2026) -> list[str]:
    """`titles` article titles and `short` one- and two-word queries made of title
    words, drawn from `corpus` with a fixed seed."""
    rng = random.Random(seed)
    records = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    all_titles = [r["title"] for r in records if len((r.get("title") or "").split()) >= 2]
    chosen = rng.sample(all_titles, min(titles, len(all_titles)))
    words = sorted({w.strip(".,:;'\"()").lower() for t in all_titles for w in t.split()
                    if len(w) > 3 and w.isalpha()})
    # As typed: all-capital Reuters titles would be "shouted". A colon glued to the next
    # word ("cd:uk") would name a field, which searcher refuses (no such field).
    queries = [re.sub(r"(\w):(?=\S)", r"\1 ", t.lower()) for t in chosen]
    for i in range(short):
        queries.append(" ".join(rng.sample(words, 1 + i % 2)))
    return queries


def phrase_set(corpus: Path, count: int = 100, seed: int = 2026) -> list[str]:
    """`count` phrases in quotes, as people quote them: two or three words in a row from
    the articles' text, in lower case, drawn with a fixed seed. Half start with a word
    of four letters or more ("interest rates"), half anywhere ("of the")."""
    rng = random.Random(seed)
    records = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    phrases = []
    while len(phrases) < count:
        words = [w.strip(".,:;'\"()!?").lower() for w in (rng.choice(records).get("body") or "").split()]
        if len(words) < 10:
            continue
        at = rng.randrange(len(words) - 3)
        chosen = words[at:at + 2 + at % 2]
        if all(w.isalpha() for w in chosen) and (len(phrases) % 2 or len(chosen[0]) > 3):
            phrases.append('"' + " ".join(chosen) + '"')
    return phrases


# -- running and measuring -------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    stdout: str


def run_watched(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `command`, sampling the summed RSS of it and its children every 50 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return Run(seconds, peak / 1e6, stdout)


def _tree_rss(pid: int) -> int:
    """Bytes of RSS of `pid` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child, parent = int(entry), int(fields[1])
        children.setdefault(parent, []).append(child)
        rss[child] = int(fields[21]) * page
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, numbers right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 1) + (":" if n else "-") for w, n in zip(widths, numeric)) + "|"]
    for row in rows:
        cells = [str(c).rjust(w) if n else str(c).ljust(w) for c, w, n in zip(row, widths, numeric)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "").replace("x", "").replace("%", "").lstrip("-").isdigit()


@dataclass
class LocalCluster:
    """A Dask scheduler and workers, each a process of its own bound to 127.0.0.1 (see
    start_cluster); stopped by pid."""

    address: str
    scheduler: subprocess.Popen  # type: ignore[type-arg]
    workers: list[subprocess.Popen] = field(default_factory=list)  # type: ignore[type-arg]
    logs: list = field(default_factory=list)  # type: ignore[type-arg]

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        for log in self.logs:
            log.close()


def start_cluster(folder: Path, workers: int = 2, port: int = 0) -> LocalCluster:
    """A scheduler (on `port`, 0: any free one) and `workers` workers of one thread, no
    nanny (a killed worker stays dead), each a process bound to 127.0.0.1 with its
    dashboard on 127.0.0.1 too (Dask's --no-dashboard alone still opened a port on every
    interface); logs in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)  # (an earlier run's names a scheduler gone)
    loopback = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]
    log = (folder / "scheduler.log").open("w")
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port),
                                  "--scheduler-file", str(scheduler_file), *loopback], stdout=log, stderr=log)
    cluster = LocalCluster("", scheduler, logs=[log])
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the scheduler did not start: see {folder / 'scheduler.log'}")
            time.sleep(0.1)
        cluster.address = json.loads(scheduler_file.read_text())["address"]
        if not cluster.address.startswith("tcp://127.0.0.1:"):
            raise RuntimeError(f"the scheduler listens on {cluster.address}, not on 127.0.0.1")
        for number in range(workers):
            log = (folder / f"worker-{number}.log").open("w")
            cluster.logs.append(log)
            cluster.workers.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", cluster.address, "--no-nanny", "--nthreads", "1",
                 *loopback], stdout=log, stderr=log))
        from distributed import Client

        with Client(cluster.address, set_as_default=False, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def rss_mb(pid: int) -> float:
    """The RSS of one process, in MB."""
    with open(f"/proc/{pid}/statm", encoding="utf-8") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


WEB_PAGES = DATA / "web"


@dataclass
class WebPage:
    """A judged page of ../shared/data/web: its address, file, bytes and snippets."""

    url: str  # the address it was saved from, or a made-up one under eval.invalid
    file: Path
    data: bytes
    with_: list[str]
    without: list[str]


def web_pages(folder: Path = WEB_PAGES) -> list[WebPage]:
    """The judged pages, in evaldata.json's order."""
    judged = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in judged.items():
        file = folder / "pages" / item["file"]
        # (A WARC-Target-URI has no spaces: one address of the set has one.)
        url = key.replace(" ", "%20") if key.startswith(("http://", "https://")) else f"https://eval.invalid/{item['file']}"
        pages.append(WebPage(url, file, file.read_bytes(), item["with"], item["without"]))
    return pages


def write_warc(path: Path, pages: list[tuple[str, bytes]], *, others: bool = True, truncated: bool = False,
               date: str | None = None) -> None:
    """A gzipped WARC of `pages` ((url, html)) as a crawler writes it: each page a
    response record with HTTP headers, gzip per record; with `others`, a request record
    before each page and a metadata record and an image response every tenth; with
    `truncated`, a last page cut in the middle of its record. Every record's WARC-Date is
    `date` (ISO 8601, e.g. "2026-01-01T00:00:00Z"), else the time of writing (a page
    with no date of its own is dated by it)."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)

        def dated() -> dict[str, str]:
            return {"WARC-Date": date} if date else {}

        def response(url: str, body: bytes, content_type: str, status: str = "200 OK") -> None:
            headers = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=headers,
                                                          warc_headers_dict=dated()))

        for number, (url, html) in enumerate(pages):
            if others:
                request = f"GET / HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n\r\n".encode()
                writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(request),
                                                              length=len(request), warc_headers_dict=dated()))
            response(url, html, "text/html")
            if others and number % 10 == 0:
                note = b'{"fetched-by": "bench"}'
                writer.write_record(writer.create_warc_record(url, "metadata", payload=io.BytesIO(note),
                                                              length=len(note), warc_headers_dict=dated()))
                response(url.rstrip("/") + "/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
        if truncated:
            start = out.tell()
            response("https://eval.invalid/cut-short", b"<html><body><p>" + b"cut " * 5000 + b"</p></body></html>",
                     "text/html")
            end = out.tell()
    if truncated:
        with path.open("r+b") as cut:
            cut.truncate(start + (end - start) // 2)
