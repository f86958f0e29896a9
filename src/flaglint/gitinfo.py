"""What git knows about the project (through gitpython): dirty files, branches, commits."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import git


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
    changed: set[str] = {item.a_path for item in repo.index.diff(None)}
    if repo.head.is_valid():
        changed |= {item.a_path for item in repo.index.diff("HEAD")}
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
