"""Run per-file work where one file costs one result, never the run. `deep` runs work that
recurses deeply (LibCST's parser and its visitors) on a thread with a large stack and a high
recursion limit; `parallel_map` spreads per-file work over the cores.

CPython's parser has already accepted every file that reaches LibCST, so the depth is bounded
by what CPython accepts (a few thousand levels); 512 MiB of stack (reserved, not committed) and a
recursion limit of 200,000 hold that. Anything deeper still ends as RecursionError or MemoryError
for the caller to turn into a one-line problem.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
J = TypeVar("J")

_STACK = 512 * 1024 * 1024
_RECURSION = 200_000
_NAME = "flaglint-deep"
_lock = threading.Lock()


def deep(work: Callable[[], T]) -> T:
    """`work()`, run on a large-stack thread; its exception, if any, is raised here."""
    if threading.current_thread().name == _NAME:  # already on a deep thread: its stack suffices
        return work()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed back to the calling thread
            failure.append(exc)

    with _lock:  # the recursion limit is process-wide: one deep job at a time per process
        previous_limit = sys.getrecursionlimit()
        previous_stack = threading.stack_size(_STACK)
        try:
            sys.setrecursionlimit(max(previous_limit, _RECURSION))
            thread = threading.Thread(target=run, name=_NAME, daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous_stack)
        thread.join()
        sys.setrecursionlimit(previous_limit)
    if failure:
        raise failure[0]
    return outcome[0]


def parallel_map(
    work: Callable[[J], T],
    jobs: Sequence[J],
    *,
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    inline: bool,
    chunks_per_worker: int = 4,
) -> Iterator[T]:
    """`work` over `jobs`, results in job order: in this process when `inline` (small batches, one
    worker), else on a fork-started process pool that is shut down however the caller stops.
    """
    if inline or workers < 2 or len(jobs) < 2:
        initializer(*initargs)
        yield from map(work, jobs)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    count = min(workers, len(jobs))
    pool = ProcessPoolExecutor(
        count, mp_context=context, initializer=start_worker, initargs=(os.getpid(), initializer, initargs)
    )
    try:
        yield from pool.map(work, jobs, chunksize=max(1, len(jobs) // (count * chunks_per_worker)))
    finally:
        pool.shutdown(cancel_futures=True)


_PR_SET_PDEATHSIG = 1


def start_worker(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    """A worker ends with its parent (however the parent ends: SIGKILL from a CI timeout too)
    and leaves Ctrl-C to the parent, which shuts the pool down.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: a worker ends when told
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
    initializer(*initargs)
