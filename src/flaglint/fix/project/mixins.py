"""Mixins the fold left empty: `class FeatureFlagMixin:` whose only method answered 404 while the
flag was off is `pass` once the check and the override that only called `super()` are gone. Used
only as a base class in its own module, it served the flag and goes, and so does it from those
base-class lists (replay cause: code that only served the flag).

A class qualifies when the rewrite emptied it (its body was more than `pass` before), it has no
decorators and no keywords (a metaclass), its module names it only in its own `class` line and in
base-class lists, and no other file of the project spells its name (but one that defines a class
of that name of its own and imports none); the use index checks the step again.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet

import libcst as cst

from flaglint.engine.mentions import quiet_parse
from flaglint.engine.source import common_frame
from flaglint.fix.base import Note
from flaglint.fix.texts import Texts
from flaglint.model import Problem


def remove_empty_mixins(
    texts: Texts, rewritten: Mapping[str, str], notes: list[Note], keep: AbstractSet[tuple[str, str]]
) -> set[str]:
    """Delete the mixins the rewrite of each file in `rewritten` (file -> its text before the plan)
    left empty and used only as bases there; the files changed."""
    from flaglint.engine.scan import parse

    changed: set[str] = set()
    for rel, before in sorted(rewritten.items()):
        found = texts.text(rel)
        if isinstance(found, Problem) or "pass" not in found[0]:
            continue
        text, encoding = found
        names = [n for n in _emptied(before, text) if (rel, n) not in keep and _only_bases(texts, rel, text, n)]
        tree = parse(rel, text) if names else None
        if not isinstance(tree, cst.Module):
            continue
        new = tree.visit(_WithoutMixins(frozenset(names)))
        texts.edits[rel] = (new.code, encoding)
        changed.add(rel)
        for name in names:
            why = f"removed `{name}`: the rewrite left it empty, and it was only a base class here"
            notes.append(Note(rel, 0, None, "helper", why))
    return changed


_EMPTY_CLASS = re.compile(r"^class[ \t]+(\w+)[^\n]*:[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]+pass\b", re.M)


def _emptied(before: str, after: str) -> list[str]:
    """Top-level classes of `after` whose body is only `pass`, that had more
    in `before`; no decorators, no keywords."""
    start, tail = common_frame(before, after)
    if "pass" not in after[start : len(after) - tail]:
        return []  # the rewrite left no `pass` (the one an emptied class gets is new)
    fresh = set(_EMPTY_CLASS.findall(after)) - set(_EMPTY_CLASS.findall(before))
    if not any(len(re.findall(rf"\b{name}\b", after)) > 1 for name in fresh):
        return []  # (cheap: no class newly left as `pass` that something else names)
    old, new = quiet_parse(before), quiet_parse(after)
    if old is None or new is None:
        return []
    was = {n.name: n for n in old.body if isinstance(n, ast.ClassDef)}
    found = []
    for node in new.body:
        if not isinstance(node, ast.ClassDef) or node.decorator_list or node.keywords:
            continue
        if not all(isinstance(s, ast.Pass) for s in node.body):
            continue
        earlier = was.get(node.name)
        if earlier is not None and any(not isinstance(s, (ast.Pass, ast.Expr)) for s in earlier.body):
            found.append(node.name)
    return found


def _only_bases(texts: Texts, rel: str, text: str, name: str) -> bool:
    """Whether `name` is spelt in `rel` only by its own class line and as a base class, and by no
    other file."""
    tree = quiet_parse(text)
    if tree is None:
        return False
    as_bases = sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for base in node.bases
        if isinstance(base, ast.Name) and base.id == name
    )
    spelt = len(re.findall(rf"(?<![\w.]){re.escape(name)}\b", text))
    if not as_bases or spelt != as_bases + 1:
        return False  # a mixin is a base somewhere; nothing else may name it
    word = re.compile(rf"\b{re.escape(name)}\b")
    own = re.compile(rf"^[ \t]*class[ \t]+{re.escape(name)}\b", re.M)
    imported = re.compile(rf"\bimport\b[^\n]*\b{re.escape(name)}\b|\.{re.escape(name)}\b")
    for other, spelling, _ in texts.containing(name):
        if other == rel or not word.search(spelling):
            continue
        if own.search(spelling) and not imported.search(spelling):
            continue  # a class of its own of that name: its mentions are its own
        return False
    return True


class _WithoutMixins(cst.CSTTransformer):
    """Remove the classes `names` and their mentions in base-class lists."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__()
        self.names = names

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef | cst.RemovalSentinel:
        if updated_node.name.value in self.names:
            return cst.RemoveFromParent()
        bases = [b for b in updated_node.bases if not (isinstance(b.value, cst.Name) and b.value.value in self.names)]
        if len(bases) == len(updated_node.bases):
            return updated_node
        if bases:
            bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated_node.with_changes(bases=bases)
        return updated_node.with_changes(bases=[], lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT)
