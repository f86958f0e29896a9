"""Writing a plan's edits: atomically, each file only if it is still as it was read."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from flaglint.engine.cachedir import temp_file
from flaglint.fix.step import FileEdit
from flaglint.model import Problem


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's contents in one step (temp file + rename in the same folder), keeping its
    mode, owner and group. The temp file's name carries this process's id, so a run that is killed
    leaves a file the next run recognises and removes.
    """
    before = path.stat() if path.exists() else None
    handle, temp = temp_file(path.parent, f".{path.name}.", ".flaglint")
    try:
        with os.fdopen(handle, "wb") as out:
            if before is not None and (before.st_uid, before.st_gid) != (os.geteuid(), os.getegid()):
                with contextlib.suppress(PermissionError):  # only root may give a file away
                    os.fchown(out.fileno(), before.st_uid, before.st_gid)
            out.write(data)
        if before is not None:
            os.chmod(temp, before.st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def apply(root: Path, edits: Iterable[FileEdit]) -> list[Problem]:
    """Write the edits; a file changed, gone or unwritable since it was read is left alone and
    named, and the other files are still written.
    """
    problems = []
    for edit in edits:
        path = root / edit.path
        try:
            if path.is_symlink():
                problems.append(Problem(edit.path, 0, 0, "became a symlink while flaglint ran; left alone"))
                continue
            if path.read_bytes() != edit.before:
                problems.append(Problem(edit.path, 0, 0, "changed while flaglint ran; left alone"))
                continue
            write_atomic(path, edit.after)
        except OSError as exc:
            problems.append(Problem(edit.path, 0, 0, f"not written: {exc.strerror}"))
    return problems
