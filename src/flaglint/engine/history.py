"""Flag debt over time: flags and references at commits sampled along the current branch, read
from git's objects (nothing is checked out). A file's counts are kept by blob hash, so a file
that did not change between samples (most of them) is parsed once, ever.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git
import pathspec

from flaglint.engine.cachedir import claim, write_json
from flaglint.engine.config import DEFAULT_EXCLUDE, Config
from flaglint.engine.detect import scan_source
from flaglint.engine.workspace import module_name
from flaglint.model import ModuleName

_SINCE = re.compile(r"(\d+)\s*([dwmy])")
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


@dataclass(frozen=True)
class Sample:
    commit: str  # short hash
    date: dt.date
    flags: int  # distinct flag keys the code names (a key it cannot resolve counts by its text)
    references: int


def parse_since(text: str, today: dt.date) -> dt.date:
    """`180d`, `26w`, `6m`, `1y` before today, or a date; ValueError otherwise."""
    found = _SINCE.fullmatch(text.strip())
    if found:
        return today - dt.timedelta(days=int(found.group(1)) * _DAYS[found.group(2)])
    return dt.date.fromisoformat(text.strip())


def sample_commits(repo: git.Repo, since: dt.date, points: int) -> list[git.Commit]:
    """Up to `points` commits on the current branch (first parents) since `since`, evenly spread,
    oldest first, always including the newest.
    """
    commits = list(repo.iter_commits("HEAD", first_parent=True, since=since.isoformat()))
    commits.reverse()
    if len(commits) <= points:
        return commits
    if points == 1:
        return commits[-1:]
    step = (len(commits) - 1) / (points - 1)
    return [commits[round(i * step)] for i in range(points)]


class BlobCounts:
    """(references, keys) per blob hash, stored in the cache folder between runs."""

    def __init__(self, folder: Path | None, fingerprint: str) -> None:
        self.file = folder / f"history-{fingerprint}.json" if folder is not None else None
        self.counts: dict[str, tuple[int, tuple[str, ...]]] = {}
        self.dirty = False
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8")) if self.file else {}
            if isinstance(raw, dict):
                self.counts = {k: (int(v[0]), tuple(map(str, v[1]))) for k, v in raw.items()}
        except (OSError, ValueError, TypeError, IndexError, KeyError):
            self.counts = {}

    def save(self) -> None:
        if self.file is None or not self.dirty or not claim(self.file.parent):
            return
        try:
            write_json(self.file, {k: [n, list(keys)] for k, (n, keys) in self.counts.items()}, "history")
        except OSError:
            return


def count(
    commit: git.Commit,
    config: Config,
    counts: BlobCounts,
    prefilter: Callable[[bytes], bool],
    folder: str = "",
) -> Sample:
    """Flags and references in the Python files of `commit` under `folder` (the project's place in
    the repository; excludes applied), by blob.
    """
    excluded = pathspec.GitIgnoreSpec.from_lines(config.exclude)
    keys: set[str] = set()
    references = 0
    try:
        tree = commit.tree / folder if folder else commit.tree
    except KeyError:  # the project's folder did not exist yet
        tree = None
    for rel, blob in _python_blobs(tree) if tree is not None else ():
        parts = PurePosixPath(rel).parts
        if any(part in DEFAULT_EXCLUDE for part in parts[:-1]) or excluded.match_file(rel):
            continue
        known = counts.counts.get(blob.hexsha)
        if known is None:
            data = blob.data_stream.read()
            known = (0, ())
            if prefilter(data):
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is not None:
                    found = scan_source(rel, text, ModuleName(*module_name(rel, config.src)), config.patterns)
                    known = (len(found.refs), tuple(sorted({r.key or r.key_text for r in found.refs})))
            counts.counts[blob.hexsha] = known
            counts.dirty = True
        references += known[0]
        keys.update(known[1])
    when = dt.datetime.fromtimestamp(commit.committed_date, dt.timezone.utc).date()
    return Sample(commit.hexsha[:10], when, len(keys), references)


def _python_blobs(tree: git.Tree, prefix: str = "") -> Iterator[tuple[str, git.Blob]]:
    for item in tree:
        rel = f"{prefix}{item.name}"
        if item.type == "tree":
            yield from _python_blobs(item, rel + "/")
        elif item.type == "blob" and rel.endswith(".py"):
            yield rel, item


def save_samples(folder: Path, samples: Sequence[Sample]) -> None:
    """The last history, for the HTML report's trend chart."""
    if not claim(folder):
        return
    payload = [[s.date.isoformat(), s.commit, s.flags, s.references] for s in samples]
    try:
        write_json(folder / "trend.json", {"samples": payload}, "trend")
    except OSError:
        return


def load_samples(folder: Path) -> list[Sample]:
    try:
        raw = json.loads((folder / "trend.json").read_text(encoding="utf-8"))
        return [Sample(c, dt.date.fromisoformat(d), int(f), int(r)) for d, c, f, r in raw["samples"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []
