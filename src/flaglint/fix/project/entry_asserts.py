"""Test assertions about a dict entry the rewrite removed.

With `--unsafe-fixes` an entry whose value was only the flag check goes from the dict that carried
it to a template (`"show_filter": is_enabled(K)`); its readers must stop reading it. A test of the
module that asserts on that entry (`assert context["show_filter"] is True`,
`assert ctx.get("show_filter") == True`, `self.assertTrue(response.context["show_filter"])`)
would fail on the missing key: the assertion goes with the entry. Only a statement that is an
assertion (an `assert`, or a call of a `self.assert...` method) goes, in a test module that
imports the module whose entry went; an entry still set anywhere else in that test module keeps
its assertions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet

import libcst as cst
from libcst.metadata import PositionProvider

from flaglint.engine.mentions import quiet_parse
from flaglint.fix.base import Note, PadEmptyBlocks, is_test_file
from flaglint.fix.texts import Texts
from flaglint.model import Problem


def _reads(node: ast.AST, keys: AbstractSet[str]) -> Iterator[str]:
    """The keys among `keys` an expression reads: `x["k"]` or `x.get("k", ...)`."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Subscript) and isinstance(inner.slice, ast.Constant) and inner.slice.value in keys:
            yield str(inner.slice.value)
        elif (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "get"
            and inner.args
            and isinstance(inner.args[0], ast.Constant)
            and inner.args[0].value in keys
        ):
            yield str(inner.args[0].value)


def _assertion(statement: ast.stmt) -> ast.AST | None:
    if isinstance(statement, ast.Assert):
        return statement
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr.startswith("assert")
            and isinstance(func.value, ast.Name)
            and func.value.id == "self"
        ):
            return statement.value
    return None


def _set_here(tree: ast.Module, keys: AbstractSet[str]) -> set[str]:
    """Keys the test module itself sets (a dict display or `x["k"] = ...`): its own dicts."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            found.update(str(k.value) for k in node.keys if isinstance(k, ast.Constant) and k.value in keys)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value in keys
                ):
                    found.add(str(target.slice.value))
    return found


def assertion_lines(text: str, keys: AbstractSet[str]) -> dict[int, str]:
    """Line -> key of each assertion statement in a test module's text that reads a removed key."""
    tree = quiet_parse(text)
    if tree is None:
        return {}
    wanted = set(keys) - _set_here(tree, keys)
    lines: dict[int, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        checked = _assertion(node)
        if checked is None:
            continue
        read = next(_reads(checked, wanted), None)
        if read is not None:
            lines[node.lineno] = read
    return lines


class _DropLines(PadEmptyBlocks):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, lines: AbstractSet[int]) -> None:
        super().__init__()
        self.lines = lines
        self.removed: list[int] = []

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        line = self.get_metadata(PositionProvider, original_node).start.line
        if line in self.lines and len(original_node.body) == 1:
            self.removed.append(line)
            return cst.RemoveFromParent()
        return updated_node


def remove_entry_asserts(
    texts: Texts, entries: Mapping[str, Sequence[str]], modules: Mapping[str, str], notes: list[Note]
) -> set[str]:
    """Remove the test assertions that read an entry the rewrite removed (`entries`: file -> keys;
    `modules`: file -> its module name); the files changed."""
    from flaglint.engine.scan import parse

    by_module = {modules[rel]: set(keys) for rel, keys in entries.items() if modules.get(rel)}
    keys = sorted({key for found in by_module.values() for key in found})
    changed: set[str] = set()
    for rel, text, _ in texts.everywhere(keys):
        if not is_test_file(rel):
            continue
        wanted = {key for module, found in by_module.items() if module in text for key in found}
        lines = assertion_lines(text, wanted) if wanted else {}
        if not lines:
            continue
        found_text = texts.text(rel)
        tree = parse(rel, text)
        if isinstance(found_text, Problem) or not isinstance(tree, cst.Module):
            continue
        dropper = _DropLines(frozenset(lines))
        new = cst.MetadataWrapper(tree, unsafe_skip_copy=True).visit(dropper)
        for line in sorted(dropper.removed):
            why = f"removed an assertion on entry {lines[line]!r}: the rewrite removed that entry"
            notes.append(Note(rel, line, None, "unsafe-applied", why))
        if dropper.removed:
            texts.edits[rel] = (new.code, found_text[1])
            changed.add(rel)
    return changed
