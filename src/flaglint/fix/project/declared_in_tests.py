"""Tests that spell a retired field of a declaration class.

A project that declares its flags as fields of a class (`class Features(BaseSettings): superfast:
bool`, configured under `registry.code`) has tests that build that class with every field
(`Features(lists=True, superfast=False)`), write the settings it loads (`{"superfast": "false"}`)
and assert what it read (`assert f.superfast is False`). Those mentions keep the field, and so
the declaration, after the flag's checks are gone. With `--unsafe-fixes` they go with it: the
keyword argument in a call of the class, the dict entry keyed by the field's name (or its
kebab-case spelling), the assert statement that reads the field. When every retired flag is
retired on, a member named as an element of a collection a patcher sets (`monkeypatch.setattr(
config, "FEATURE_FLAGS", {Flag.K})`: the flags a test turns on) leaves it too, and a patcher
statement left setting an empty collection goes. Only when every mention in the project is one
of those, in a test module; anything else keeps the field, as before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

from flaglint.engine.mentions import quiet_parse
from flaglint.fix.base import Note, PadEmptyBlocks, is_test_file
from flaglint.fix.imports import drop_new_unused_imports
from flaglint.fix.texts import Texts
from flaglint.model import Problem


@dataclass(frozen=True, order=True)
class FieldMention:
    """A test module whose mentions of `Owner.field` all go with the field."""

    path: str
    owner: str
    field: str
    elements: bool = False  # an element of a collection a patcher sets goes too


def _spellings(field: str) -> frozenset[str]:
    return frozenset({field, field.replace("_", "-")})


_PATCHERS = frozenset({"setattr", "patch", "object", "dict"})


def _set_elements(call: ast.Call, owner: str, field: str) -> Iterator[ast.expr]:
    """`Owner.field` as an element of a literal collection a patcher call sets."""
    if _last(call.func) not in _PATCHERS:
        return
    for value in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(value, (ast.Set, ast.List, ast.Tuple)):
            for element in value.elts:
                if _member(element, owner, field):
                    yield element


def _member(node: ast.expr, owner: str, field: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == field
        and isinstance(node.value, ast.Name)
        and node.value.id == owner
    )


def _covered(tree: ast.Module, owner: str, field: str, elements: bool) -> bool:
    """Whether every mention of `field` in the module (a name, an attribute, a keyword, a
    string) is one that goes: a keyword of a call of `owner`, a dict key, inside an assert
    that reads the field as an attribute, or (`elements`) an element a patcher sets."""
    words = _spellings(field)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and elements:
            allowed.update(id(e) for e in _set_elements(node, owner, field))
        if isinstance(node, ast.Call) and _last(node.func) == owner:
            allowed.update(id(k) for k in node.keywords if k.arg == field)
        elif isinstance(node, ast.Dict):
            allowed.update(id(k) for k in node.keys if isinstance(k, ast.Constant) and k.value in words)
        elif isinstance(node, ast.Assert) and _reads(node, field):
            allowed.update(id(inner) for inner in ast.walk(node))
    mentioned = False
    for node in ast.walk(tree):
        spelt = (
            (isinstance(node, ast.keyword) and node.arg == field)
            or (isinstance(node, ast.Constant) and node.value in words)
            or (isinstance(node, ast.Attribute) and node.attr == field)
            or (isinstance(node, ast.Name) and node.id == field)
        )
        if spelt:
            mentioned = True
            if id(node) not in allowed:
                return False
    return mentioned


def _reads(node: ast.Assert, field: str) -> bool:
    return any(isinstance(inner, ast.Attribute) and inner.attr == field for inner in ast.walk(node))


def _last(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def field_mentions(
    uses: Iterable[tuple[str, str, str]], declared: AbstractSet[str], texts: Texts, elements: bool
) -> list[FieldMention] | None:
    """For uses ((file, defining file, `Owner.field`)) of fields of the declaration classes
    `declared` (`path:Owner`), the test modules to clean; None when one use is elsewhere or is
    a mention that does not go. `elements`: the flags are retired on, so an element of a
    collection a patcher sets (the flags a test turns on) goes too."""
    found: set[FieldMention] = set()
    for rel, home, name in uses:
        owner, _, field = name.partition(".")
        if f"{home}:{owner}" not in declared or not field or "." in field:
            continue
        if not is_test_file(rel):
            return None
        text = texts.text(rel)
        tree = None if isinstance(text, Problem) else quiet_parse(text[0])
        if tree is None or not _covered(tree, owner, field, elements):
            return None
        found.add(FieldMention(rel, owner, field, elements))
    return sorted(found)


class _WithoutField(PadEmptyBlocks):
    def __init__(self, fields: Sequence[FieldMention]) -> None:
        super().__init__()
        self.by_owner = {(f.owner, f.field) for f in fields}
        self.members = {(f.owner, f.field) for f in fields if f.elements}
        self.fields = {f.field for f in fields}
        self.words = {w for f in fields for w in _spellings(f.field)}
        self.removed = 0
        self.emptied: set[int] = set()  # ids of patcher calls left setting an empty collection

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        owner = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if owner in _PATCHERS and self.members:
            updated_node = self._without_members(original_node, updated_node)
        args = [
            a for a in updated_node.args if not (a.keyword is not None and (owner, a.keyword.value) in self.by_owner)
        ]
        if len(args) == len(updated_node.args):
            return updated_node
        self.removed += len(updated_node.args) - len(args)
        if args and args[-1] is not updated_node.args[-1]:  # the last went: the new last takes its comma
            args[-1] = args[-1].with_changes(comma=updated_node.args[-1].comma)
        return updated_node.with_changes(args=args)

    def _without_members(self, original_node: cst.Call, call: cst.Call) -> cst.Call:
        args = []
        for arg in call.args:
            value = arg.value
            if isinstance(value, (cst.Set, cst.List, cst.Tuple)):
                kept = [e for e in value.elements if not self._is_member(e.value)]
                if len(kept) != len(value.elements):
                    self.removed += len(value.elements) - len(kept)
                    if kept and kept[-1] is not value.elements[-1]:
                        kept[-1] = kept[-1].with_changes(comma=value.elements[-1].comma)
                    if not kept:
                        self.emptied.add(id(original_node))
                    empty_set = cst.Call(cst.Name("set"))
                    value = empty_set if not kept and isinstance(value, cst.Set) else value.with_changes(elements=kept)
                    arg = arg.with_changes(value=value)
            args.append(arg)
        return call.with_changes(args=args)

    def _is_member(self, node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and (node.value.value, node.attr.value) in self.members
        )

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.Dict:
        elements = [
            e
            for e in updated_node.elements
            if not (
                isinstance(e, cst.DictElement)
                and isinstance(e.key, cst.SimpleString)
                and e.key.evaluated_value in self.words
            )
        ]
        if len(elements) == len(updated_node.elements):
            return updated_node
        self.removed += len(updated_node.elements) - len(elements)
        if elements and elements[-1] is not updated_node.elements[-1]:
            elements[-1] = elements[-1].with_changes(comma=updated_node.elements[-1].comma)
        return updated_node.with_changes(elements=elements)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        only = original_node.body[0] if len(original_node.body) == 1 else None
        if isinstance(only, cst.Expr) and id(only.value) in self.emptied:
            return cst.RemoveFromParent()  # it now sets no flag on
        if not isinstance(only, cst.Assert):
            return updated_node
        reads = m.findall(original_node, m.Attribute(attr=m.Name()))
        if any(isinstance(a, cst.Attribute) and a.attr.value in self.fields for a in reads):
            self.removed += 1
            return cst.RemoveFromParent()
        return updated_node


def remove_field_mentions(texts: Texts, mentions: Sequence[FieldMention], unsafe: bool, notes: list[Note]) -> set[str]:
    """Remove the `mentions` (unsafe), or say they would go; the files changed."""
    from flaglint.engine.scan import parse

    by_file: dict[str, list[FieldMention]] = {}
    for mention in mentions:
        by_file.setdefault(mention.path, []).append(mention)
    changed: set[str] = set()
    for rel, fields in sorted(by_file.items()):
        names = ", ".join(f"`{f.owner}.{f.field}`" for f in fields)
        found = texts.text(rel)
        tree = parse(rel, found[0]) if unsafe and not isinstance(found, Problem) else None
        if not isinstance(tree, cst.Module) or isinstance(found, Problem):
            why = f"would remove this test module's mentions of {names} (--unsafe-fixes): the declaration goes"
            notes.append(Note(rel, 0, None, "unsafe-skipped", why))
            continue
        remover = _WithoutField(fields)
        new = tree.visit(remover)
        if not remover.removed:
            continue
        new = drop_new_unused_imports(tree.code, new, new.code)
        texts.edits[rel] = (new.code, found[1])
        changed.add(rel)
        why = f"removed {remover.removed} mentions of {names}: tests spelt a retired declaration, nothing else did"
        notes.append(Note(rel, 0, None, "unsafe-applied", why))
    return changed
