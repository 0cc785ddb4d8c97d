#!/usr/bin/env python3
"""`searcher serve` under load, against the library's own search of the same queries, in one run.

    python scripts/bench_serve.py [--corpus reuters] [--clients 8] [--searches 500] [--rounds 3] [--keep DIR]

It builds (or, with --keep, reuses) the corpus's index, then, with 200 title and 50
one- or two-word queries (fixed seed):

- the library: `Index.search` as the API calls it (top 10, 2 passages, every facet),
  warm, in this process, each query the median of `--rounds`: the baseline;
- one client: each query through `GET /api/v1/search` on one kept-alive connection to
  `searcher serve` (a process of its own on 127.0.0.1, stopped by its pid at the end),
  the median of `--rounds`, taking turns with the library query by query: what the
  server adds to a search, p50 and p95;
- load: `--clients` clients at once (threads, a connection each), each making
  `--searches` searches through the query list from its own starting place: errors
  (any answer but 200), p50 and p95 of what each waited, and searches a second. The
  server answers one search at a time (web/library.py), so a client waits for those
  ahead of it: at 8 clients, about 8 searches' time.

Every answer of the load is checked: a 200 whose hits are those of the library for
that query (ids, in order).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

REUTERS_CONFIG = "fields:\n  category: topics\n  dateline: places\nduplicates: true\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="reuters")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--searches", type=int, default=500, help="searches each client makes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--titles", type=int, default=200)
    parser.add_argument("--short", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="keep the index in this folder, and reuse it")
    args = parser.parse_args()

    with benchlib.work_folder(args.keep, "bench-serve-") as work:
        corpus = benchlib.corpus_path(args.corpus, work)
        config_path = benchlib.configured_index(corpus, work / f"{Path(args.corpus).stem}-index",
                                                REUTERS_CONFIG if args.corpus == "reuters" else "")
        queries = benchlib.query_set(corpus, args.titles, args.short, seed=args.seed)
        server = start_server(config_path)
        try:
            library, one, expected = side_by_side(config_path, server.address, queries, args.rounds)
            load = under_load(server.address, queries, expected, args.clients, args.searches)
        finally:
            server.stop()
    p = benchlib.percentile
    rows = [
        [f"library, `Index.search` here ({len(queries)} queries)",
         f"{statistics.median(library):.1f} / {p(library, 0.95):.1f} ms"],
        ["one client, `GET /api/v1/search` on one connection", f"{statistics.median(one):.1f} / {p(one, 0.95):.1f} ms"],
        [f"{args.clients} clients at once, {args.searches} searches each: what each waited",
         f"{statistics.median(load.waits):.1f} / {p(load.waits, 0.95):.1f} ms"],
    ]
    print(benchlib.table(["what (p50 / p95)", "figure"], rows))
    print()
    added = p(one, 0.95) - p(library, 0.95)
    facts = [
        ["the server adds to a search, p95 (one client less the library)", f"{added:+.1f} ms",
         "yes" if added <= 3 else "**no**"],
        ["the server adds to a search, p50", f"{statistics.median(one) - statistics.median(library):+.1f} ms", ""],
        [f"{args.clients} clients: answers other than 200, or hits not the library's", f"{load.errors} of "
         f"{len(load.waits)}", "yes" if load.errors == 0 else "**no**"],
        [f"{args.clients} clients: searches a second (the library alone: {1000 / statistics.mean(library):.0f})",
         f"{load.rate:.0f}", ""],
    ]
    print(benchlib.table(["issue 18's load test", "measured", "target met (<= 3 ms; no error)"], facts))


def side_by_side(config_path: Path, address: str, queries: list[str],
                 rounds: int) -> tuple[list[float], list[float], dict[str, list[str]]]:
    """Each query's median time (ms) through the library, as the API makes the call, and
    through the server on one kept-alive connection, the two taking turns query by query
    (so that a busy moment of the machine falls on both); and each query's hits' ids."""
    from searcher import Index
    from searcher.config import load_config
    from searcher.web.params import Search

    place = urlsplit(address)
    connection = http.client.HTTPConnection(place.hostname, place.port, timeout=60)
    library: list[list[float]] = [[] for _ in queries]
    served: list[list[float]] = [[] for _ in queries]
    expected = {}
    with Index.open(config=load_config(config_path)) as index:
        for query in queries:  # (warm, both)
            expected[query] = [hit.id for hit in Search(q=query).run(index)]
            _get(connection, query)
        for _ in range(rounds):
            for number, query in enumerate(queries):
                started = time.perf_counter()
                Search(q=query).run(index)
                library[number].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                status, _ = _get(connection, query)
                served[number].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise SystemExit(f"GET /api/v1/search?q={query!r}: {status}")
    connection.close()
    return ([statistics.median(values) for values in library], [statistics.median(values) for values in served],
            expected)


class Server:
    def __init__(self, process: subprocess.Popen, address: str) -> None:  # type: ignore[type-arg]
        self.process, self.address = process, address

    def stop(self) -> None:
        os.kill(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_server(config_path: Path) -> Server:
    """`searcher serve` on a free port of 127.0.0.1; its log lines go nowhere (one a request)."""
    process = subprocess.Popen([str(benchlib.SEARCHER), "--config", str(config_path), "serve", "--port", "0"],
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "SEARCHER_TOKEN": ""})
    line = process.stderr.readline()
    found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
    if not found:
        process.kill()
        raise SystemExit(f"searcher serve did not start: {line}{process.stderr.read()}")
    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()  # (drained)
    return Server(process, found.group(1))


def _get(connection: http.client.HTTPConnection, query: str) -> tuple[int, bytes]:
    connection.request("GET", "/api/v1/search?" + urlencode({"q": query}))
    answer = connection.getresponse()
    return answer.status, answer.read()


class Load:
    def __init__(self) -> None:
        self.waits: list[float] = []
        self.errors = 0
        self.rate = 0.0
        self.lock = threading.Lock()


def under_load(address: str, queries: list[str], expected: dict[str, list[str]], clients: int,
               searches: int) -> Load:
    place = urlsplit(address)
    load = Load()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(place.hostname, place.port, timeout=120)
        waits, errors = [], 0
        for step in range(searches):
            query = queries[(number * len(queries) // clients + step) % len(queries)]
            started = time.perf_counter()
            try:
                status, body = _get(connection, query)
            except (OSError, http.client.HTTPException):
                status, body = 0, b""
                connection.close()
                connection = http.client.HTTPConnection(place.hostname, place.port, timeout=120)
            waits.append((time.perf_counter() - started) * 1000)
            if status != 200 or [hit["id"] for hit in json.loads(body)["hits"]] != expected[query]:
                errors += 1
        connection.close()
        with load.lock:
            load.waits.extend(waits)
            load.errors += errors

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.rate = len(load.waits) / (time.perf_counter() - started)
    return load


if __name__ == "__main__":
    main()
