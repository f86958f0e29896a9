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
from flaglint.model import FileScan, ModuleDefs, ModuleName, Problem, RefKind


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
    tree = parse_view(path, text, scan_view(text, patterns) if view is None else view)
    if isinstance(tree, Problem):
        return _newer_syntax(path, text, module, patterns, tree)
    source = _Source(text)
    walker = Walker(patterns, module)
    walker.walk(tree)
    defs = module_defs(tree, module)
    if not walker.candidates:
        return FileScan((), defs)
    matcher = Matcher(path, source, module, walker, _suppressions(text))
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
