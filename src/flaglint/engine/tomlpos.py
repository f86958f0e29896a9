"""Find the line of a table or key in TOML text, so errors about its values can name a line.

tomllib gives values without positions; this reads the text once more, line by line.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")


_PART = re.compile(r""""[^"]*"|'[^']*'|[^.\s]+""")


def _norm(dotted: str) -> str:
    return ".".join(p.strip("\"'") for p in _PART.findall(dotted))


class TomlIndex:
    """Where every table header and key of a TOML text is, read in one pass: a look-up costs a
    dict access, so a registry of 100,000 flags is located in linear time.
    """

    def __init__(self, text: str) -> None:
        self.headers: dict[str, list[int]] = {}  # normalized table -> line of each occurrence
        self.keys: dict[tuple[str, int, str], int] = {}  # (table, occurrence, key) -> first line
        table, occurrence = "", 0
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = _norm(header.group(2))
                lines = self.headers.setdefault(table, [])
                occurrence = len(lines)
                lines.append(number)
                continue
            found = _KEY.match(line)
            if found:
                self.keys.setdefault((table, occurrence, found.group(1).strip("\"'")), number)

    def line(self, table: str, key: str | None = None, occurrence: int = 0) -> int:
        """1-based line of `key` inside `[table]` (the n-th `[[table]]`), else of the header, else 1."""
        want = _norm(table)
        headers = self.headers.get(want, [])
        if want and occurrence >= len(headers):
            return 1
        if key is not None and (want, occurrence, key) in self.keys:
            return self.keys[(want, occurrence, key)]
        return headers[occurrence] if want else 1


def locate(text: str, table: str, key: str | None = None, occurrence: int = 0) -> int:
    """1-based line of `key` inside `[table]` (the n-th `[[table]]`), else of the header, else 1."""
    return TomlIndex(text).line(table, key, occurrence)


def error_line(error: Exception, text: str | None = None) -> int:
    """The line a tomllib.TOMLDecodeError points at (its message says `(at line N, column M)`,
    or `(at end of document)`: the last line of `text`, an array or table left open)."""
    line = getattr(error, "lineno", None)
    if isinstance(line, int):
        return line
    found = re.search(r"\(at line (\d+)", str(error))
    if found:
        return int(found.group(1))
    if text is not None and "(at end of document)" in str(error):
        return max(1, len(text.rstrip("\n").splitlines()))
    return 1


def error_message(error: Exception) -> str:
    return str(error).split(" (at line")[0]


def in_table(text: str, prefix: str) -> list[bool]:
    """Per line of `text`, whether it lies in the table `prefix` or one of its sub-tables
    (`tool.flaglint`: `[tool.flaglint]`, `[[tool.flaglint.patterns]]`, headers included)."""
    inside = False
    marks = []
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header is not None:
            name = _norm(header.group(2))
            inside = name == prefix or name.startswith(f"{prefix}.")
        marks.append(inside)
    return marks
