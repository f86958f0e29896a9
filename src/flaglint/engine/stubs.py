"""The parser's view of a module: defs, methods and data tables that cannot hold a reference
become one-line stand-ins of the same name (line numbers kept), for the scan and for the rewrite."""

from __future__ import annotations

import ast
import bisect
import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from flaglint.engine.astparse import _ast, parse
from flaglint.engine.patterns import Pattern
from flaglint.engine.source import LINE_BREAK
from flaglint.model import Problem

# --- blanking what cannot hold a reference ------------------------------------------------------

_HEAD = re.compile(r"(?:@|(?:async[ \t]+)?def[ \t(]|class[ \t(:])")
_DEF_NAME = re.compile(r"[ \t]*(?:async[ \t]+)?(def|class)[ \t]+(\w+)")
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b")
# A `global` statement in a function binds a module name that key resolution may need.
_GLOBAL_STATEMENT = re.compile(r"^[ \t]*global[ \t]", re.M)
_AS = re.compile(r"\b(\w+)[ \t]+as[ \t]+(\w+)")
# A class-level `NAME = "..."` or `= auto()` may define a key another module reads.
_STRING_ASSIGN = re.compile(r"=[ \t]*(?:[rRuUbB]{0,2}[\"']|(?:\w+\.)*auto[ \t]*\()")


def _tokens(patterns: Sequence[Pattern], text: str) -> frozenset[str]:
    """Names whose presence means a region may hold a reference: pattern names and import aliases."""
    names = {p.token for p in patterns}
    position = text.find(" as ")
    while position != -1:  # `from waffle import flag_is_active as fia`: `fia` counts too
        before = text[max(0, position - 80) : position].rstrip(" \t")
        word = re.search(r"\w+$", before)
        after = re.match(r"\s*as\s+(\w+)", text[position : position + 120])
        if word and after and word.group(0) in names:
            names.add(after.group(1))
        position = text.find(" as ", position + 4)
    return frozenset(names)


def _word_starts(text: str, words: Iterable[str]) -> list[int]:
    """Sorted offsets where one of `words` occurs as a whole identifier (str.find runs at C speed;
    a regex alternation of the same words is ~30x slower).
    """
    found = []
    for word in words:
        if not word:
            continue
        position = text.find(word)
        size = len(word)
        while position != -1:
            end = position + size
            if (position == 0 or not _is_word(text[position - 1])) and (end >= len(text) or not _is_word(text[end])):
                found.append(position)
            position = text.find(word, end)
    found.sort()
    return found


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def parse_view(path: str, text: str, view: str) -> ast.Module | Problem:
    """Parse the view of `text` (regions that cannot matter blanked); the whole text when that fails."""
    if view is not text:
        try:
            return _ast(view, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # the whole text decides, and gives the precise error
    return parse(path, text)


@dataclass
class _Lines:
    """The text split into lines, with what blanking needs to know about them, found lazily."""

    text: str
    lines: list[str]
    offsets: list[int]  # character offset of each line's start in the text
    _hits: dict[frozenset[str], list[int]] = field(default_factory=dict)
    _starts: dict[tuple[int, int, str], list[int]] = field(default_factory=dict)
    _depths: dict[tuple[int, int], int] = field(default_factory=dict)
    # From CPython's parse (`FileScan.layout`), when known: the lines statements begin on, and a
    # mark on each line inside a statement that begins above it. Then no bracket or string need be
    # counted: the statements' own boundaries say where a region may cut.
    exact: list[int] | None = None
    inside: bytearray = field(default_factory=bytearray)

    def quiet(self, number: int) -> bool:
        """Whether a line is blank or holds only a comment."""
        if self.exact is not None and self.inside[number]:
            return False
        stripped = self.lines[number].lstrip()
        return not stripped or stripped[0] == "#"

    def open_quotes(self, number: int) -> bool:
        """Whether this line starts inside a string literal that spans lines."""
        if self.exact is not None:
            return bool(self.inside[number])
        offset = self.offsets[number]
        index = bisect.bisect_right(self.spans, (offset, len(self.text) + 1)) - 1
        return index >= 0 and self.spans[index][0] < offset < self.spans[index][1]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.offsets, offset) - 1

    def has(self, words: frozenset[str], first: int, stop: int) -> bool:
        """Whether one of `words` occurs on a line in [first, stop) (one search per set of words)."""
        if words not in self._hits:
            self._hits[words] = [self.line_of(at) for at in _word_starts(self.text, words)]
        hits = self._hits[words]
        index = bisect.bisect_left(hits, first)
        return index < len(hits) and hits[index] < stop

    def end(self, stop: int) -> int:
        return self.offsets[stop] if stop < len(self.offsets) else len(self.text)

    def search(self, pattern: re.Pattern[str], first: int, stop: int) -> bool:
        return pattern.search(self.text, self.offsets[first], self.end(stop)) is not None

    @classmethod
    def of(cls, text: str, layout: Sequence[tuple[int, int]] = ()) -> _Lines:
        if "\r" in text:
            lines = LINE_BREAK.split(text)
            offsets = [0, *(m.end() for m in LINE_BREAK.finditer(text))]
        else:
            lines = text.split("\n")
            # each line's start: the lengths of the lines before it, one newline each (all in C)
            offsets = list(itertools.accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))
        found = cls(text, lines, offsets)
        if layout and "\r" not in text and _fits(layout, lines):
            found.exact = [first - 1 for first, _ in layout]
            found.inside = bytearray(len(lines) + 1)
            for index, (first, last) in enumerate(layout):
                if index + 1 < len(layout) and layout[index + 1][0] <= last:
                    continue  # a class whose body is listed: its statements say where it may be cut
                found.inside[first:last] = b"\x01" * (last - first)  # 0-based lines first..last-1
        return found

    @functools.cached_property
    def _literals(self) -> list[tuple[int, int]]:
        """(start, end) of every string literal and comment, in one left-to-right pass over the
        text, as the tokenizer reads them."""
        return [m.span() for m in _LITERALS.finditer(self.text)]

    @functools.cached_property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of every string literal that spans lines."""
        text = self.text
        return [(a, b) for a, b in self._literals if text[a] != "#" and text.find("\n", a, b) != -1]

    @functools.cached_property
    def _code(self) -> str:
        """The text with every string literal and comment blanked (same length): brackets and
        quotes left in it are code."""
        pieces: list[str] = []
        position = 0
        for start, end in self._literals:
            pieces.extend((self.text[position:start], " " * (end - start)))
            position = end
        pieces.append(self.text[position:])
        return "".join(pieces)

    def depth(self, first: int, stop: int) -> int:
        """How many more brackets lines [first, stop) open than they close (counted once)."""
        if self.exact is not None:
            return 0  # regions begin where statements do
        known = self._depths.get((first, stop))
        if known is None:
            code, start, end = self._code, self.offsets[first], self.end(stop)
            opened = code.count("(", start, end) + code.count("[", start, end) + code.count("{", start, end)
            closed = code.count(")", start, end) + code.count("]", start, end) + code.count("}", start, end)
            known = self._depths[(first, stop)] = opened - closed
        return known

    def balanced(self, first: int, stop: int) -> bool:
        """Whether lines [first, stop) are whole: they end no line inside a bracket or a string and
        do not end in a line continuation; strings and comments aside, so a docstring's "(" does
        not count."""
        if self.exact is not None:
            return not self.inside[first] and not self.inside[stop]
        text, start, end = self.text, self.offsets[first], self.end(stop)
        last = end
        while last > start and text[last - 1] in " \t\r\n\f":
            last -= 1
        if last > start and text[last - 1] == "\\":
            return False
        literals = self._literals
        for edge in (start, end):  # a string or comment that the region cuts through
            index = bisect.bisect_right(literals, (edge, -1)) - 1
            if index >= 0 and literals[index][0] < edge < literals[index][1]:
                return False
        code = self._code
        if code.find('"', start, end) != -1 or code.find("'", start, end) != -1:
            return False  # a quote that opens no string the tokenizer would end
        return all(code.count(a, start, end) == code.count(b, start, end) for a, b in ("()", "[]", "{}"))

    def starts(self, first: int, last: int, indent: str) -> list[int]:
        """Lines in [first, last) that begin a statement at exactly `indent` (found once): a line
        inside brackets opened above it (a decorator's closing `)` at the margin) begins none."""
        key = (first, last, indent)
        if key not in self._starts and self.exact is not None:
            width = len(indent)
            at = bisect.bisect_left(self.exact, first)
            stop = bisect.bisect_left(self.exact, last)
            self._starts[key] = [
                n
                for n in self.exact[at:stop]
                if self.lines[n].startswith(indent) and self.lines[n][width : width + 1] not in ("", " ", "\t")
            ]
        if key not in self._starts:
            found = _starts(self, first, last, indent)
            real: list[int] = []
            depth = 0
            for index, number in enumerate(found):
                if depth == 0:
                    real.append(number)
                depth += self.depth(number, found[index + 1] if index + 1 < len(found) else last)
                depth = max(depth, 0)
            self._starts[key] = real
        return self._starts[key]


def _fits(layout: Sequence[tuple[int, int]], lines: list[str]) -> bool:
    """Whether a layout can describe these lines: in order, in range, each beginning on code."""
    previous = 0
    for first, last in layout:
        if not previous < first <= last <= len(lines):
            return False
        line = lines[first - 1].lstrip()
        if not line or line[0] == "#":
            return False
        previous = first
    return True


_START_AT: dict[str, re.Pattern[str]] = {}


def _starts(info: _Lines, first: int, last: int, indent: str) -> list[int]:
    """Lines in [first, last) that begin a statement at exactly `indent`."""
    pattern = _START_AT.get(indent)
    if pattern is None:
        pattern = _START_AT.setdefault(indent, re.compile("^" + re.escape(indent) + r"[^ \t\r\n#\f]", re.M))
    found = []
    width = len(indent)
    lines = info.lines
    for hit in pattern.finditer(info.text, info.offsets[first], info.end(last)):
        number = info.line_of(hit.start())
        if info.offsets[number] != hit.start():
            continue  # a lone carriage return inside a line, not a line start
        line = lines[number]
        if _CONTINUATION.match(line, width) or info.open_quotes(number):
            continue
        if number and lines[number - 1].endswith("\\"):
            continue
        found.append(number)
    return found


def _regions(starts: list[int], end: int, info: _Lines, width: int) -> Iterator[tuple[int, int]]:
    """(first, stop) line ranges of statements; decorators stay with what they decorate."""
    group_start: int | None = None
    for index, number in enumerate(starts):
        if group_start is None:
            group_start = number
        if info.lines[number][width] == "@" and info.exact is None:  # (a known statement includes them)
            continue
        stop = starts[index + 1] if index + 1 < len(starts) else end
        yield group_start, stop
        group_start = None
    if group_start is not None:
        yield group_start, end


# String literals (with any prefix) and comments, so that brackets and quotes inside them are not counted.
_LITERALS = re.compile(
    r"""\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\[\s\S]|[^"\\\n])*"|'(?:\\[\s\S]|[^'\\\n])*'|\#[^\n]*"""
)


@dataclass(frozen=True)
class _Region:
    """A def/class (with its decorators) that a stub of the same name may stand in for."""

    first: int  # 0-based line index of its first line
    stop: int  # 0-based index of the line after it
    indent: str
    kind: str  # def | class | doc | assign | block
    name: str


Allow = Callable[[int, int, str], bool]  # (first, stop, kind) -> may a stub stand in for these lines


def _region(info: _Lines, first: int, stop: int, indent: str, allow: Allow) -> _Region | None:
    for number in range(first, stop):
        found = _DEF_NAME.match(info.lines[number])
        if found is not None:
            break
    else:
        return None
    kind, name = found.groups()
    # Blank lines and comments at the region's own depth that end it belong to the next statement
    # (as LibCST sees it): they stay outside the stand-in.
    width = len(indent)
    while stop > number + 1 and info.quiet(stop - 1):
        line = info.lines[stop - 1]
        if line.strip() and len(line) - len(line.lstrip()) > width:
            break
        stop -= 1
    if not allow(first, stop, kind):
        return None
    if not info.balanced(first, stop):
        return None
    return _Region(first, stop, indent, kind, name)


def _stand_ins(info: _Lines, allow: Allow) -> list[_Region]:
    """Top-level defs and classes, and the methods of the classes that must stay, that `allow`
    lets a stub stand in for; in line order.
    """
    found: list[_Region] = []
    total = len(info.lines)
    for first, stop in _regions(info.starts(0, total, ""), total, info, 0):
        if not _HEAD.match(info.lines[first]):
            continue
        whole = _region(info, first, stop, "", allow)
        if whole is not None:
            found.append(whole)
            continue
        header = next((n for n in range(first, stop) if _DEF_NAME.match(info.lines[n])), None)
        match = _DEF_NAME.match(info.lines[header]) if header is not None else None
        if header is None or match is None or match.group(1) != "class":
            continue
        body = next(
            (n for n in range(header + 1, stop) if not info.quiet(n) and info.lines[n][:1] in (" ", "\t")),
            None,
        )
        if body is None:
            continue
        line = info.lines[body]
        indent = line[: len(line) - len(line.lstrip())]
        width = len(indent)
        for inner_first, inner_stop in _regions(info.starts(body, stop, indent), stop, info, width):
            if _HEAD.match(info.lines[inner_first], width):
                inner = _region(info, inner_first, inner_stop, indent, allow)
                if inner is not None:
                    found.append(inner)
    return found


# What a stub that binds names assigns them: a name nothing binds, so nothing folds it.
STUB_VALUE = "__flaglint_region__"


def _stub_line(region: _Region) -> str:
    """One line that stands in for a region: it binds the same name, and nothing folds it."""
    return {
        "def": f"{region.indent}def {region.name}(): pass",
        "class": f"{region.indent}class {region.name}: pass",
        "doc": f'{region.indent}""',
        "assign": f"{region.indent}{region.name} = {STUB_VALUE}",
        "block": f"{region.indent}pass",
    }[region.kind]


_ASSIGNED = re.compile(r"([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)")
_STRING_START = re.compile(r"[rRbBuUfF]{0,2}[\"']")
_KEYWORD_START = re.compile(r"(?:import|from|global|nonlocal|return|yield|del|pass|break|continue|raise|assert)\b")


def _statements(info: _Lines, keep: list[int], taken: list[_Region]) -> list[_Region]:
    """Top-level statements other than defs, classes and imports (data tables, docstrings, blocks,
    runs of small statements) that hold none of `keep` and do not come right before one that does
    (a store there may fold with the flag's branch): what the rewrite need not see. A lone
    statement keeps the name it binds; a run of several becomes one block.
    """
    total = len(info.lines)
    covered = {n for region in taken for n in range(region.first, region.stop)}
    found: list[_Region] = []
    pairs = list(_regions(info.starts(0, total, ""), total, info, 0))
    run: list[tuple[int, int]] = []
    # `info.starts` takes no line inside brackets for a start (a data table's closing `})` at the
    # margin continues its statement); a statement left unbalanced all the same is never stood in.
    depth = [0]
    for first, stop in pairs:
        if first in covered:  # a stood-in def or class: whole, so it opens and closes no bracket
            depth.append(depth[-1])
            continue
        depth.append(depth[-1] + info.depth(first, stop))

    def holds(first: int, stop: int) -> bool:
        at = bisect.bisect_left(keep, first)
        return at < len(keep) and keep[at] < stop

    def flush() -> None:
        if not run:
            return
        first, stop = run[0][0], run[-1][1]
        if len(run) > 1 and stop - first >= 2:
            found.append(_Region(first, stop, "", "block", ""))
        elif len(run) == 1 and stop - first >= 3:
            line = info.lines[first]
            assigned = _ASSIGNED.match(line)
            if _STRING_START.match(line):
                found.append(_Region(first, stop, "", "doc", ""))
            elif assigned is not None and assigned.end() < len(line) and not _CHAINED_ASSIGN.match(line):
                found.append(_Region(first, stop, "", "assign", assigned.group(1)))
            else:
                found.append(_Region(first, stop, "", "block", ""))
        run.clear()

    # Names the statements that hold a reference use: an import of none of them cannot become
    # unused by the rewrite, so it need not be seen either.
    used: set[str] = set()
    for first, stop in pairs:
        if holds(first, stop):
            used.update(_IDENTIFIER.findall(info.text, info.offsets[first], info.end(stop)))
    for index, (first, stop) in enumerate(pairs):
        while stop > first + 1 and info.quiet(stop - 1):
            stop -= 1
        following = pairs[index + 1] if index + 1 < len(pairs) else None
        line = info.lines[first]
        if (
            depth[index] != 0
            or depth[index + 1] != 0
            or first in covered
            or _HEAD.match(line)
            or (_KEYWORD_START.match(line) and not _unrelated_import(info, first, stop, used))
            or (line.startswith("try") and _optional_import(info, first, stop, used))
            or holds(first, stop)
            or (following is not None and holds(*following))
            or not info.balanced(first, stop)
        ):
            flush()
            continue
        run.append((first, stop))
    flush()
    return found


_IDENTIFIER = re.compile(r"[^\W\d]\w*")


def _optional_import(info: _Lines, first: int, stop: int, used: set[str]) -> bool:
    """Whether a statement is a `try:` that imports one of the names `used` (`try: from x import
    y` / `except ImportError: y = None`): the rewrite may leave it unused, so it must see it."""
    try:
        parsed = ast.parse(info.text[info.offsets[first] : info.end(stop)])
    except (SyntaxError, ValueError):
        return True
    tries = [s for s in parsed.body if isinstance(s, ast.Try)]
    imports = [i for t in tries for i in t.body if isinstance(i, (ast.Import, ast.ImportFrom))]
    return any({(a.asname or a.name).split(".")[0] for a in i.names} & used for i in imports)


def _unrelated_import(info: _Lines, first: int, stop: int, used: set[str]) -> bool:
    """Whether a statement is an import (not from __future__) binding none of the names `used`."""
    line = info.lines[first]
    if not line.startswith(("import ", "from ")) or line.startswith("from __future__"):
        return False
    try:
        parsed = ast.parse(info.text[info.offsets[first] : info.end(stop)])
    except (SyntaxError, ValueError):
        return False
    bound = set()
    for statement in parsed.body:
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            return False
        for alias in statement.names:
            bound.add(alias.asname or alias.name.split(".")[0])
    return "*" not in bound and not bound & used


_CHAINED_ASSIGN = re.compile(r"\w+[ \t]*=[ \t]*\w+[ \t]*=")  # `a = b = ...`: several names


def _blank(text: str, tokens: frozenset[str] | None) -> str | None:
    """`text` with every top-level def/class (and method) that cannot hold a reference replaced by a
    same-named stub and empty lines (line numbers kept); None when nothing could be blanked.
    """
    if "def" not in text and "class" not in text:
        return None

    info = _Lines.of(text)

    has_global = "global" in text

    def allow(first: int, stop: int, kind: str) -> bool:
        if tokens is not None and info.has(tokens, first, stop):
            return False
        if has_global and info.search(_GLOBAL_STATEMENT, first, stop):
            return False
        return not (kind == "class" and info.search(_STRING_ASSIGN, first, stop))

    regions = _stand_ins(info, allow)
    if not regions:
        return None
    lines = list(info.lines)
    for region in regions:
        lines[region.first : region.stop] = [_stub_line(region)] + [""] * (region.stop - region.first - 1)
    return "\n".join(lines)


_REGION_MARK = "#\u00a7"  # short: LibCST parses every character of a stub (~1 us each)
_MARKED = re.compile(r"^[^\r\n]* #\u00a7(\d+)\r?\n?", re.M)


@dataclass(frozen=True)
class Reduction:
    """A module with the defs and methods that hold no reference replaced by one-line marked stubs:
    what LibCST parses and rewrites instead of the whole file (its parser alone costs ~100 us a
    line). `expand` puts the original code back into the rewritten text.
    """

    text: str
    regions: tuple[tuple[int, int], ...]  # (first line, line count) of each stood-in region, 1-based
    originals: tuple[str, ...]  # the text of each region, line endings included
    stubs: tuple[str, ...]  # each stub line as written, line ending included

    def to_reduced(self, line: int) -> int:
        """The line in the reduced text of an original line outside every region."""
        shift = 0
        for first, count in self.regions:
            if first + count - 1 < line:
                shift += count - 1
        return line - shift

    def to_original(self, line: int) -> int:
        """The original line of a line of the reduced text (a stub: its region's first line)."""
        shift = 0
        for first, count in self.regions:
            reduced_first = first - shift
            if reduced_first > line:
                break
            if reduced_first == line:
                return first
            shift += count - 1
        return line + shift

    def expand(self, code: str) -> str | None:
        """`code` (the rewritten reduced text) with every stub replaced by its original region;
        None when a stub did not come through unchanged exactly once.
        """
        seen: list[int] = []

        def put_back(found: re.Match[str]) -> str:
            index = int(found.group(1))
            intact = index < len(self.stubs) and found.group(0).rstrip("\r\n") == self.stubs[index].rstrip("\r\n")
            seen.append(index if intact else -1)
            return self.originals[index] if intact else found.group(0)

        expanded = _MARKED.sub(put_back, code)
        return expanded if sorted(seen) == list(range(len(self.stubs))) else None


def _with_comments_above(info: _Lines, regions: list[_Region], allow: Allow) -> list[_Region]:
    """Each region with the comment lines right above it at its own indentation (a def's comment
    block): they belong to what is stood in for, and LibCST need not read them."""
    found: list[_Region] = []
    floor = 0  # the line after the previous region
    for region in regions:
        first = region.first
        while first > floor and _comment_at(info, first - 1, region.indent):
            first -= 1
        if first != region.first and allow(first, region.first, region.kind):
            region = dataclasses.replace(region, first=first)
        found.append(region)
        floor = region.stop
    return found


# Stubs that may merge into one: they bind names (or, once no name is kept, nothing).
_MERGES = frozenset({"def", "class", "assign", "block"})


def _named_only(info: _Lines, regions: list[_Region]) -> list[_Region]:
    """Each region binding only the names that the code left in view mentions: no pass can ask
    about a name nothing it sees names, and LibCST parses each name of a stub (~6 us). A region
    left binding nothing becomes a block."""
    outside: list[str] = []
    position = 0
    for region in regions:
        outside.append(info.text[position : info.offsets[region.first]])
        position = info.end(region.stop)
    outside.append(info.text[position:])
    mentioned = set(_IDENTIFIER.findall("\n".join(outside)))
    found: list[_Region] = []
    for region in regions:
        if region.kind in ("def", "class", "assign"):
            names = [name for name in region.name.split(" = ") if name in mentioned]
            if not names:
                region = dataclasses.replace(region, kind="block", name="")
            elif len(names) < len(region.name.split(" = ")):
                region = dataclasses.replace(region, kind="assign", name=" = ".join(names))
        found.append(region)
    return found


def _merged(info: _Lines, regions: list[_Region]) -> list[_Region]:
    """Runs of stood-in regions at one indentation, with only blank lines between them, as one
    region whose stub binds all their names (`a = b = __flaglint_region__`, or `pass` when none):
    LibCST's parse costs by the node, and a def stub is ten of them."""
    found: list[_Region] = []
    for region in regions:
        last = found[-1] if found else None
        if (
            last is not None
            and last.kind in _MERGES
            and region.kind in _MERGES
            and last.indent == region.indent
            and all(not info.lines[n].strip() for n in range(last.stop, region.first))
        ):
            names = " = ".join(name for name in (last.name, region.name) if name)
            found[-1] = _Region(last.first, region.stop, region.indent, "assign" if names else "block", names)
        else:
            found.append(region)
    return found


def _comment_at(info: _Lines, number: int, indent: str) -> bool:
    line = info.lines[number]
    return line.startswith(f"{indent}#") and not info.open_quotes(number)


def reduce_for_rewrite(text: str, lines: Iterable[int], layout: Sequence[tuple[int, int]] = ()) -> Reduction | None:
    """The reduction of `text` that keeps every region holding one of `lines` (1-based), or None
    when nothing can be stood in for (or the text could be confused with the markers). With the
    text's `layout` from its scan, regions are cut where CPython's statements begin.
    """
    if _REGION_MARK in text or ("\r" in text and "\r\n" not in text):
        return None
    keep = sorted({line - 1 for line in lines})

    def allow(first: int, stop: int, kind: str) -> bool:
        index = bisect.bisect_left(keep, first)
        return index == len(keep) or keep[index] >= stop

    info = _Lines.of(text, layout)
    regions = _stand_ins(info, allow)
    regions = sorted([*regions, *_statements(info, keep, regions)], key=lambda r: r.first)
    if not regions:
        return None
    regions = _merged(info, _named_only(info, _with_comments_above(info, regions, allow)))
    ends = [*info.offsets[1:], len(text)]
    pieces: list[str] = []
    originals: list[str] = []
    stubs: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for number, region in enumerate(regions):
        start, end = info.offsets[region.first], ends[region.stop - 1]
        original = text[start:end]
        ending = "\r\n" if original.endswith("\r\n") else original[-1:] if original.endswith(("\n", "\r")) else ""
        stub = f"{_stub_line(region)} {_REGION_MARK}{number}{ending}"
        pieces.extend((text[position:start], stub))
        originals.append(original)
        stubs.append(stub)
        spans.append((region.first + 1, region.stop - region.first))
        position = end
    pieces.append(text[position:])
    return Reduction("".join(pieces), tuple(spans), tuple(originals), tuple(stubs))
