"""One fleet task: scan (part of) one repository's tree at one commit with the same engine as
`flaglint scan`. It runs on a Dask worker, takes the files themselves (so a worker needs no
access to the repository), and returns plain data; running it twice gives the same answer."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flaglint.engine.config import Config, ConfigError, find_config, load_config
from flaglint.engine.workspace import scan_project
from flaglint.model import FlagRef, Problem


@dataclass(frozen=True)
class RepoTask:
    """What to scan: a repository's files at a commit, and which of them (None: all)."""

    repo: str
    commit: str
    only: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RepoScan:
    """What one task found: references (paths in the repository), files scanned, problems, and
    whose settings applied (`own`: the repository's `[tool.flaglint]`, else `organisation`)."""

    repo: str
    commit: str
    files: int
    refs: tuple[FlagRef, ...]
    problems: tuple[Problem, ...]
    settings: str


def _write(root: Path, files: Mapping[str, bytes]) -> None:
    for rel, data in files.items():
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            continue  # git never stores such a path; a crafted tree does not write outside
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _settings(root: Path, fallback: Config | None) -> tuple[Config, str, tuple[Problem, ...]]:
    """The repository's own settings when its pyproject.toml has [tool.flaglint], else the
    organisation's (their paths read in this tree); a broken own config falls back, said once."""
    own = find_config(root)
    problems: tuple[Problem, ...] = ()
    if own is not None and own.parent == root:  # not a pyproject.toml above the scan's folder
        try:
            return dataclasses.replace(load_config(own, root), cache_dir=None), "own", ()
        except ConfigError as exc:
            problems = tuple(dataclasses.replace(p, path="pyproject.toml") for p in exc.problems)
    base = fallback if fallback is not None else Config(root=root)
    return dataclasses.replace(base, root=root, config_path=None, cache_dir=None), "organisation", problems


def scan_tree(task: RepoTask, files: Mapping[str, bytes], organisation: Config | None) -> RepoScan:
    """Scan `files` (a repository's tree) as `flaglint scan` would in a checkout of it."""
    with tempfile.TemporaryDirectory(prefix="flaglint-fleet-") as folder:
        root = Path(folder).resolve()
        _write(root, files)
        config, settings, problems = _settings(root, organisation)
        paths = [root / p for p in task.only] if task.only is not None else None
        result = scan_project(config, paths, jobs=1, use_cache=False)
    return RepoScan(
        task.repo,
        task.commit,
        result.files,
        result.refs,
        (*problems, *result.problems),
        settings,
    )
