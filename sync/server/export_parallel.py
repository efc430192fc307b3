"""The province export on several cores, for big exports from the command line.

Opening, decoding and formatting a household costs several times what reading it from the
database does, and one Python process uses one core. Here the main process reads the rows
(one snapshot, a streaming cursor) and hands each chunk the cursor gives to a worker process,
which opens and formats it into CSV bytes (export.Formatter); the main process only writes them
in order, hashing them (app/export/files.py, as for one process: the same bytes,
tests/server/test_export.py). At most a few chunks are in flight, so memory stays flat.

The API never uses this: an HTTP request must not take every core from the ingest.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Generator, Iterable

IN_FLIGHT = 2  # tasks queued per worker (3 queued: slower on 2 cores)

_worker: dict = {}


def _init(make: Callable[..., Callable], args: tuple) -> None:
    _worker["fn"] = make(*args)


def _run(item):
    return _worker["fn"](item)


def in_processes(
    items: Iterable, workers: int, make: Callable[..., Callable], args: tuple
) -> Generator:
    """fn(item) for each item, in order, where each of `workers` processes makes its own fn
    once, as make(*args) (`make` and `args` are pickled: a module's function, plain data). At
    most IN_FLIGHT items per worker are out at a time; closing the generator stops the
    processes."""
    # spawn, not fork: the parent may hold database connections and threads.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, _init, (make, args)) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.apply_async(_run, (item,)))
            if len(pending) >= IN_FLIGHT * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
