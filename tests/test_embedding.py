"""Embedding searcher changes nothing in the program that embeds it.

A library that patches Whoosh's classes, or sets the process's garbage collector, csv
limit or umask, changes every other user of them in that program. The test imports
every module of searcher in a fresh interpreter, indexes (with worker processes),
searches, reads a CSV with a long field and exports, and compares what the process
and Whoosh look like before and after, and during the index run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

_PROGRAM = textwrap.dedent(r'''
    import csv, gc, importlib, json, multiprocessing, os, pkgutil, signal, sys, warnings
    import whoosh, whoosh.analysis, whoosh.codec.whoosh3, whoosh.fields, whoosh.filedb.compound
    import whoosh.filedb.filestore, whoosh.filedb.structfile, whoosh.highlight, whoosh.index
    import whoosh.multiproc, whoosh.qparser, whoosh.reading, whoosh.scoring, whoosh.searching
    import whoosh.writing
    import numpy  # (its import adds warning filters of its own: a dependency's doing, not ours)

    def umask():
        with open("/proc/self/status") as status:
            return next(line.split()[1] for line in status if line.startswith("Umask:"))

    def process():
        return {
            "gc threshold": gc.get_threshold(), "gc enabled": gc.isenabled(),
            "csv field limit": csv.field_size_limit(), "umask": umask(),
            "start method": multiprocessing.get_start_method(allow_none=True),
            "SIGINT": repr(signal.getsignal(signal.SIGINT)), "SIGTERM": repr(signal.getsignal(signal.SIGTERM)),
            "recursion limit": sys.getrecursionlimit(), "warning filters": repr(warnings.filters),
            "environment": dict(os.environ), "cwd": os.getcwd(),
        }

    def whoosh_state():
        # Every name of every Whoosh module loaded, and of every class they define:
        # a replaced class, function or method shows as another object.
        state = {}
        for name, module in sorted(sys.modules.items()):
            if name.startswith("whoosh") and module is not None:
                for attr, value in vars(module).items():
                    state[f"{name}.{attr}"] = id(value)
                    if isinstance(value, type) and value.__module__ == name:
                        for member, member_value in vars(value).items():
                            state[f"{name}.{attr}.{member}"] = id(member_value)
        return state

    before = process(), whoosh_state()

    import searcher
    modules = [info.name for info in pkgutil.walk_packages(searcher.__path__, "searcher.")
               if info.name != "searcher.__main__"]  # (that one is the command: it runs)
    for name in modules:
        importlib.import_module(name)
    after_import = process(), whoosh_state()

    from pathlib import Path
    from searcher import Index
    from searcher.config import Config
    from searcher.news.export import export_hits
    from searcher.indexing.update import Progress, update_index

    folder = Path(sys.argv[1])
    during = []

    class Watching(Progress):
        def advance(self, amount=1):
            during.append(process()["gc threshold"])

    config = Config(index=folder / "ix", workers=2)
    report = update_index(config, [folder / "news.jsonl", folder / "long.csv"], progress=Watching())
    with Index.open(config.index, config) as index:
        results = index.search("harbour strike", limit=5)
        export_hits(results, results.total, str(folder / "out.csv"), "csv", ("id", "title"))
        long_body = index.get("long-1").body
        segments = index.stats().segments  # (a closed index's calls are errors)
    after_use = process(), whoosh_state()

    def differences(a, b):
        # (what was there and changed or went; a module loaded since brings new names)
        return sorted(key for key in a if a[key] != b.get(key))

    print(json.dumps({
        "modules": len(modules),
        "added": report.added,
        "segments": segments,
        "hits": [hit.id for hit in results],
        "long body": len(long_body),
        "export mode": oct(os.stat(folder / "out.csv").st_mode & 0o777),
        "gc thresholds during the run": sorted(set(during)),
        "gc threshold before": before[0]["gc threshold"],
        "process changed by import": differences(before[0], after_import[0]),
        "whoosh changed by import": differences(before[1], after_import[1])[:10],
        "whoosh names seen": len(before[1]),
        "process changed by use": differences(before[0], after_use[0]),
        "whoosh changed by use": differences(before[1], after_use[1])[:10],
    }))
''')


def test_importing_and_using_searcher_changes_nothing_in_whoosh_or_the_process(tmp_path: Path) -> None:
    # Enough for a parallel first build (update.PARALLEL_MIN_BYTES), and a CSV
    # whose body is past csv's default 128 KiB field limit.
    with (tmp_path / "news.jsonl").open("w", encoding="utf-8") as out:
        for number in range(1500):
            topic = "harbour strike" if number % 50 == 0 else "council budget"
            out.write(json.dumps({"id": f"n{number}", "title": f"Story {number} on the {topic}",
                                  "body": f"Workers and officials met about the {topic} on day {number}. " * 12}) + "\n")
    long_body = "The harbour strike went on. " * 6000
    (tmp_path / "long.csv").write_text(f'id,title,body\nlong-1,A long report,"{long_body}"\n', encoding="utf-8")
    script = tmp_path / "embed.py"
    script.write_text(_PROGRAM, encoding="utf-8")
    # (os.umask(0o022) in the child's start: a known umask for the export's mode)
    run = subprocess.run([sys.executable, "-c", f"import os; os.umask(0o022); exec(open({str(script)!r}).read())",
                          str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["modules"] >= 30
    assert seen["added"] == 1501 and seen["segments"] >= 2  # (two workers wrote)
    assert seen["hits"] and seen["long body"] == len(long_body.strip())
    assert seen["export mode"] == "0o644"
    assert seen["gc thresholds during the run"] == [seen["gc threshold before"]]
    assert seen["process changed by import"] == []
    assert seen["whoosh names seen"] > 3000
    assert seen["whoosh changed by import"] == []
    assert seen["process changed by use"] == []
    assert seen["whoosh changed by use"] == []
