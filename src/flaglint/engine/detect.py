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
from collections.abc import Sequence

from flaglint.engine.astparse import parse
from flaglint.engine.defs import _Source, module_defs
from flaglint.engine.patterns import Pattern
from flaglint.engine.resolve import with_objects
from flaglint.engine.stubs import _blank, _tokens, parse_view
from flaglint.engine.walker import Matcher, Walker, _suppressions
from flaglint.model import FileScan, ModuleDefs, ModuleName, Problem, RefKind, is_test_file


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
    view = scan_view(text, patterns) if view is None else view
    tree = parse_view(path, text, view)
    if isinstance(tree, Problem):
        return _newer_syntax(path, text, module, patterns, tree)
    source = _Source(text)
    walker = Walker(patterns, module, test=is_test_file(path))
    walker.walk(tree)
    defs = module_defs(tree, module)
    if not walker.candidates:
        return FileScan((), defs)
    matcher = Matcher(path, source, module, walker, _suppressions(text))
    refs = [ref for ref in map(matcher.match, walker.candidates) if ref is not None]
    found = with_objects(refs, defs, text, module)
    return FileScan(*found, layout=layout(tree, text, view) if refs else ())


def layout(tree: ast.Module, text: str, view: str) -> tuple[tuple[int, int], ...]:
    """Where the statements of a module and of its top-level classes begin and end (see
    `FileScan.layout`), from the parse of its view: a stand-in ends on the last line the view
    blanked. Nothing for text with carriage returns (the view is written with bare newlines)."""
    if "\r" in text:
        return ()
    lines, seen = text.split("\n"), view.split("\n")
    if len(lines) != len(seen):
        return ()
    groups = _groups(tree.body)
    top = _extents(groups, len(lines), lines, seen)
    found = dict(top)
    for index, (group, (first, end)) in enumerate(zip(groups, top, strict=True)):
        statement = group[0]
        if isinstance(statement, ast.ClassDef) and len(group) == 1 and seen[first - 1] == lines[first - 1]:
            limit = top[index + 1][0] - 1 if index + 1 < len(top) else len(lines)
            inner = _extents(_groups(statement.body), limit, lines, seen)
            found.update(inner)
            found[first] = max([end, *(last for _, last in inner)])
    return tuple(sorted(found.items()))


def _first(statement: ast.stmt) -> int:
    return min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])


def _groups(block: list[ast.stmt]) -> list[list[ast.stmt]]:
    """The statements of a block by the line each group begins: `a; b` is one group."""
    found: list[list[ast.stmt]] = []
    last = 0
    for statement in block:
        if _first(statement) > last:
            found.append([statement])
        else:
            found[-1].append(statement)
        last = max(last, statement.end_lineno or statement.lineno)
    return found


def _extents(groups: list[list[ast.stmt]], limit: int, lines: list[str], seen: list[str]) -> list[tuple[int, int]]:
    """(first, last) line of each group; a stand-in's last line is the last one the view blanked
    before the next group (or `limit`)."""
    found: list[tuple[int, int]] = []
    for index, group in enumerate(groups):
        first = _first(group[0])
        end = max(s.end_lineno or s.lineno for s in group)
        if seen[first - 1] != lines[first - 1]:
            bound = _first(groups[index + 1][0]) - 1 if index + 1 < len(groups) else limit
            end = next((n for n in range(bound, end, -1) if seen[n - 1] != lines[n - 1]), end)
        found.append((first, end))
    return found


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
    tree = parse_view(path, text, _blank(text, None) or text)
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
