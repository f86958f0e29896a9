"""Flags declared in the project's own code: a registry source, and their removal.

Many projects list their flags in code rather than in a flag server: a dict of keys with
descriptions (`FEATURES = {"new-search": "..."}`), a tuple of (constant, description) pairs in a
class of key constants, a class or enum of key constants, a settings class of `bool` fields.
`[tool.flaglint.registry.code] declarations = ["app/flags.py:FEATURES", ...]` names them: each
is read as a registry source (every key known, so FL001 and FL008 work without a flag server),
and `clean` removes a retired flag's declaration with its checks.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from flaglint.engine.astparse import parse as parse_ast
from flaglint.engine.defs import module_defs
from flaglint.engine.source import decode, read_source
from flaglint.fix.base import shrink
from flaglint.fix.definitions import comment_words, remove_definitions
from flaglint.model import Flag, FlagState, FlagType, Location, ModuleName, Problem, Snapshot
from flaglint.registry.sources import SourceError


@dataclass(frozen=True)
class Declaration:
    """One configured place that declares flags: a module file and a dotted name in it."""

    path: Path
    name: str  # FEATURES, Feature.FEATURES, Feature (a class of constants or bool fields)


@dataclass(frozen=True)
class Declared:
    key: str
    line: int
    description: str = ""
    member: str = ""  # the class member that declares it (a class of constants or bool fields)


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:  # _("..."), gettext_lazy("...")
        return _string(node.args[0])
    return None


def _constants(tree: ast.Module) -> dict[str, str]:
    """String constants of a module and its classes (`NAME`, `Class.NAME`), as key resolution reads them."""
    return dict(module_defs(tree, ModuleName("", "")).values)


def _members(node: ast.ClassDef) -> list[Declared]:
    """A class's declarations: string constants (the value is the key) and `bool` fields (the name is)."""
    found = []
    for member in node.body:
        if isinstance(member, ast.Assign) and isinstance(member.targets[0], ast.Name):
            value = _string(member.value)
            if value is not None:
                found.append(Declared(value, member.lineno, member=member.targets[0].id))
        elif (
            isinstance(member, ast.AnnAssign)
            and isinstance(member.target, ast.Name)
            and isinstance(member.annotation, ast.Name)
            and member.annotation.id == "bool"
        ):
            found.append(Declared(member.target.id, member.lineno, member=member.target.id))
    return found


def _key(node: ast.AST, constants: Mapping[str, str], scope: str) -> str | None:
    """The key an element names: a string, a constant (`NAME`, `Class.NAME`), or a pair's first item."""
    if isinstance(node, (ast.Tuple, ast.List)) and node.elts:
        return _key(node.elts[0], constants, scope)
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return constants.get(f"{scope}{node.id}") or constants.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return constants.get(f"{node.value.id}.{node.attr}")
    return None


def _find(body: list[ast.stmt], name: str) -> tuple[ast.AST, str] | None:
    """The node `name` binds (a value or a class) and the class scope it sits in ("Feature.")."""
    *classes, last = name.split(".")
    scope = ""
    for part in classes:
        found = [n for n in body if isinstance(n, ast.ClassDef) and n.name == part]
        if not found:
            return None
        body, scope = found[-1].body, f"{scope}{part}."
    values: list[ast.expr] = []
    for node in reversed(body):
        if isinstance(node, ast.ClassDef) and node.name == last:
            return node, f"{scope}{last}."
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        named = any(isinstance(t, ast.Name) and t.id == last for t in targets)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and named:
            values.append(node.value)
    # `FEATURES = sorted(FEATURES, ...)` re-assigns what a literal declared: the literal declares it
    literal = next((v for v in values if isinstance(v, (ast.Dict, ast.List, ast.Tuple, ast.Set))), None)
    if literal is not None:
        return literal, scope
    return (values[0], scope) if values else None


def declared_in(text: str, name: str, path: str) -> list[Declared] | Problem:
    """The flags `name` declares in a module's text, with their lines and descriptions."""
    tree = parse_ast(path, text)
    if isinstance(tree, Problem):
        return tree
    found = _find(tree.body, name)
    if found is None:
        return Problem(path, 1, 0, f"declares no {name!r} (registry.code: a dict, list, tuple, class or constant)")
    node, scope = found
    constants = _constants(tree)
    flags: list[Declared] = []
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            found_key = _key(key, constants, scope) if key is not None else None
            if found_key is not None:
                flags.append(Declared(found_key, key.lineno, _string(value) or ""))  # type: ignore[union-attr]
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for element in node.elts:
            found_key = _key(element, constants, scope)
            pair = element.elts if isinstance(element, (ast.Tuple, ast.List)) else []
            if found_key is not None:
                flags.append(Declared(found_key, element.lineno, (_string(pair[1]) or "") if len(pair) > 1 else ""))
    elif isinstance(node, ast.ClassDef):
        flags = _members(node)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):  # a module constant: one key
        flags = [Declared(node.value, node.lineno, "")]
    else:
        message = f"{name!r} is not a dict, list, tuple, class or string constant"
        return Problem(path, getattr(node, "lineno", 1), 0, message)
    return flags


class CodeDeclarations:
    """A registry source: every flag the configured declarations list (state unknown: active)."""

    def __init__(self, declarations: Iterable[Declaration], relative: Callable[[Path], str]) -> None:
        self.declarations = tuple(declarations)
        self.relative = relative  # a path as the project shows it
        self.name = "code declarations"

    def load(self) -> Snapshot:
        flags: dict[str, Flag] = {}
        for declaration in self.declarations:
            display = self.relative(declaration.path)
            try:
                text = decode(display, read_source(declaration.path))
            except OSError as exc:
                raise SourceError(f"{display}: cannot read declared flags: {exc.strerror}") from None
            found = declared_in(text, declaration.name, display) if isinstance(text, str) else text
            if isinstance(found, Problem):
                raise SourceError(str(found))
            for item in found:
                flags.setdefault(
                    item.key,
                    Flag(
                        key=item.key,
                        type=FlagType.RELEASE,
                        state=FlagState.ACTIVE,
                        description=item.description,
                        location=Location(display, item.line),
                        source=display,
                    ),
                )
        return Snapshot(tuple(flags.values()), source=self.name)


# --- removal -----------------------------------------------------------------------------------


def remove_declared(
    path: str, text: str, module: cst.Module, name: str, keys: Iterable[str], keep: Container[str] = ()
) -> tuple[cst.Module, list[str], list[str]]:
    """Delete the entries of the declaration `name` that declare `keys` (`module` is `text`
    parsed): dict entries, list or tuple elements (a pair goes whole), class constants and `bool`
    fields; never the class members in `keep` (something still names them). Returns the new
    module, the keys removed, and the constants (`NAME`, `Class.NAME`) the removed entries named,
    which the caller deletes once nothing else names them.
    """
    tree = parse_ast(path, text)
    if isinstance(tree, Problem):
        return module, [], []
    found = _find(tree.body, name)
    if found is None:
        return module, [], []
    wanted = set(keys)
    node, _ = found
    if isinstance(node, ast.ClassDef):
        members = {f"{name}.{d.member}": d.key for d in _members(node) if d.key in wanted}
        members = {qualified: key for qualified, key in members.items() if qualified not in keep}
        new, removed = remove_definitions(module, members)
        return new, [members[qualified] for qualified in removed], []
    remover = _Remover(name.split("."), _constants(tree), wanted)
    return module.visit(remover), remover.removed, remover.named


def _cst_key(node: cst.BaseExpression, constants: Mapping[str, str], scope: str) -> tuple[str | None, str | None]:
    """(key, the constant that names it) of a container element, as `_key` reads it."""
    if isinstance(node, (cst.Tuple, cst.List)) and node.elements:
        return _cst_key(node.elements[0].value, constants, scope)
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return (value if isinstance(value, str) else None), None
    if isinstance(node, cst.Name):
        for qualified in (f"{scope}{node.value}", node.value):
            if qualified in constants:
                return constants[qualified], qualified
        return None, None
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        qualified = f"{node.value.value}.{node.attr.value}"
        return constants.get(qualified), qualified if qualified in constants else None
    return None, None


def _regrouped(
    container: cst.BaseExpression, keep: Sequence[bool], names: Sequence[Sequence[str]]
) -> cst.BaseExpression:
    """The container with the comment lines above each run of removed elements moved to the
    element after the run, where the kept elements' separators put them, except the comments
    that speak of the removed element right below them (name its constant or key): those go with
    it. `# Search related features` above a removed search flag then still heads the next one.
    """
    elements = list(container.elements)  # type: ignore[attr-defined]
    for start, wanted in enumerate(keep):
        if not wanted or start + 1 >= len(elements) or keep[start + 1]:
            continue
        end = start + 1
        while end < len(elements) and not keep[end]:
            end += 1
        if end == len(elements):
            continue  # the run ends the container: kept_elements hands the closing layout on
        lines: list[cst.EmptyLine] = []
        for index in range(start, end):  # the separator after element `index` sits above `index + 1`
            space = elements[index].comma.whitespace_after if isinstance(elements[index].comma, cst.Comma) else None
            if not isinstance(space, cst.ParenthesizedWhitespace):
                continue
            below = index + 1
            speaks = below < end and _speaks_of(space.empty_lines, names[below])
            lines.extend(line for line in space.empty_lines if line.comment is not None and not speaks)
        last = elements[end - 1].comma
        comma = elements[start].comma
        if not isinstance(comma, cst.Comma) or not isinstance(last, cst.Comma):
            continue
        space, tail = comma.whitespace_after, last.whitespace_after
        if not isinstance(space, cst.ParenthesizedWhitespace) or not isinstance(tail, cst.ParenthesizedWhitespace):
            continue
        regrouped = space.with_changes(empty_lines=lines, indent=tail.indent, last_line=tail.last_line)
        elements[start] = elements[start].with_changes(comma=comma.with_changes(whitespace_after=regrouped))
    return container.with_changes(elements=elements)


def _speaks_of(lines: Sequence[cst.EmptyLine], names: Sequence[str]) -> bool:
    """Whether the comment lines right above an element name it (its constant or its key)."""
    spoken = comment_words(" ".join(line.comment.value for line in lines if line.comment))
    return any(word and word in spoken for word in (comment_words(name.rsplit(".", 1)[-1]) for name in names))


class _Remover(cst.CSTTransformer):
    def __init__(self, path: list[str], constants: Mapping[str, str], wanted: set[str]) -> None:
        self.path = path
        self.constants = constants
        self.wanted = wanted
        self.scope: list[str] = []
        self.removed: list[str] = []
        self.named: list[str] = []

    def _here(self, name: str) -> bool:
        return [*self.scope, name] == self.path

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.scope.pop()
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        target = updated_node.targets[0].target if len(updated_node.targets) == 1 else None
        if isinstance(target, cst.Name) and self._here(target.value):
            return updated_node.with_changes(value=self._prune(updated_node.value))
        return updated_node

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign) -> cst.AnnAssign:
        target = updated_node.target
        if isinstance(target, cst.Name) and updated_node.value is not None and self._here(target.value):
            return updated_node.with_changes(value=self._prune(updated_node.value))
        return updated_node

    def _prune(self, value: cst.BaseExpression) -> cst.BaseExpression:
        scope = "".join(f"{part}." for part in self.scope)
        if isinstance(value, cst.Dict):
            found = [
                _cst_key(e.key, self.constants, scope) if isinstance(e, cst.DictElement) else (None, None)
                for e in value.elements
            ]
        elif isinstance(value, (cst.Tuple, cst.List, cst.Set)):
            found = [_cst_key(e.value, self.constants, scope) for e in value.elements]
        else:
            return value
        keep = [self._drop(*key) is False for key in found]
        if all(keep):
            return value
        names = [[part for part in (key, constant) if part] for key, constant in found]
        return shrink(_regrouped(value, keep, names), keep)

    def _drop(self, key: str | None, constant: str | None) -> bool:
        if key is None or key not in self.wanted:
            return False
        self.removed.append(key)
        if constant is not None:
            self.named.append(constant)
        return True
