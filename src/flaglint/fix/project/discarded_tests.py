"""Tests of code that only the retired flag's discarded path had.

When the fold deletes a definition the discarded path alone used (the legacy view class whose
`@view_defaults(feature=not_(K))` can never hold again, a helper only the dead branch called),
tests that still name it test code that is gone. With `--unsafe-fixes` they go: each test function
(`test_*`) or test class (`Test*`) at the top of a test module, or test method of such a class,
that names it, so nothing is left naming it. A name anywhere else in a test module (a module-level
fixture or helper, a constant) keeps the definition's flag from being retired, as before: only
test units are ever deleted, and the use index checks again that nothing names what went.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import libcst as cst

from flaglint.engine.mentions import quiet_parse
from flaglint.engine.uses import Defined, Facts
from flaglint.fix.base import Note, is_test_file
from flaglint.fix.texts import Texts
from flaglint.model import Problem

_KINDS = frozenset({"global", "member"})  # functions, classes, constants and class members


@dataclass(frozen=True, order=True)
class Doomed:
    """A test unit to delete (`test_x`, `TestX` or `TestX.test_y`) and the definition it names."""

    path: str
    unit: str
    line: int
    names: str


def discarded_definitions(facts: Mapping[str, tuple[str, Facts]]) -> frozenset[Defined]:
    """What the checks' pass deleted (file -> (new text, facts)): the discarded path's code."""
    return frozenset(d for _, done in facts.values() for d in done.removed if d.kind in _KINDS)


def tests_naming(
    uses: Iterable[tuple[str, int, Defined]], discarded: AbstractSet[Defined], texts: Texts
) -> list[Doomed] | None:
    """The test units holding every use ((file, line, definition)) of a definition in
    `discarded`; None when one such use is not inside a test unit of a test module (then no
    deleting of tests lets the flag go). Uses of other definitions are not this pass's."""
    found: list[Doomed] = []
    units: dict[str, list[tuple[str, int, int, int]]] = {}
    for rel, line, definition in uses:
        if definition not in discarded:
            continue
        if not is_test_file(rel):
            return None
        if rel not in units:
            text = texts.text(rel)
            tree = None if isinstance(text, Problem) else quiet_parse(text[0])
            units[rel] = list(_units(tree.body)) if tree is not None else []
        unit = _innermost(units[rel], line)
        if unit is None:
            return None
        found.append(Doomed(rel, unit[0], unit[1], definition.name))
    return sorted(set(found))


def _units(body: Sequence[ast.stmt]) -> Iterable[tuple[str, int, int, int]]:
    """(qualified name, first line, last line, depth) of each test function and class at the top
    of a module and each test method of those classes; decorators count as their unit's."""
    for node in body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        last = node.end_lineno or node.lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node.name, first, last, 0
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            yield node.name, first, last, 0
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and member.name.startswith("test"):
                    start = min([member.lineno, *(d.lineno for d in member.decorator_list)])
                    yield f"{node.name}.{member.name}", start, member.end_lineno or member.lineno, 1


def _innermost(units: Sequence[tuple[str, int, int, int]], line: int) -> tuple[str, int] | None:
    """The deepest unit holding `line`: a test method, else its class (a fixture or helper method
    of a test class belongs to the class), else a test function."""
    holding = [u for u in units if u[1] <= line <= u[2]]
    if not holding:
        return None
    best = max(holding, key=lambda u: u[3])
    return best[0], best[1]


def remove_tests(texts: Texts, doomed: Sequence[Doomed], unsafe: bool, notes: list[Note]) -> set[str]:
    """Delete the `doomed` test units (unsafe), or say they would go; the files changed."""
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import remove_definitions

    by_file: dict[str, dict[str, Doomed]] = {}
    for entry in doomed:
        by_file.setdefault(entry.path, {}).setdefault(entry.unit, entry)
    changed: set[str] = set()
    for rel, named in sorted(by_file.items()):
        # a whole class covers its methods
        units = {u: d for u, d in named.items() if "." not in u or u.split(".", 1)[0] not in named}
        found = texts.text(rel)
        tree = parse(rel, found[0]) if unsafe and not isinstance(found, Problem) else None
        if not isinstance(tree, cst.Module) or isinstance(found, Problem):
            for name, entry in sorted(units.items()):
                why = f"would remove `{name}` (--unsafe-fixes): {_why(entry)}"
                notes.append(Note(rel, entry.line, None, "unsafe-skipped", why))
            continue
        new, removed = remove_definitions(tree, sorted(units), imports=True)
        for name in removed:
            notes.append(Note(rel, units[name].line, None, "unsafe-applied", f"removed `{name}`: {_why(units[name])}"))
        if removed:
            texts.edits[rel] = (new.code, found[1])
            changed.add(rel)
    return changed


def _why(entry: Doomed) -> str:
    return f"it tests `{entry.names}`, code only the retired flag's discarded path had"
