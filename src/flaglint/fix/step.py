"""What a retirement gives: the value each flag keeps, and per file the edit, with what to tell the user."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from flaglint.fix.base import Note
from flaglint.model import Problem


def parse_flag_value(text: str) -> str | None:
    """`on` -> True, `off` -> None (every call falls back to its SDK default), else a Python literal."""
    if text == "on":
        return "True"
    if text == "off":
        return None
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"{text!r} is neither on, off nor a Python literal (quote strings: '\"dark\"')") from None
    return text


def describe_value(value: str | None) -> str:
    return {"True": "always on", "False": "always off", None: "always off"}.get(value, f"always {value}")


@dataclass(frozen=True)
class FileEdit:
    path: str  # root-relative POSIX path
    before: bytes
    after: bytes
    encoding: str

    def lines(self) -> tuple[int, int]:
        """(lines removed, lines added)."""
        old = self.before.decode(self.encoding).splitlines()
        new = self.after.decode(self.encoding).splitlines()
        removed = added = 0
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag != "equal":
                removed += i2 - i1
                added += j2 - j1
        return removed, added

    def diff(self, display: str) -> str:
        old = self.before.decode(self.encoding).splitlines(keepends=True)
        new = self.after.decode(self.encoding).splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{display}", f"b/{display}"))


@dataclass(frozen=True)
class Step:
    """The result of retiring some flags: edits per file and what to tell the user."""

    values: Mapping[str, str | None]
    edits: tuple[FileEdit, ...]
    notes: tuple[Note, ...] = ()
    problems: tuple[Problem, ...] = ()
    key_names: frozenset[str] = frozenset()  # the constants flag checks used as keys before this step
    # flags left as they were (all or nothing), with why: a check that could not be rewritten, or a
    # definition the retirement would delete that something still names
    refused: tuple[tuple[str, str], ...] = ()
    # the same retirement with unsafe fixes, when asked for (`plan(with_unsafe=True)`) and different
    with_unsafe: Step | None = None

    @property
    def removed_lines(self) -> int:
        """Lines removed net (removed minus added): the difference of the line counts, no diff needed."""
        return sum(
            len(e.before.decode(e.encoding).splitlines()) - len(e.after.decode(e.encoding).splitlines())
            for e in self.edits
        )
