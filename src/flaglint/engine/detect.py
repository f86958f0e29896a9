"""Find flag references in one Python file with the stdlib `ast` (CPython's C parser).

This is the detection front end every face uses: `scan` and the language server on every file,
`clean` to know what to rewrite. It returns exactly what the LibCST front end (`scan.scan_source`)
returns: the same references, spans (1-based, in characters, parentheses around the node
excluded), key texts and qualified names; `tests/test_front_ends.py` holds the two equal.

Speed comes from two things. Top-level functions and classes (and the methods of a class) whose
text holds no pattern name are blanked before parsing: each becomes a one-line stub of the same
name followed by empty lines, so line numbers stay exact and the names stay bound. And nothing
here recurses: deep trees (long `elif` chains, 2,000-piece string concatenations) are walked with
an explicit stack, so no input can overflow the interpreter's stack.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import dataclasses
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from flaglint.engine.guard import deep
from flaglint.engine.patterns import Arg, Pattern, Shape, call_strength, names_match
from flaglint.engine.resolve import with_objects
from flaglint.engine.source import LINE_BREAK
from flaglint.model import FileScan, FlagRef, KeySource, ModuleDefs, ModuleName, Problem, RefKind, Span

_SUPPRESS = re.compile(r"#\s*flaglint:\s*ignore(?:\[([A-Z0-9,\s]*)\])?")
_BUILTINS = frozenset(dir(builtins))
_ENUM_BASES = {"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"}


def _ast(text: str, path: str) -> ast.Module:
    """`ast.parse`; a tree too deep for the default recursion limit is built on a large stack."""
    try:
        return ast.parse(text, filename=path)
    except RecursionError:
        return deep(lambda: ast.parse(text, filename=path))


def parse(path: str, text: str) -> ast.Module | Problem:
    """CPython's parse of `text`, or the Problem that says why it cannot be parsed."""
    try:
        return _ast(text, path)
    except SyntaxError as exc:
        return Problem(path, exc.lineno or 1, exc.offset or 0, f"syntax error: {exc.msg}")
    except (RecursionError, MemoryError):
        return Problem(path, 1, 0, "cannot parse: the code is nested too deeply")
    except ValueError as exc:  # source with NUL bytes
        return Problem(path, 1, 0, f"cannot parse: {exc}")


def scan_view(text: str, patterns: Sequence[Pattern]) -> str:
    """What the parser sees of `text`: the text with every def, class and method that cannot hold
    a reference (no pattern name in it) replaced by a same-name stub, line numbers kept. Two texts
    with the same view and the same suppression comments scan the same: an editor's cache key.
    """
    return _blank(text, _tokens(patterns, text)) or text


def scan_source(
    path: str, text: str, module: ModuleName, patterns: Sequence[Pattern], *, view: str | None = None
) -> FileScan:
    """Every flag reference in `text`, plus what the module defines (for other files' keys).
    `view` is `scan_view(text, patterns)` when the caller has it already.
    """
    tree = _parse_view(path, text, scan_view(text, patterns) if view is None else view)
    if isinstance(tree, Problem):
        return _newer_syntax(path, text, module, patterns, tree)
    source = _Source(text)
    walker = _Walker(patterns, module)
    walker.walk(tree)
    defs = module_defs(tree, module)
    if not walker.candidates:
        return FileScan((), defs)
    matcher = _Matcher(path, source, module, walker, _suppressions(text))
    refs = [ref for ref in map(matcher.match, walker.candidates) if ref is not None]
    return FileScan(*with_objects(refs, defs, text, module))


_NEWER_SYNTAX_LIMIT = 1 << 20


def _newer_syntax(path: str, text: str, module: ModuleName, patterns: Sequence[Pattern], problem: Problem) -> FileScan:
    """A file this interpreter's parser rejects may use newer syntax (PEP 758 `except A, B:` on
    3.11) that LibCST reads: scan it with the LibCST front end then, else report the problem.
    Inputs that are only too deep or too large never reach LibCST's native parser.
    """
    failed = FileScan((), ModuleDefs(), (problem,))
    if not problem.message.startswith("syntax error") or "nested" in problem.message or len(text) > _NEWER_SYNTAX_LIMIT:
        return failed
    from flaglint.engine import scan  # LibCST loads only for files CPython cannot parse

    try:
        found = scan.scan_source(path, text, module, patterns)
    except (RecursionError, MemoryError):
        return failed
    return failed if found.problems else found


def definitions(path: str, text: str, module: ModuleName, patterns: Sequence[Pattern] = ()) -> ModuleDefs | Problem:
    """Only the definitions of a module (no reference search): for modules other files import keys
    from. A module that may make flag objects (a declaration row's name is in it) is scanned whole.
    """
    makers = [p for p in patterns if p.kind is RefKind.DECLARATION]
    if any(p.token in text for p in makers):
        found = scan_source(path, text, module, patterns)
        return found.problems[0] if found.problems else found.defs
    tree = _parse_view(path, text, _blank(text, None) or text)
    return tree if isinstance(tree, Problem) else module_defs(tree, module)


def definition_line(text: str, name: str) -> int | None:
    """The line where a module binds `name` (`NAME`, or `Class.MEMBER` in a class body), if it
    parses: where "go to definition" on a key constant lands.
    """
    tree = parse("<definition>", text)
    if isinstance(tree, Problem):
        return None
    body = tree.body
    *classes, last = name.split(".")
    for part in classes:
        found = [n for n in body if isinstance(n, ast.ClassDef) and n.name == part]
        if not found:
            return None
        body = found[-1].body
    for node in body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
            isinstance(t, ast.Name) and t.id == last for t in targets
        ):
            return node.lineno
    return None


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


def _parse_view(path: str, text: str, view: str) -> ast.Module | Problem:
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
    spans: list[tuple[int, int]]  # (start, end) of every string literal that spans lines
    _hits: dict[frozenset[str], list[int]] = field(default_factory=dict)

    def quiet(self, number: int) -> bool:
        """Whether a line is blank or holds only a comment."""
        stripped = self.lines[number].lstrip()
        return not stripped or stripped[0] == "#"

    def open_quotes(self, number: int) -> bool:
        """Whether this line starts inside a string literal that spans lines."""
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
    def of(cls, text: str) -> _Lines:
        if "\r" in text:
            lines = LINE_BREAK.split(text)
            offsets = [0, *(m.end() for m in LINE_BREAK.finditer(text))]
        else:
            lines = text.split("\n")
            offsets = [0, *(o + i for i, o in enumerate(itertools.accumulate(map(len, lines[:-1])), start=1))]
        spans = []
        if '"""' in text or "'''" in text or "\\\n" in text:
            # One left-to-right pass over strings and comments, as the tokenizer reads them.
            spans = [m.span() for m in _LITERALS.finditer(text) if "\n" in m.group(0) and m.group(0)[0] != "#"]
        return cls(text, lines, offsets, spans)


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
        if info.lines[number][width] == "@":
            continue
        stop = starts[index + 1] if index + 1 < len(starts) else end
        yield group_start, stop
        group_start = None
    if group_start is not None:
        yield group_start, end


# String literals (with any prefix) and comments, so that brackets and quotes inside them are not counted.
_LITERALS = re.compile(r"""\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|\#[^\n]*""")


def _balanced(chunk: str) -> bool:
    """Whether a region is whole: it ends no line inside a bracket or a string. Counted with the
    strings and comments taken out, so a docstring's "(" does not keep a region from standing in.
    """
    if chunk.rstrip().endswith("\\"):
        return False
    if '"' in chunk or "'" in chunk or "#" in chunk:
        chunk = _LITERALS.sub("", chunk)
        if '"' in chunk or "'" in chunk:  # a string that does not end in the region
            return False
    return (
        chunk.count("(") == chunk.count(")")
        and chunk.count("[") == chunk.count("]")
        and chunk.count("{") == chunk.count("}")
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
    if not _balanced(info.text[info.offsets[first] : info.offsets[stop] if stop < len(info.offsets) else None]):
        return None
    return _Region(first, stop, indent, kind, name)


def _stand_ins(info: _Lines, allow: Allow) -> list[_Region]:
    """Top-level defs and classes, and the methods of the classes that must stay, that `allow`
    lets a stub stand in for; in line order.
    """
    found: list[_Region] = []
    total = len(info.lines)
    for first, stop in _regions(_starts(info, 0, total, ""), total, info, 0):
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
        for inner_first, inner_stop in _regions(_starts(info, body, stop, indent), stop, info, width):
            if _HEAD.match(info.lines[inner_first], width):
                inner = _region(info, inner_first, inner_stop, indent, allow)
                if inner is not None:
                    found.append(inner)
    return found


def _stub_line(region: _Region) -> str:
    """One line that stands in for a region: it binds the same name, and nothing folds it."""
    return {
        "def": f"{region.indent}def {region.name}(): pass",
        "class": f"{region.indent}class {region.name}: pass",
        "doc": f'{region.indent}""',
        "assign": f"{region.indent}{region.name} = __flaglint_region__",
        "block": f"{region.indent}if 0: pass",
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
    pairs = list(_regions(_starts(info, 0, total, ""), total, info, 0))
    run: list[tuple[int, int]] = []
    # A column-0 line inside brackets (a string continued at the margin) looks like a statement
    # start: a start is real only where the bracket depth, strings and comments aside, is zero.
    depth = [0]
    for first, stop in pairs:
        code = _LITERALS.sub("", info.text[info.offsets[first] : info.end(stop)])
        depth.append(depth[-1] + sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}"))

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
            or not _balanced(info.text[info.offsets[first] : info.end(stop)])
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


_REGION_MARK = "flaglint-region-"
_MARKED = re.compile(r"^[^\r\n]*# flaglint-region-(\d+)\r?\n?", re.M)


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


def reduce_for_rewrite(text: str, lines: Iterable[int]) -> Reduction | None:
    """The reduction of `text` that keeps every region holding one of `lines` (1-based), or None
    when nothing can be stood in for (or the text could be confused with the markers).
    """
    if _REGION_MARK in text or ("\r" in text and "\r\n" not in text):
        return None
    keep = sorted({line - 1 for line in lines})

    def allow(first: int, stop: int, kind: str) -> bool:
        index = bisect.bisect_left(keep, first)
        return index == len(keep) or keep[index] >= stop

    info = _Lines.of(text)
    regions = _stand_ins(info, allow)
    regions = sorted([*regions, *_statements(info, keep, regions)], key=lambda r: r.first)
    if not regions:
        return None
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
        stub = f"{_stub_line(region)}  # {_REGION_MARK}{number}{ending}"
        pieces.extend((text[position:start], stub))
        originals.append(original)
        stubs.append(stub)
        spans.append((region.first + 1, region.stop - region.first))
        position = end
    pieces.append(text[position:])
    return Reduction("".join(pieces), tuple(spans), tuple(originals), tuple(stubs))


# --- source positions ---------------------------------------------------------------------------


class _Source:
    """The original text, for character columns and the code of a node (with its own parentheses)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ascii = text.isascii()
        self._offsets: list[int] | None = None
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n") if "\r" not in self.text else LINE_BREAK.split(self.text)
        return self._lines

    @property
    def offsets(self) -> list[int]:
        if self._offsets is None:
            if "\r" in self.text:
                self._offsets = [0, *(m.end() for m in LINE_BREAK.finditer(self.text))]
            else:
                lengths = map(len, self.lines[:-1])
                self._offsets = [0, *(o + i for i, o in enumerate(itertools.accumulate(lengths), start=1))]
        return self._offsets

    def column(self, line: int, byte_offset: int) -> int:
        """0-based character column of a UTF-8 byte offset on a 1-based line."""
        if self.ascii:
            return byte_offset
        text = self.lines[line - 1]
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8", "surrogatepass")[:byte_offset].decode("utf-8", "surrogatepass"))

    def start(self, node: ast.AST) -> int:
        line = node.lineno  # type: ignore[attr-defined]
        return self.offsets[line - 1] + self.column(line, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        line = node.end_lineno  # type: ignore[attr-defined]
        return self.offsets[line - 1] + self.column(line, node.end_col_offset)  # type: ignore[attr-defined]

    def span(self, node: ast.AST) -> Span:
        return Span(
            node.lineno,  # type: ignore[attr-defined]
            self.column(node.lineno, node.col_offset) + 1,  # type: ignore[attr-defined]
            node.end_lineno,  # type: ignore[attr-defined]
            self.column(node.end_lineno, node.end_col_offset) + 1,  # type: ignore[attr-defined]
        )

    def code(self, node: ast.AST, floor: int = -1, ceiling: int | None = None) -> str:
        """The code of `node` with the parentheses that group it alone, as LibCST's `code_for_node`
        gives it; parentheses at `floor` / `ceiling` (a call's own) are not the node's.
        """
        text = self.text
        start, end = self.start(node), self.end(node)
        left = []
        position = start - 1
        while position >= 0 and position > floor:
            char = text[position]
            if char == "(":
                left.append(position)
            elif char not in " \t\r\n\f\\":
                break
            position -= 1
        right = []
        position = end
        limit = len(text) if ceiling is None else ceiling
        while position < limit:
            char = text[position]
            if char == ")":
                right.append(position)
            elif char not in " \t\r\n\f\\":
                break
            position += 1
        groups = min(len(left), len(right))
        if groups:
            return text[left[groups - 1] : right[groups - 1] + 1]
        return text[start:end]


# --- definitions --------------------------------------------------------------------------------


def _string_value(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def dotted(node: ast.AST) -> str | None:
    """LibCST's `get_full_name_for_node`: `a.b.c` for names and attributes, a call's function name."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Name):
            parts.append(node.id)
            break
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            if not parts:
                return None
            parts.append("None")
            break
    return ".".join(reversed(parts))


def _from_package(module: ModuleName, name: str | None, dots: int) -> str | None:
    """The absolute module of a relative import (None when it reaches above the top package)."""
    if dots == 0:
        return name
    if not module.package:
        return None
    bits = module.package.rsplit(".", dots - 1)  # as importlib resolves it
    if len(bits) < dots:
        return None
    return f"{bits[0]}.{name}" if name else bits[0]


def _absolute_import(module: ModuleName, node: ast.ImportFrom) -> str | None:
    if not node.level:
        return node.module
    return _from_package(module, node.module, node.level)


def module_defs(tree: ast.Module, module: ModuleName) -> ModuleDefs:
    values: dict[str, str] = {}
    members: set[str] = set()
    aliases: dict[str, str] = {}

    def collect(body: Sequence[ast.stmt], prefix: str, enum_kind: str | None) -> None:
        for small in body:
            target: ast.AST | None = None
            value: ast.AST | None = None
            if isinstance(small, ast.Assign) and len(small.targets) == 1:
                target, value = small.targets[0], small.value
            elif isinstance(small, ast.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            elif isinstance(small, ast.ImportFrom) and not prefix and small.names[0].name != "*":
                base = _absolute_import(module, small)
                for alias in small.names:
                    if base:
                        aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(small, ast.Import) and not prefix:
                for alias in small.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
            if not isinstance(target, ast.Name) or value is None:
                continue
            qualname = f"{prefix}{target.id}"
            text = _string_value(value)
            if text is None and enum_kind == "StrEnum" and _is_auto(value):
                text = target.id.lower()
            if text is not None:
                values[qualname] = text
            if enum_kind is not None and not target.id.startswith("_"):
                members.add(qualname)
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                bases = {str(dotted(b) or "").rsplit(".", 1)[-1] for b in statement.bases}
                kind = next(iter(sorted(bases & _ENUM_BASES)), None)
                if kind == "Enum" and "str" in bases:
                    kind = "StrEnum-like"
                collect(statement.body, f"{prefix}{statement.name}.", kind)

    collect(tree.body, "", None)
    return ModuleDefs(tuple(sorted(values.items())), frozenset(members), tuple(sorted(aliases.items())))


def _is_auto(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (dotted(node.func) or "").endswith("auto")


# --- scopes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Binding:
    """One assignment of a name: an import (with what it imports) or a local binding."""

    index: int
    scope: _Scope
    imported: tuple[str, str, str | None] | None = None  # (module incl. leading dots, name, asname)


@dataclass(eq=False)
class _Scope:
    """A LibCST-compatible scope: module, class, function (also lambda) or comprehension."""

    kind: str
    parent: _Scope | None
    name: str = ""
    bindings: dict[str, list[_Binding]] = field(default_factory=lambda: defaultdict(list))
    overwrites: dict[str, str] = field(default_factory=dict)  # name -> "global" | "nonlocal"
    prefix: str = ""

    def __post_init__(self) -> None:
        parent = self.parent.prefix if self.parent is not None else ""
        if self.kind == "function":
            self.prefix = ".".join(p for p in (parent, self.name, "<locals>") if p)
        elif self.kind == "class":
            self.prefix = ".".join(p for p in (parent, self.name) if p)
        elif self.kind == "comprehension":
            self.prefix = ".".join(p for p in (parent, "<comprehension>") if p)

    def _visible_parent(self, start: _Scope) -> _Scope | None:
        """The next enclosing scope a name lookup from `start` may use (classes are skipped)."""
        parent = start.parent
        while parent is not None and parent.kind == "class":
            parent = parent.parent
        return parent

    def _module(self) -> _Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def resolve(self, name: str, origin: _Scope) -> list[_Binding] | None:
        """The bindings `name` refers to from `origin`; None means a builtin, [] nothing."""
        if self.kind == "module":
            if self.bindings.get(name):
                return self.bindings[name]
            return None if name in _BUILTINS else []
        how = self.overwrites.get(name)
        if how == "global":
            return self._module().resolve(name, origin)
        if how != "nonlocal" and self.bindings.get(name):
            return self.bindings[name]
        parent = self._visible_parent(self)
        if parent is None:
            return []
        return parent.resolve(name, origin)


def _binding_names(binding: _Binding, name: str, full: str) -> set[tuple[str, str]]:
    """(qualified name, source) pairs of one binding for the dotted `full` (LibCST's rules)."""
    if binding.imported is None:
        prefix = binding.scope.prefix
        return {(f"{prefix}.{full}" if prefix else full, "local")}
    module, real, asname = binding.imported
    parts = real.split(".")
    for cut in range(len(parts), 0, -1):
        candidate = ".".join(parts[:cut])
        as_name = asname if asname is not None else candidate
        if module and module.endswith("."):
            candidate = f"{module}{candidate}"
        elif module:
            candidate = f"{module}.{candidate}"
        if full.startswith(as_name):
            remaining = full.split(as_name, 1)[1]
            if remaining and not remaining.startswith("."):
                continue
            remaining = remaining.lstrip(".")
            return {(f"{candidate}.{remaining}" if remaining else candidate, "import")}
    return set()


# --- the walk -----------------------------------------------------------------------------------


@dataclass
class _Candidate:
    node: ast.AST
    rows: list[Pattern]
    scope: _Scope
    index: int
    parent: ast.Call | None = None  # the call a key argument belongs to (for parentheses)
    stored: ast.expr | None = None  # `x[K] = v` (a pin): v


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Walker:
    """One pass over the tree without recursion: scopes, bindings (with LibCST's visit order),
    and the nodes whose names could match a pattern row.
    """

    def __init__(self, patterns: Sequence[Pattern], module: ModuleName) -> None:
        self.by_token: dict[str, list[Pattern]] = defaultdict(list)
        for row in patterns:
            self.by_token[row.token].append(row)
        self.candidates: list[_Candidate] = []
        self.stored: dict[int, ast.expr] = {}  # `x[K] = v` (one target): id(x[K]) -> v
        self.imported: set[str] = set()
        self.module = module
        self.counter = 0
        self.scope_of: dict[int, tuple[_Scope, int]] = {}  # id(node) -> (scope, access index)
        self.root = _Scope("module", None)

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _bind(self, scope: _Scope, name: str, imported: tuple[str, str, str | None] | None = None) -> None:
        target = scope
        how = scope.overwrites.get(name)
        if how == "global":
            target = scope._module()
        elif how == "nonlocal":
            parent = scope._visible_parent(scope)
            while parent is not None and parent.kind != "module" and not parent.bindings.get(name):
                parent = parent._visible_parent(parent)
            target = parent if parent is not None and parent.kind != "module" else scope
        target.bindings[name].append(_Binding(self._next(), target, imported))

    def walk(self, tree: ast.Module) -> None:
        # Work items: (node, scope). Children are pushed in reverse so they pop in source order.
        stack: list[tuple[ast.AST, _Scope]] = [(statement, self.root) for statement in reversed(tree.body)]
        while stack:
            node, scope = stack.pop()
            kind = type(node)
            if kind is _Params:
                for arg in _arguments(node.args):  # type: ignore[attr-defined]
                    self._bind(scope, arg.arg)
                continue
            if kind is ast.Name:
                if isinstance(node.ctx, ast.Store):  # type: ignore[attr-defined]
                    self._bind(scope, node.id)  # type: ignore[attr-defined]
                else:
                    self.scope_of[id(node)] = (scope, self._next())
                continue
            if kind is ast.Attribute:
                self._read(node, scope, Shape.ATTRIBUTE)
                stack.append((node.value, scope))  # type: ignore[attr-defined]
                continue
            if kind is ast.Call:
                self._call(node, scope)  # type: ignore[arg-type]
            elif kind is ast.Subscript:
                self._read(node, scope, Shape.SUBSCRIPT)
            elif kind is ast.Compare:
                self._membership(node, scope)  # type: ignore[arg-type]
            elif kind is ast.Assign and len(node.targets) == 1 and type(node.targets[0]) is ast.Subscript:  # type: ignore[attr-defined]
                self.stored[id(node.targets[0])] = node.value  # type: ignore[attr-defined]
            elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
                self._function(node, scope, stack)  # type: ignore[arg-type]
                continue
            elif kind is ast.ClassDef:
                self._class(node, scope, stack)  # type: ignore[arg-type]
                continue
            elif kind is ast.Lambda:
                inner = _Scope("function", scope, "")
                args = node.args  # type: ignore[attr-defined]
                pending: list[tuple[ast.AST, _Scope]] = []
                for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
                    pending.append((default, scope))
                for arg in _arguments(args):
                    self._bind(inner, arg.arg)
                pending.append((node.body, inner))  # type: ignore[attr-defined]
                stack.extend(reversed(pending))
                continue
            elif kind in _COMPREHENSIONS:
                self._comprehension(node, scope, stack)
                continue
            elif kind is ast.Import:
                for alias in node.names:  # type: ignore[attr-defined]
                    self.imported.add(alias.name.split(".")[0])
                    self._alias_token(alias)
                    self._bind(scope, alias.asname or alias.name, ("", alias.name, alias.asname))
                    if alias.asname is None:  # `import a.b` binds `a` too, as LibCST records it
                        parts = alias.name.split(".")
                        for cut in range(len(parts) - 1, 0, -1):
                            self._bind(scope, ".".join(parts[:cut]), ("", alias.name, None))
                continue
            elif kind is ast.ImportFrom:
                base = "." * node.level + (node.module or "")  # type: ignore[attr-defined]
                if node.module is not None and not node.level:  # type: ignore[attr-defined]
                    self.imported.add(node.module.split(".")[0])  # type: ignore[attr-defined]
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.name == "*":
                        continue
                    self._alias_token(alias)
                    self._bind(scope, alias.asname or alias.name, (base, alias.name, alias.asname))
                continue
            elif kind is ast.Global or kind is ast.Nonlocal:
                how = "global" if kind is ast.Global else "nonlocal"
                for name in node.names:  # type: ignore[attr-defined]
                    scope.overwrites[name] = how
                continue
            elif (kind is ast.ExceptHandler and node.name) or (kind in (ast.MatchAs, ast.MatchStar) and node.name):  # type: ignore[attr-defined]
                self._bind(scope, node.name)  # type: ignore[attr-defined]
            elif kind is ast.MatchMapping and node.rest:  # type: ignore[attr-defined]
                self._bind(scope, node.rest)  # type: ignore[attr-defined]
            elif kind is ast.Constant:
                continue
            stack.extend((child, scope) for child in reversed(_children(node)))

    def _alias_token(self, alias: ast.alias) -> None:
        if alias.asname is not None:
            rows = self.by_token.get(alias.name.rsplit(".", 1)[-1])
            if rows:
                self.by_token[alias.asname].extend(r for r in rows if r.shape is Shape.CALL)

    def _read(self, node: ast.AST, scope: _Scope, shape: Shape) -> None:
        """An attribute or subscript read (never an assignment target) on an owner a row names."""
        self.scope_of[id(node)] = (scope, self.counter)
        stored = self.stored.get(id(node))  # `settings.FEATURES[K] = True` can only be a pin
        if isinstance(node.ctx, ast.Store) and stored is None:  # type: ignore[attr-defined]
            return
        owner = node.value  # type: ignore[attr-defined]
        last = owner.id if type(owner) is ast.Name else owner.attr if type(owner) is ast.Attribute else ""
        rows = self.by_token.get(last)
        if not rows:
            return
        if shape is Shape.ATTRIBUTE:
            chosen = [r for r in rows if r.shape is shape and r.key_matches(node.attr)]  # type: ignore[attr-defined]
        elif isinstance(node.slice, ast.Slice):  # type: ignore[attr-defined]
            chosen = []
        else:
            pin = stored is not None
            chosen = [r for r in rows if r.shape is shape and (r.kind is RefKind.TEST_OVERRIDE) is pin]
        if chosen:
            self.candidates.append(_Candidate(node, chosen, scope, self.counter, stored=stored))

    def _membership(self, node: ast.Compare, scope: _Scope) -> None:
        """`"k" in features` / `"k" not in features` where a row names the collection."""
        if len(node.ops) != 1 or type(node.ops[0]) not in (ast.In, ast.NotIn):
            return
        negated = type(node.ops[0]) is ast.NotIn
        owner = node.comparators[0]
        last = owner.id if type(owner) is ast.Name else owner.attr if type(owner) is ast.Attribute else ""
        rows = [r for r in self.by_token.get(last, ()) if r.shape is Shape.MEMBERSHIP and r.negated is negated]
        if rows:
            self.scope_of[id(node)] = (scope, self.counter)
            self.candidates.append(_Candidate(node, rows, scope, self.counter))

    def _call(self, node: ast.Call, scope: _Scope) -> None:
        self.scope_of[id(node)] = (scope, self.counter)
        func = node.func
        token = func.id if type(func) is ast.Name else func.attr if type(func) is ast.Attribute else None
        rows = self.by_token.get(token or "")
        if rows:
            chosen = [
                r
                for r in rows
                if r.shape in (Shape.CALL, Shape.METHOD)
                and (r.flag is not None or (_receiver(node) if r.on_receiver else argument(node, r.key)) is not None)
            ]
            if chosen:
                self.candidates.append(_Candidate(node, chosen, scope, self.counter))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope, stack: list) -> None:
        self._bind(scope, node.name)
        inner = _Scope("function", scope, node.name)
        pending: list[tuple[ast.AST, _Scope]] = [(d, scope) for d in node.decorator_list]
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            pending.append((default, scope))
        for arg in _arguments(args):
            if arg.annotation is not None:
                pending.append((arg.annotation, scope))
        if node.returns is not None:
            pending.append((node.returns, scope))
        # Parameters are bound once the walk reaches the body (LibCST binds them in visit order).
        pending.append((_Params(args), inner))
        pending.extend((statement, inner) for statement in node.body)
        stack.extend(reversed(pending))

    def _class(self, node: ast.ClassDef, scope: _Scope, stack: list) -> None:
        self._bind(scope, node.name)
        inner = _Scope("class", scope, node.name)
        pending: list[tuple[ast.AST, _Scope]] = [(d, scope) for d in node.decorator_list]
        pending.extend((b, scope) for b in node.bases)
        pending.extend((k.value, scope) for k in node.keywords)
        pending.extend((statement, inner) for statement in node.body)
        stack.extend(reversed(pending))

    def _comprehension(self, node: ast.AST, scope: _Scope, stack: list) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        inner = _Scope("comprehension", scope)
        pending: list[tuple[ast.AST, _Scope]] = [(generators[0].iter, scope)]
        for number, generator in enumerate(generators):
            if number:
                pending.append((generator.iter, inner))
            pending.append((generator.target, inner))
            pending.extend((condition, inner) for condition in generator.ifs)
        if isinstance(node, ast.DictComp):
            pending.extend([(node.key, inner), (node.value, inner)])
        else:
            pending.append((node.elt, inner))  # type: ignore[attr-defined]
        stack.extend(reversed(pending))


class _Params(ast.AST):
    """A marker work item: bind a function's parameters in its own scope."""

    _fields = ()

    def __init__(self, args: ast.arguments) -> None:
        super().__init__()
        self.args = args


def _arguments(args: ast.arguments) -> Iterator[ast.arg]:
    yield from args.posonlyargs
    yield from args.args
    if args.vararg is not None:
        yield args.vararg
    yield from args.kwonlyargs
    if args.kwarg is not None:
        yield args.kwarg


# Fields that never hold a name, a call or a scope: contexts, operators, type comments.
_SKIPPED_FIELDS = {"ctx", "op", "ops", "type_comment", "kind", "type_ignores"}
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _children(node: ast.AST) -> list[ast.AST]:
    """The child nodes that matter, in source order."""
    kind = type(node)
    if kind is ast.IfExp:
        return [node.body, node.test, node.orelse]  # type: ignore[attr-defined]
    if kind is ast.Dict:
        return [child for pair in zip(node.keys, node.values, strict=True) for child in pair if child is not None]  # type: ignore[attr-defined]
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS.setdefault(kind, tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS))
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if type(value) is list:
            found.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def _unnegated(node: ast.expr, negation: str | None) -> tuple[ast.expr, bool]:
    """The key inside a negating call (`not_("k")` -> "k", False), else the node itself (True)."""
    if negation is None or type(node) is not ast.Call or node.keywords or len(node.args) != 1:
        return node, True
    func, inner = node.func, node.args[0]
    name = func.id if type(func) is ast.Name else func.attr if type(func) is ast.Attribute else None
    return (inner, False) if name == negation and type(inner) is not ast.Starred else (node, True)


def _receiver(call: ast.Call) -> ast.expr | None:
    """The object a method is called on, when it is a name or a dotted name (`X`, `toggles.X`)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)):
        return func.value
    return None


def argument(call: ast.Call, where: Arg) -> ast.expr | None:
    """The argument of `call` at `where`: a keyword of that name, else the positional one (the
    value under `where.item` of a dict literal there, when it asks for one)."""
    found = _positioned(call, where)
    if where.item is None or found is None:
        return found
    if type(found) is not ast.Dict:
        return None
    for key, value in zip(found.keys, found.values, strict=True):
        if type(key) is ast.Constant and key.value == where.item:
            return value
    return None


def _positioned(call: ast.Call, where: Arg) -> ast.expr | None:
    if where.keywords:
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.arg in where.keywords:
                return keyword.value
    if where.index is None:
        return None
    for count, arg in enumerate(call.args):
        if type(arg) is ast.Starred:
            return None
        if count == where.index:
            return arg
    return None


def _suppressions(text: str) -> dict[int, frozenset[str]]:
    found: dict[int, frozenset[str]] = {}
    if "flaglint" not in text:
        return found
    for number, line in enumerate(LINE_BREAK.split(text), start=1):
        hit = _SUPPRESS.search(line)
        if hit:
            codes = hit.group(1)
            found[number] = frozenset(c.strip() for c in codes.split(",") if c.strip()) if codes else frozenset("*")
    return found


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


# --- matching -----------------------------------------------------------------------------------


class _Matcher:
    """Second pass, with scopes: decide which candidates really are flag references."""

    def __init__(
        self,
        path: str,
        source: _Source,
        module: ModuleName,
        walker: _Walker,
        suppressions: dict[int, frozenset[str]],
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.walker = walker
        self.suppressions = suppressions

    def qualified(self, node: ast.AST) -> set[str | None]:
        """LibCST's `scope.get_qualified_names_for(node)`, made absolute (`absolute_name`)."""
        found = self.walker.scope_of.get(id(node))
        if found is None:
            return set()
        scope, index = found
        full = dotted(node)
        if full is None:
            return set()
        head = full
        bindings: list[_Binding] | None = []
        while head:
            bindings = scope.resolve(head, scope)
            if bindings is None:
                return {None}
            if bindings:
                break
            head = head.rpartition(".")[0]
        if type(node) is ast.Name:
            earlier = [b for b in bindings if b.scope is not scope or b.index < index]
            if not earlier and bindings and scope.parent is not None:
                parent_bindings = scope.parent.resolve(head, scope)
                if parent_bindings is None:
                    return {None}
                earlier = parent_bindings
            bindings = earlier
        names: set[str | None] = set()
        for binding in bindings:
            for name, source in _binding_names(binding, head, full):
                names.add(self._absolute(name, source))
        return names

    def _absolute(self, name: str, source: str) -> str | None:
        if "<locals>" in name:
            return None
        if source == "local":
            return f"{self.module.name}.{name}" if self.module.name else name
        if name.startswith("."):
            dots = len(name) - len(name.lstrip("."))
            return _from_package(self.module, name[dots:] or None, dots)
        return name

    def match(self, candidate: _Candidate) -> FlagRef | None:
        node = candidate.node
        if isinstance(node, ast.Call):
            return self._match_call(node, candidate.rows)
        if isinstance(node, ast.Attribute):
            return self._match_object(node, node.value, candidate.rows, node.attr, None)
        if isinstance(node, ast.Subscript):
            index = node.slice
            if isinstance(index, ast.Tuple) and not self._parenthesized(index):
                return None  # `x["a", "b"]`: several subscripts, not one key
            ref = self._match_object(node, node.value, candidate.rows, None, index)
            if ref is not None and candidate.stored is not None:  # the value assigned is the one pinned
                ref = dataclasses.replace(ref, pinned=self._code(candidate.stored, None))
            return ref
        if isinstance(node, ast.Compare):
            return self._match_object(node, node.comparators[0], candidate.rows, None, node.left)
        return None

    def _parenthesized(self, node: ast.Tuple) -> bool:
        text = self.source.text
        return text[self.source.start(node)] == "(" and text[self.source.end(node) - 1] == ")"

    def _match_call(self, node: ast.Call, rows: list[Pattern]) -> FlagRef | None:
        func_names = self.qualified(node.func)
        best: tuple[int, Pattern, ast.expr] | None = None
        for row in rows:
            key_node = node if row.flag is not None else _receiver(node) if row.on_receiver else argument(node, row.key)
            if key_node is None:
                continue
            strength = self._call_strength(node, row, func_names, key_node)
            if strength and (best is None or strength > best[0]):
                best = (strength, row, key_node)
        if best is None:
            return None
        _, row, key_node = best
        default = argument(node, row.default)
        if row.flag is not None:  # the pattern names the one flag the call checks
            code = self._code(default, node) if default is not None else None
            return self._ref(node, row, None, attribute=row.flag, default=code)
        pinned = argument(node, row.pinned)
        pinned_text = row.pin if pinned is None else self._code(pinned, node)
        key_call = node
        if row.kind is RefKind.PREDICATE:  # pinned: the flag value the predicate asks for
            unwrapped, wanted = _unnegated(key_node, row.negation)
            if unwrapped is not key_node:
                key_call, key_node = key_node, unwrapped  # type: ignore[assignment]
            pinned_text = str(wanted)
        ref = self._ref(
            node,
            row,
            key_node,
            call=key_call,
            default=self._code(default, node) if default is not None else None,
            pinned=pinned_text,
        )
        if row.on_object:  # the key is the one the named object was made with, or it is no reference
            name = isinstance(key_node, (ast.Name, ast.Attribute))
            return dataclasses.replace(ref, key=None, key_source=KeySource.OBJECT) if name else None
        return ref

    def _call_strength(self, node: ast.Call, row: Pattern, func_names: set[str | None], key_node: ast.expr) -> int:
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(receiver, ast.Call):  # get_client().m(...)
            receiver = receiver.func
        return call_strength(
            row,
            func_names=func_names,
            func_last=_last_name(func),
            method=method,
            receiver_last=_last_name(receiver) if receiver is not None else None,
            imported=self.walker.imported,
            receiver_names=lambda: {dotted(func.value)} | self.qualified(func.value),  # type: ignore[attr-defined]
            key_static=lambda: self._static(key_node),
        )

    def _static(self, key_node: ast.expr) -> bool:
        if _string_value(key_node) is not None:
            return True
        return isinstance(key_node, (ast.Name, ast.Attribute)) and self._symbol(key_node) is not None

    def _symbol(self, key_node: ast.expr) -> str | None:
        names = self.qualified(key_node)
        return names.pop() if len(names) == 1 else None

    def _match_object(
        self,
        node: ast.AST,
        owner: ast.expr,
        rows: list[Pattern],
        attribute: str | None,
        key_node: ast.expr | None,
    ) -> FlagRef | None:
        owner_names = {dotted(owner)} | self.qualified(owner)
        for row in rows:
            if not names_match(row.name, owner_names):
                continue
            if attribute is not None:
                return self._ref(node, row, None, attribute=attribute)
            assert key_node is not None
            ref = self._ref(node, row, key_node)
            if ref.key is None or row.key_matches(ref.key):
                if ref.key is None and ref.key_symbol is None and row.match is not None:
                    continue
                return ref
        return None

    def _code(self, node: ast.AST, call: ast.Call | None) -> str:
        if call is None:
            return self.source.code(node)
        # The call's own parentheses bound the search: its "(" follows the function, its ")" ends it.
        text = self.source.text
        position = self.source.end(call.func)
        while position < len(text) and text[position] != "(":
            position += 1
        return self.source.code(node, floor=position, ceiling=self.source.end(call) - 1)

    def _ref(
        self,
        node: ast.AST,
        row: Pattern,
        key_node: ast.expr | None,
        *,
        call: ast.Call | None = None,
        attribute: str | None = None,
        default: str | None = None,
        pinned: str | None = None,
    ) -> FlagRef:
        span = self.source.span(node)
        suppressed = frozenset().union(*(self.suppressions.get(n, frozenset()) for n in {span.line, span.end_line}))
        key: str | None = attribute
        source = KeySource.ATTRIBUTE if attribute is not None else KeySource.DYNAMIC
        symbol = None
        key_text = attribute or ""
        if key_node is not None:
            key_text = self._code(key_node, call)
            key = _string_value(key_node)
            if key is not None:
                source = KeySource.LITERAL
            elif isinstance(key_node, (ast.Name, ast.Attribute)):
                symbol = self._symbol(key_node)
        return FlagRef(
            path=self.path,
            span=span,
            key=key,
            key_source=source,
            key_text=key_text,
            pattern=row.id,
            sdk=row.sdk,
            kind=row.kind,
            default=default,
            pinned=pinned,
            key_symbol=symbol,
            suppressed=suppressed,
        )
