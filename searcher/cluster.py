"""A sharded index searched and built on a Dask cluster (the `[cluster]` extra).

The index lives on storage that every worker and this process read (a shared
filesystem). Dask's scheduler, workers, actors and failure detection are the cluster:

- searching: a `ShardActor` on each worker keeps the reading sessions of the shards it
  holds open between queries and answers search/shard.py's two questions. `ClusterShards`
  asks every actor at once. Before each search it reads each shard's last commit number
  from the folder (no actor call); when one has changed, the actors reopen their shards
  and hand back their BM25 statistics, which are summed and handed to each (once per
  index generation). A search then costs one call to every actor, made together (two
  when the merged top k wants a hit that a worker did not make: search/shard.py).
- building: each shard's index run (indexing/update.index_part) is a Dask task; a task
  whose worker dies is run again by Dask on another, as a killed `searcher index` is.

Faults: an actor whose worker died (or that fails to answer) is made again on a live
worker and the search is asked again, once; then a ClusterError names the shard. A
scheduler that does not answer within `cluster_timeout` is a ClusterError too: never a
result missing a shard. The single-machine commands never import this module (nor Dask).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from concurrent.futures import CancelledError  # (Dask's FutureCancelledError: an actor of a scheduler lost)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from .config import Config
from .engine.folder import latest_generation, shard_count, shard_name
from .errors import ClusterError, IndexReadError, SearcherError, install_hint
from .paths import display_path

if TYPE_CHECKING:
    from .engine.scoring import CollectionStatistics
    from .indexing.update import PartRun
    from .search.shard import Fetched, ShardFetch, ShardMatches, ShardQuery

#: Failures of the cluster itself, as Dask raises them (a worker gone, a connection closed).
_LOST = (OSError, EnvironmentError, TimeoutError, ValueError, RuntimeError, KeyError, CancelledError)


def connect(address: str, timeout: float) -> Any:
    """A distributed.Client of the scheduler at `address`, with at least one worker;
    ClusterError (one line) when it does not answer within `timeout` seconds."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("searching or building on a Dask cluster needs Dask",
                           hint=install_hint("cluster")) from None
    # (Dask logs each failed connection attempt as an error on stderr: the one line that
    # matters is ours. Its loggers are Dask's own, quietened while connecting only.)
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        client = Client(address, timeout=timeout, set_as_default=False, direct_to_workers=True)
    except (OSError, TimeoutError) as error:
        raise ClusterError(f"the Dask scheduler at {address} did not answer within {timeout:g} s "
                           f"({type(error).__name__})",
                           hint="check the address, or set cluster_timeout in searcher.yaml") from None
    finally:
        logger.setLevel(level)
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise ClusterError(f"the Dask cluster at {address} has no worker (waited {timeout:g} s)",
                           hint=f"start one (dask worker {address}), or work here with --cluster \"\"") from None
    return client


class ShardActor:
    """The shards of a sharded index that one worker holds (a Dask actor): each one's
    reading session, kept between queries, and their answers (search/shard.py), given for
    all of them in one call, with the hits of their best candidates made already."""

    def __init__(self, folder: str, numbers: list[int], config: Config) -> None:
        self._folders = [Path(folder) / shard_name(number) for number in numbers]
        self._top = Path(folder)
        self._config = config
        self._indexes: list[Any] = []
        self._shards: Any = None

    def open(self) -> list[tuple[int, CollectionStatistics]]:
        """Open each shard's last commit; each one's generation and BM25 statistics."""
        from .engine.scoring import CollectionStatistics
        from .index import Index
        from .search.shard import LocalShards

        self.close()
        self._indexes = [Index.open(folder, self._config) for folder in self._folders]
        for index in self._indexes[1:]:
            index.share_queries(self._indexes[0])
        searches = [index.shard_search() for index in self._indexes]
        self._shards = LocalShards([search.snapshot for search in searches])
        return [(snapshot.generation, CollectionStatistics.of(snapshot.searcher)) for snapshot in self._shards.snapshots]

    def use(self, statistics: CollectionStatistics, generation: int) -> None:
        """Score with the statistics of the whole index (at `generation`, the sum of its
        shards'), whose near-duplicate groups are saved in its folder."""
        for snapshot in self._shards.snapshots:
            snapshot.searcher.weighting.statistics = statistics
            snapshot.groups_of(self._top, generation)

    # The answers to a search run on the worker's event loop (async), not in Dask's actor
    # thread: a few ms of work each, and the hand-over between the threads cost about
    # 1 ms a call here (BBC's short queries, one worker: 6.8 ms p50 a call, 5.5 async).
    # Opening, which reads every term of a shard, stays in the thread.

    async def matches(self, request: ShardQuery) -> list[ShardMatches]:
        from .search.results import with_hits

        return with_hits(self._shards, request)

    async def fetch(self, requests: list[ShardFetch | None]) -> list[Fetched | None]:
        return self._shards.fetch(requests)

    async def spellings(self, words: list[str]) -> list[dict[str, dict[str, tuple[int, int, int]]]]:
        return self._shards.spellings(words)

    def close(self) -> None:
        for index in self._indexes:
            index.close()
        self._indexes, self._shards = [], None


class ClusterShards:
    """The shards of the sharded index at `folder`, open in a ShardActor on each worker
    of the cluster (search/shard.Shards)."""

    def __init__(self, folder: Path, count: int, config: Config) -> None:
        self.folder, self.count, self.config = folder, count, config
        self._address = config.cluster or ""
        self._client = connect(self._address, config.cluster_timeout)
        self._actors: list[Any] = []
        self._held: list[list[int]] = []  # the shards each actor holds
        self._generations: list[int] | None = None  # of the shards as the actors read them

    def _start(self) -> None:
        """An actor on each live worker, the shards shared out among them."""
        info = self._client.scheduler_info()
        if "workers" not in info:  # (a client that lost its scheduler knows none)
            raise _SchedulerLost(f"lost the Dask scheduler at {self._address}")
        workers = sorted(info["workers"])
        if not workers:
            others = f", nor its {self.count - 1} other shards" if self.count > 1 else ""
            raise _ShardLost(f"the Dask cluster at {self._address} has no worker left to serve {shard_name(0)} of "
                             f"{display_path(self.folder)}{others}")
        self._held = [list(range(self.count))[place::len(workers)] for place in range(min(len(workers), self.count))]
        futures = [self._client.submit(ShardActor, str(self.folder), held, self.config, actor=True,
                                       workers=[worker], allow_other_workers=True, pure=False)
                   for worker, held in zip(workers, self._held)]
        self._actors = []
        for held, future in zip(self._held, futures):
            try:
                self._actors.append(future.result(timeout=self.config.cluster_timeout))
            except _LOST as error:
                self._actors = []
                raise _ShardLost(f"the cluster at {self._address} could not open {shard_name(held[0])} of "
                                 f"{display_path(self.folder)} ({type(error).__name__}: {error})") from None
        self._generations = None

    def _ready(self) -> None:
        """Every shard open at its last commit, scoring with the statistics of them all."""
        from .engine.scoring import CollectionStatistics

        if shard_count(self.folder) != self.count:
            raise IndexReadError(f"the index at {display_path(self.folder)} was made again with other shards since it "
                                "was opened", hint="open it again (a new searcher command does)")
        if not self._actors:
            self._start()
        now = [latest_generation(self.folder / shard_name(number)) for number in range(self.count)]
        if now == self._generations:
            return
        opened = self._in_order(self._call(lambda actor, _: actor.open()))
        statistics = CollectionStatistics.combined(part for _, part in opened)
        generation = sum(generation for generation, _ in opened)
        self._call(lambda actor, _: actor.use(statistics, generation))
        self._generations = [generation for generation, _ in opened]

    def _call(self, call: Callable[[Any, int], Any]) -> list[Any]:
        """`call(actor, place)` of every actor (a method call, or None for none), made
        together; their answers, or _ShardLost naming a shard of the first worker that
        failed (a shard's own SearcherError, a bad query, is raised as is).

        The calls are made and awaited in one coroutine on the client's event loop, with
        one hand-over between this thread and the loop's: made and awaited one by one
        from here, each call took two. A call to 2 workers' actors that does nothing took
        1.9 ms p50 / 2.7 ms p95 that way, 1.2-1.3 / 1.7-2.2 ms this way."""
        answers = self._client.sync(self._together, call)
        failed = [(place, answer) for place, answer in enumerate(answers) if isinstance(answer, _Failed)]
        if failed:
            self._actors = []  # (made again on the live workers at the next try)
            place, error = failed[0]
            raise _ShardLost(f"the cluster at {self._address} could not serve {shard_name(self._held[place][0])} of "
                             f"{display_path(self.folder)} ({error})")
        return answers

    async def _together(self, call: Callable[[Any, int], Any]) -> list[Any]:
        """_call's answers, on the client's event loop: each actor's, or _Failed."""
        import asyncio

        async def answer(place: int, actor: Any) -> Any:
            try:
                future = call(actor, place)  # (Dask says at once of an actor whose worker it knows is gone)
                return None if future is None else await future
            except SearcherError:
                raise
            except _LOST as error:
                return _Failed(error)

        tasks = [asyncio.ensure_future(answer(place, actor)) for place, actor in enumerate(self._actors)]
        await asyncio.wait(tasks, timeout=self.config.cluster_timeout)
        answers = []
        for task in tasks:
            if not task.done():
                task.cancel()
                answers.append(_Failed(TimeoutError(f"no answer within {self.config.cluster_timeout:g} s")))
            else:
                answers.append(task.result())
        return answers

    def _in_order(self, answers: list[list[Any]]) -> list[Any]:
        """The actors' answers (a list for the shards each holds) in shard order."""
        ordered: list[Any] = [None] * self.count
        for held, answer in zip(self._held, answers):
            for number, one in zip(held, answer):
                ordered[number] = one
        return ordered

    def matches(self, request: ShardQuery) -> list[ShardMatches]:
        return self._in_order(self._call(lambda actor, _: actor.matches(request)))

    def fetch(self, requests: Sequence[ShardFetch | None]) -> list[Fetched | None]:
        asked = [[requests[number] for number in held] for held in self._held]
        answers = self._call(lambda actor, place: actor.fetch(asked[place]) if any(asked[place]) else None)
        return self._in_order([answer or [None] * len(held) for answer, held in zip(answers, self._held)])

    def spellings(self, words: Sequence[str]) -> list[dict[str, dict[str, tuple[int, int, int]]]]:
        return self._in_order(self._call(lambda actor, _: actor.spellings(list(words))))

    def ask(self, question: Any) -> Any:
        """`question(self)` (a search of every shard), with the shards ready; asked again
        once, with the shards shared out again among the live workers, when a worker failed."""
        for attempt in itertools.count():
            try:
                if self._client.status != "running":  # (reconnecting, or closed: its calls would fail)
                    raise _SchedulerLost(f"lost the Dask scheduler at {self._address}")
                # (An actor's handle finds its client as Dask's "current" one: this one, for
                # these calls only, not the process's default.)
                with self._client.as_current():
                    self._ready()
                    return question(self)
            except _SchedulerLost:
                # A trial: once the scheduler was lost, every later call of a long-lived Index
                # (a server's) was a KeyError, even with the scheduler back at its address.
                # A new client finds it there again, or says in one line that it can't.
                self._actors = []
                with contextlib.suppress(*_LOST):
                    self._client.close()
                self._client = connect(self._address, self.config.cluster_timeout)
                if attempt >= 2:
                    raise ClusterError(f"lost the Dask scheduler at {self._address}",
                                       hint="check the cluster; the next search connects again") from None
            except _ShardLost as error:
                if self._client.status != "running":
                    continue  # (the scheduler, not a worker, was lost: the next attempt connects again)
                if attempt >= 1:
                    raise ClusterError(str(error), hint="no worker could serve it; see the cluster's logs") from None

    def close(self) -> None:
        self._actors = []
        self._client.close()


class _Failed:
    """An actor's failure to answer, as _call's coroutine hands it back."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __str__(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"


class _ShardLost(ClusterError):
    """A worker holding a shard failed to answer (retried once: see ClusterShards.ask)."""


class _SchedulerLost(ClusterError):
    """The client lost the scheduler (connected again: see ClusterShards.ask)."""


def run_parts(address: str, timeout: float,
              parts: list[tuple[int, Config, list[str] | None, bool, int, int]]) -> Iterator[tuple[int, PartRun]]:
    """Each shard's index run (update.index_part) as a task on the cluster at `address`,
    yielding (shard, its PartRun) as each ends (indexing/shards.py's Runner). A task whose
    worker dies is run again by Dask on another worker; a run that fails raises its error
    once the others are over."""
    from distributed import as_completed

    client = connect(address, timeout)
    try:
        futures = {client.submit(_index_part, *arguments, pure=False): number for number, *arguments in parts}
        failure: BaseException | None = None
        for future in as_completed(futures, loop=client.loop):
            try:
                yield futures[future], future.result()
            except SearcherError as error:
                failure = failure or error
            except _LOST as error:
                failure = failure or ClusterError(
                    f"the cluster at {address} could not index {shard_name(futures[future])} "
                    f"({type(error).__name__}: {error})", hint="run the same command again to finish it")
        if failure is not None:
            raise failure
    finally:
        client.close()


def _index_part(config: Config, corpus: list[str] | None, rebuild: bool, number: int, count: int) -> PartRun:
    """update.index_part, as a task on a worker: with Python's full garbage collections
    made rare for the run's time (writing.rare_full_collections), as the command line
    does for its own runs. A Dask worker keeps many objects alive, and each full
    collection walks them all: one shard of Reuters x5 took 29.9 s on a worker, 25.1 s
    with this, 21.6-25.3 s in a process of its own. (The threshold is the worker
    process's: a task running beside this one collects rarely too, until the run ends.)"""
    from .engine.writing import rare_full_collections
    from .indexing.update import index_part

    with rare_full_collections():
        return index_part(config, corpus, rebuild, number, count)
