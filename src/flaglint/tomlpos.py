"""Find the line of a table or key in TOML text, so errors about its values can name a line.

tomllib gives values without positions; this reads the text once more, line by line.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")


def _norm(dotted: str) -> str:
    parts = re.findall(r""""[^"]*"|'[^']*'|[^.\s]+""", dotted)
    return ".".join(p.strip("\"'") for p in parts)


def locate(text: str, table: str, key: str | None = None, occurrence: int = 0) -> int:
    """1-based line of `key` inside `[table]` (the n-th `[[table]]`), else of the header, else 1."""
    want = _norm(table)
    seen = -1
    header_line = 0
    inside = want == ""  # top-level keys live before the first header
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            inside = False
            if _norm(header.group(2)) == want:
                seen += 1
                if seen == occurrence:
                    inside, header_line = True, number
            continue
        if inside and key is not None:
            found = _KEY.match(line)
            if found and found.group(1).strip("\"'") == key:
                return number
    return header_line or 1


def error_line(error: Exception) -> int:
    """The line a tomllib.TOMLDecodeError points at (its message says `(at line N, column M)`)."""
    line = getattr(error, "lineno", None)
    if isinstance(line, int):
        return line
    found = re.search(r"\(at line (\d+)", str(error))
    return int(found.group(1)) if found else 1


def error_message(error: Exception) -> str:
    return str(error).split(" (at line")[0]
