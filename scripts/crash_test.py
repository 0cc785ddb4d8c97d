#!/usr/bin/env python3
"""Kill `searcher index` with SIGKILL at random moments and check that nothing is lost.

    python scripts/crash_test.py [--corpus bbc] [--kills 20] [--seed 7] [--commit-every 250] [--json]

Each round starts `searcher index CORPUS` on the same index (so each run resumes what
the killed one left; once the whole corpus is in, the next round starts from nothing),
kills its whole process group (workers included) at a random moment of a run, then
checks that:

- the index opens and answers a search;
- its article count is what it held before the run plus whole batches of
  --commit-every articles (never part of a batch), and at least what the run said it
  had saved before it was killed: the index is exactly as after a commit;
- no process of the run is left (a worker holding the write lock would block the next
  run).

After the last kill, one run without a kill must end with every article of the corpus.
Prints one line per kill and a summary (with --json, one JSON object per line).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

SAVED = re.compile(r"^([\d,]+) articles of this run saved$", re.MULTILINE)


def count_articles(index: Path) -> tuple[int, int]:
    """(articles, hits of a search for "the") in a fresh process, as a user would see them."""
    code = (
        "import sys\n"
        "from searcher import Index\n"
        "with Index.open(sys.argv[1]) as index:\n"
        "    print(len(index), index.search('the year', limit=5).total)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(index)], capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise AssertionError(f"the index does not open:\n{done.stderr}")
    articles, hits = map(int, done.stdout.split())
    return articles, hits


def running_in_session(session: int, grace: float = 2.0) -> list[str]:
    """Processes of a session still running (not zombies) after up to `grace` seconds:
    the workers of a killed run die with it, a moment later."""
    deadline = time.monotonic() + grace
    while True:
        listed = subprocess.run(["ps", "-o", "pid=,stat=", "-s", str(session)], capture_output=True, text=True).stdout
        alive = [pid for pid, state in (line.split()[:2] for line in listed.splitlines() if line.strip())
                 if not state.startswith("Z")]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="bbc", help="bbc, reuters, or a JSON lines file")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--commit-every", type=int, default=250, help="commit_every for the runs")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of text")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="crash-test-"))
    try:
        corpus = benchlib.corpus_path(args.corpus, work)
        total = benchlib.count_lines(corpus)
        index = work / "index"
        config = work / "searcher.yaml"
        config.write_text(f"commit_every: {args.commit_every}\nlock_wait: 5\n", encoding="utf-8")
        command = [str(benchlib.SEARCHER), "--config", str(config), "index", str(corpus), "--index", str(index),
                   "--json"]

        # How long a whole run takes, to kill the others anywhere in one.
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        full = time.perf_counter() - started
        shutil.rmtree(index)

        rng = random.Random(args.seed)
        survived, failures, before, kill, rounds = 0, [], 0, 0, 0
        while kill < args.kills and rounds < 3 * args.kills:
            rounds += 1
            if before == total:  # all indexed: the next kills start again from nothing
                shutil.rmtree(index)
                before = 0
            delay = rng.uniform(0.05, full)
            run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
            time.sleep(delay)
            finished = run.poll() is not None
            if not finished:
                os.killpg(run.pid, signal.SIGKILL)
                kill += 1  # (a run that ended before its kill is checked too, but is no kill)
            _, err = run.communicate()
            problems = []
            if finished and run.returncode:
                problems.append(f"the run failed by itself (exit {run.returncode}): {err.strip()[-300:]}")
            saved = max((int(found.replace(",", "")) for found in SAVED.findall(err)), default=0)
            try:
                articles, hits = count_articles(index) if index.exists() else (0, 0)
            except AssertionError as error:
                problems.append(str(error))
                articles, hits = -1, 0
            added = articles - before
            if articles >= 0 and not (added >= saved and (added % args.commit_every == 0 or articles == total)):
                problems.append(f"{articles} articles: {before} before the run plus {added}, not whole batches "
                                f"of {args.commit_every} (the run said {saved} were saved)")
            if articles > 0 and hits == 0:
                problems.append("a search for 'the year' found nothing")
            left = running_in_session(run.pid)
            if left:
                problems.append(f"processes of the killed run left running: {', '.join(left)}")
                for pid in left:
                    os.kill(int(pid), signal.SIGKILL)
            survived += not problems and not finished
            label = f"kill {kill}" if not finished else "a run not killed"
            failures.extend(f"{label}: {problem}" for problem in problems)
            line = {"kill": None if finished else kill, "after_s": round(delay, 2), "killed": not finished,
                    "articles": articles, "saved_by_the_run": saved, "ok": not problems}
            print(json.dumps(line) if args.json else
                  f"{label + ':':17} after {delay:4.2f} s, {articles:5} articles ({saved} said saved)"
                  f"{'' if not problems else ' FAILED: ' + '; '.join(problems)}", flush=True)
            before = max(articles, 0)

        done = subprocess.run(command, capture_output=True, text=True)
        final, _ = count_articles(index)
        if done.returncode or final != total:
            failures.append(f"the resumed run ended with {final} of {total} articles (exit {done.returncode})")
        summary = {"kills": kill, "survived": survived, "articles": final, "corpus_articles": total,
                   "lost": total - final, "failures": failures}
        print(json.dumps(summary) if args.json else
              f"\n{survived} of {kill} kills survived; the resumed run ended with {final:,} of {total:,} "
              f"articles ({total - final} lost)" + "".join(f"\n  {failure}" for failure in failures))
        sys.exit(1 if failures else 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
