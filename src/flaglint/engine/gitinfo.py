"""What git knows about the project (through gitpython): dirty files, branches, commits."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path

import git

from flaglint.engine.cachedir import claim


class GitError(Exception):
    """A git operation flaglint needs failed; the message is one line for the user."""


def open_repo(folder: Path) -> git.Repo | None:
    """The repository holding `folder`, or None outside any."""
    try:
        return git.Repo(folder, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def dirty(repo: git.Repo, paths: Iterable[Path]) -> list[Path]:
    """Those of `paths` with uncommitted changes: unstaged, staged, or untracked."""
    top = Path(repo.working_tree_dir or ".").resolve()
    changed: set[str] = {item.a_path for item in repo.index.diff(None) if item.a_path is not None}
    if repo.head.is_valid():
        changed |= {item.a_path for item in repo.index.diff("HEAD") if item.a_path is not None}
    changed |= set(repo.untracked_files)
    out = []
    for path in paths:
        try:
            rel = path.resolve().relative_to(top).as_posix()
        except ValueError:
            continue
        if rel in changed:
            out.append(path)
    return out


def start_branch(repo: git.Repo, name: str) -> None:
    if not repo.head.is_valid():
        raise GitError("the repository has no commit to branch from")
    if name in {head.name for head in repo.heads}:
        raise GitError(f"branch {name!r} already exists")
    try:
        repo.git.checkout("-b", name)
    except git.GitCommandError as exc:
        raise GitError(f"cannot create branch {name!r}: {_first_line(exc)}") from None


def current(repo: git.Repo) -> str:
    """The checked-out branch's name, or the commit when HEAD is detached."""
    return repo.head.commit.hexsha if repo.head.is_detached else repo.active_branch.name


def abandon_branch(repo: git.Repo, start: str, name: str, committed: int, unstage: Iterable[Path]) -> str:
    """Go back to `start` after a commit on branch `name` failed (the failed step's files already
    restored): unstage them, check `start` out, and delete the branch when nothing landed on it.
    Returns one sentence that says where the user is.
    """
    try:
        files = [str(p) for p in unstage]
        if files:
            repo.git.reset("-q", "--", *files)
        repo.git.checkout(start)
        if not committed:
            repo.git.branch("-D", name)
    except git.GitCommandError as exc:
        return f"could not go back to {start!r} ({_first_line(exc)}): you are on {name!r}; see git status"
    if committed:
        kept = "1 commit" if committed == 1 else f"{committed} commits"
        return f"back on {start!r} with the files as they were; branch {name!r} keeps the {kept} made before"
    return f"back on {start!r} with the files as they were; branch {name!r} was removed"


def commit(repo: git.Repo, paths: Iterable[Path], message: str) -> str:
    """Commit exactly `paths` with `message`; returns the new commit's short hash."""
    files = [str(p) for p in paths]
    try:
        repo.git.add("--", *files)
        repo.git.commit("-m", message, "--", *files)
    except git.GitCommandError as exc:
        raise GitError(f"git commit failed: {_first_line(exc)}") from None
    return repo.head.commit.hexsha[:10]


def _first_line(exc: git.GitCommandError) -> str:
    text = (exc.stderr or str(exc)).strip()
    return text.splitlines()[-1] if text else "unknown error"


def first_seen(folder: Path, keys: Iterable[str], cache: Path | None) -> tuple[dict[str, dt.date], str | None]:
    """The date of the first commit that added a line naming each key (one `git log -G` for all
    keys), cached by HEAD; and a note when git cannot tell (no repository, shallow clone).
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}, None
    repo = open_repo(folder)
    if repo is None:
        return {}, "not a git repository: flags without a creation date have no age"
    if not repo.head.is_valid():
        return {}, None
    if repo.git.rev_parse("--is-shallow-repository").strip() == "true":
        return {}, "shallow clone: ages from git history are not reliable, so none are used (fetch the full history)"
    head = repo.head.commit.hexsha
    stored = _read_cache(cache, head)
    missing = [k for k in wanted if k not in stored]
    if missing:
        stored.update(_pickaxe(repo, missing))
        _write_cache(cache, head, stored)
    return {k: dt.date.fromisoformat(v) for k, v in stored.items() if k in wanted and v}, None


def _pickaxe(repo: git.Repo, keys: list[str]) -> dict[str, str]:
    pattern = "|".join(re.sub(r"([.\[\]{}()*+?|^$\\])", r"\\\1", k) for k in keys)  # POSIX ERE
    matcher = re.compile("|".join(f"(?<![\\w-]){re.escape(k)}(?![\\w-])" for k in keys))
    found: dict[str, str] = dict.fromkeys(keys, "")
    output = repo.git.log(
        "--reverse", "--format=%x01%ct", "-G", pattern, "-U0", "--no-color", "--no-ext-diff", "-E", "--", "*.py"
    )
    day = ""
    for line in output.splitlines():
        if line.startswith("\x01"):
            day = dt.datetime.fromtimestamp(int(line[1:]), dt.timezone.utc).date().isoformat()
        elif line.startswith("+") and not line.startswith("+++"):
            for hit in matcher.finditer(line):
                if not found[hit.group(0)]:
                    found[hit.group(0)] = day
    return found


def _read_cache(cache: Path | None, head: str) -> dict[str, str]:
    if cache is None:
        return {}
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        return dict(data["keys"]) if isinstance(data, dict) and data.get("head") == head else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_cache(cache: Path | None, head: str, keys: dict[str, str]) -> None:
    if cache is None:
        return
    if not claim(cache.parent):
        return
    try:
        cache.write_text(json.dumps({"head": head, "keys": keys}), encoding="utf-8")
    except OSError:
        return
