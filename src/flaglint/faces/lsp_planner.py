"""Quick-fix plans for the language server, made in a process of their own.

A plan is pure Python work of a few hundred milliseconds on a large module; on a thread of the
server it would share the interpreter with the diagnostics of the edits that arrive meanwhile.
One spawned process (a fresh interpreter, never a fork of the threaded server) keeps a warm
workspace per project root and plans there; it ends with the server, however the server ends.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flaglint.engine.config import Config
from flaglint.engine.guard import start_worker
from flaglint.engine.workspace import Workspace
from flaglint.fix.step import Step

_workspaces: dict[Path, Workspace] = {}  # in the planning process: one warm workspace per root


@dataclasses.dataclass(frozen=True)
class PlanJob:
    """What a plan needs, sent to the planning process: the settings, the flag, the unsaved
    texts laid over the disk, and the file it is limited to (None: every file)."""

    config: Config
    values: tuple[tuple[str, str | None], ...]
    overlay: tuple[tuple[str, bytes], ...]
    only: str | None
    use_cache: bool


def run(job: PlanJob) -> Step:
    """The plan of `job` (both applicabilities), on this process's warm workspace of its root."""
    from flaglint.fix.clean import plan

    root = job.config.root
    workspace = _workspaces.get(root)
    if workspace is None or workspace.config != job.config:
        workspace = _workspaces[root] = Workspace(job.config, jobs=1, use_cache=job.use_cache)
    paths = [root / job.only] if job.only is not None else None
    return plan(
        job.config,
        dict(job.values),
        paths,
        jobs=1,
        use_cache=job.use_cache,
        overlay=dict(job.overlay),
        with_unsafe=True,
        workspace=workspace,
    )


def _ready() -> None:
    """Import what planning needs, so the first plan does not pay for it."""
    from flaglint.fix import clean  # noqa: F401


def start() -> ProcessPoolExecutor:
    """The planning process: spawned, dying with this one (PR_SET_PDEATHSIG), warmed up."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(1, mp_context=context, initializer=start_worker, initargs=(os.getpid(), _ready, ()))
    pool.submit(_ready)
    return pool
