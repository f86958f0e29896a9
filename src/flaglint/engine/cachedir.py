"""flaglint's own folder (`.flaglint_cache/`) and the temporary files flaglint writes.

The folder is flaglint's only when it carries flaglint's `CACHEDIR.TAG` (the cache-directory tag
convention that backup tools honour): flaglint writes, replaces and deletes files only in such a
folder, so a `cache-dir` that names a user's folder is never emptied. Every temporary file carries
the writer's process id, so a later run can remove exactly the ones whose writer died (SIGKILL,
a CI timeout) and never a file another running flaglint is still writing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

TAG = "CACHEDIR.TAG"
_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_TAG_TEXT = f"{_SIGNATURE}\n# This folder is flaglint's cache: it may be deleted at any time.\n"
_GITIGNORE = "# Made by flaglint.\n*\n"
# `.{name}.{pid}.{random}.flaglint` beside a source file, `.{kind}-{pid}-{random}.tmp` in the cache.
_TEMP = re.compile(r"^\.(?:.+\.(\d+)\.[a-z0-9_]+\.flaglint|[a-z-]+-(\d+)-[a-z0-9_]+\.tmp)$")


def owned(folder: Path) -> bool:
    """Whether `folder` is a flaglint cache: it holds flaglint's tag (or, from before the tag, the
    `.gitignore` flaglint wrote).
    """
    for name, mark in ((TAG, _TAG_TEXT), (".gitignore", _GITIGNORE)):
        try:
            if (folder / name).read_text(encoding="utf-8").startswith(mark.split("\n")[0]):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False


def claim(folder: Path) -> bool:
    """Make `folder` ready for flaglint's files: create and tag it when it does not exist or is
    empty; True when it is (now) flaglint's, False when it holds files flaglint did not make.
    """
    if owned(folder):
        if not (folder / TAG).exists():
            with contextlib.suppress(OSError):
                (folder / TAG).write_text(_TAG_TEXT, encoding="utf-8")
        return True
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            return False
        (folder / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
        (folder / TAG).write_text(_TAG_TEXT, encoding="utf-8")
    except OSError:
        return False
    return True


def temp_file(folder: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """`tempfile.mkstemp` with this process's id in the name: `{prefix}{pid}{sep}{random}{suffix}`."""
    separator = "-" if suffix == ".tmp" else "."
    return tempfile.mkstemp(dir=folder, prefix=f"{prefix}{os.getpid()}{separator}", suffix=suffix)


def write_json(file: Path, payload: object, kind: str) -> None:
    """Write `payload` as compact JSON to `file` in one step: a temporary `.{kind}-{pid}-*.tmp`
    beside it (removed if anything fails), then a rename. OSError is the caller's to weigh."""
    handle, temp = temp_file(file.parent, f".{kind}-", ".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, separators=(",", ":"))
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def leftovers(paths: Iterable[Path]) -> list[Path]:
    """Those of `paths` that are flaglint's temporary files whose writing process is gone."""
    found = []
    for path in paths:
        match = _TEMP.match(path.name)
        if match and not _alive(int(match.group(1) or match.group(2))):
            found.append(path)
    return found


def leftovers_in(folder: Path) -> list[Path]:
    """flaglint's temporary files in `folder` whose writing process is gone."""
    try:
        return leftovers(folder / name for name in os.listdir(folder))
    except OSError:
        return []
