"""A fleet scan on Dask: one task per repository (a large one split into batches of files), each
repository's files read from git here and shipped to the workers, results written to the store
here, once, as they arrive. A repository whose commit was scanned before with the same settings
is not scanned again. A task lost with its worker is submitted again (Dask reruns what it can;
what it cannot, this loop does), so a dying worker costs time, never results."""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flaglint import __version__
from flaglint.engine.config import Config
from flaglint.fleet.repos import Repository, batches, read_tree
from flaglint.fleet.store import Store
from flaglint.fleet.task import RepoScan, RepoTask, scan_tree
from flaglint.model import Problem

BATCH_FILES = 2_000  # a repository with more Python files than this is scanned in several tasks
ATTEMPTS = 3  # a repository's tasks are submitted at most this often when workers die under them
Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    """What a fleet scan did: the run, which repositories it scanned, which it reused, and the
    repositories it could not scan (one problem each)."""

    run_id: int
    scanned: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def settings_key(organisation: str) -> str:
    """What a stored scan depends on besides the commit: flaglint's version and the organisation
    settings (a repository's own settings are part of its commit)."""
    return hashlib.blake2b(f"{__version__}\n{organisation}".encode(), digest_size=10).hexdigest()


@dataclass
class _Pending:
    repo: Repository
    tasks: int
    parts: list[RepoScan] = field(default_factory=list)
    attempts: int = 1


def _merge(parts: Sequence[RepoScan]) -> RepoScan:
    first = parts[0]
    refs = tuple(r for p in parts for r in p.refs)
    problems = tuple(dict.fromkeys(x for p in parts for x in p.problems))
    return RepoScan(first.repo, first.commit, sum(p.files for p in parts), refs, problems, first.settings)


def _ship(client: Any, files: dict[str, bytes], tasks: int) -> Any:
    """The files as the tasks receive them: sent to the cluster once when several tasks read them
    (a worker dying while it takes them costs only that: they travel with each task instead),
    else inside the one task, which the scheduler can run again anywhere."""
    if tasks > 1 and files:
        try:
            return client.scatter(files, hash=False)
        except OSError:  # the worker chosen to hold them went away
            pass
    return files


def scan_fleet(
    repositories: Sequence[Repository],
    store: Store,
    connect: Callable[[], Any],  # the distributed.Client, made only when something is to be scanned
    organisation: Config | None,
    settings: str,
    *,
    now: dt.datetime,
    clock: Callable[[], dt.datetime],
    registry: str | None = None,
    config: str | None = None,
    batch_files: int = BATCH_FILES,
    progress: Progress | None = None,
) -> Outcome:
    """Scan every repository that moved since it was last scanned, on the cluster of the client
    `connect` gives, and record the run in `store`."""
    from distributed import as_completed

    outcome = Outcome(store.start_run(now, settings, registry, config))
    todo: list[Repository] = []
    for repo in repositories:
        store.add_repository(repo.name, str(repo.git_dir), now)
        if store.has_scan(repo.name, repo.commit, settings):
            store.use_scan(outcome.run_id, repo.name, repo.commit, repo.ref, reused=True)
            outcome.reused.append(repo.name)
        else:
            todo.append(repo)
    total, done = len(repositories), len(outcome.reused)
    if progress is not None:
        progress(done, total)
    if not todo:
        store.finish_run(outcome.run_id, clock(), 0, len(outcome.reused))
        return outcome
    client = connect()
    pending: dict[str, _Pending] = {}
    owner: dict[str, tuple[str, int]] = {}  # future key -> (repository, attempt)
    running = as_completed([], with_results=False)
    window = max(2, 2 * len(client.scheduler_info().get("workers", {})))

    def submit(repo: Repository, attempt: int = 1) -> None:
        files = read_tree(repo.git_dir, repo.commit)
        python = sorted(p for p in files if p.endswith((".py", ".pyi")))
        parts = list(batches(python, batch_files)) if len(python) > batch_files else [None]
        shipped = _ship(client, files, len(parts))
        pending[repo.name] = _Pending(repo, len(parts), attempts=attempt)
        for index, only in enumerate(parts):
            task = RepoTask(repo.name, repo.commit, only)
            key = f"flaglint-scan-{repo.name}-{repo.commit[:12]}-{index}-{attempt}"
            with warnings.catch_warnings():  # a repository's files travel with its task, whatever their size
                warnings.filterwarnings("ignore", "Large object", UserWarning)
                future = client.submit(scan_tree, task, shipped, organisation, key=key, pure=False, retries=1)
            owner[future.key] = (repo.name, attempt)
            running.add(future)

    queue = list(todo)
    while queue and len(pending) < window:
        submit(queue.pop(0))
    for future in running:
        name, attempt = owner.pop(future.key)
        state = pending.get(name)
        if state is None or state.attempts != attempt:  # a part of an attempt already given up
            future.release()
            continue
        try:
            part: RepoScan = future.result()
        except Exception as exc:  # a worker lost with its data, or the scan failed: tried again, then said
            future.release()
            del pending[name]
            if state.attempts < ATTEMPTS:
                submit(state.repo, state.attempts + 1)
                continue
            outcome.problems.append(Problem(name, 0, 0, f"scan failed: {type(exc).__name__}: {exc}"))
            done += 1
        else:
            future.release()
            state.parts.append(part)
            if len(state.parts) < state.tasks:
                continue
            del pending[name]
            store.save_scan(_merge(state.parts), settings, now)
            store.use_scan(outcome.run_id, name, state.repo.commit, state.repo.ref, reused=False)
            outcome.scanned.append(name)
            done += 1
        if progress is not None:
            progress(done, total)
        while queue and len(pending) < window:
            submit(queue.pop(0))
    store.finish_run(outcome.run_id, clock(), len(outcome.scanned), len(outcome.reused))
    return outcome
