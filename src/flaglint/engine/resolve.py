"""Turn key symbols (`app.flags.NEW_CHECKOUT`, `app.flags.Feature.K.value`) into flag keys.

Pure: the caller supplies `lookup`, which returns the definitions of a module by dotted name.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from flaglint.engine.patterns import Pattern
from flaglint.engine.source import LINE_BREAK
from flaglint.model import FlagRef, KeySource, ModuleDefs, ModuleName, RefKind

Lookup = Callable[[str], ModuleDefs | None]
_MAX_HOPS = 8


@dataclass(frozen=True)
class Definition:
    """Where a key's constant is defined: module, name inside it (`NAME` or `Class.MEMBER`), value."""

    module: str
    name: str
    value: str
    source: KeySource


def find_definition(symbol: str, lookup: Lookup, hops: int = 0, *, objects: bool = False) -> Definition | None:
    """The definition a fully qualified name leads to, following re-exports; with `objects`, the
    flag object it names (`X = WaffleSwitch("k")`) rather than a string constant.
    """
    if hops > _MAX_HOPS:
        return None
    parts = symbol.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        defs = lookup(module)
        if defs is not None:
            if objects:
                return _object_in_module(defs, module, parts[cut:], lookup, hops)
            return _in_module(defs, module, parts[cut:], lookup, hops)
    return None


def _object_in_module(defs: ModuleDefs, module: str, local: list[str], lookup: Lookup, hops: int) -> Definition | None:
    name = ".".join(local)
    made = dict(defs.objects)
    if name in made:
        return Definition(module, name, made[name], KeySource.OBJECT)
    aliases = dict(defs.aliases)
    if local[0] in aliases:
        target = ".".join([aliases[local[0]], *local[1:]])
        if target != f"{module}.{name}":
            return find_definition(target, lookup, hops + 1, objects=True)
    return None


_ASSIGNED = re.compile(r"([^\W\d]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*\Z")


def with_objects(
    refs: Sequence[FlagRef], defs: ModuleDefs, text: str, module: ModuleName
) -> tuple[tuple[FlagRef, ...], ModuleDefs]:
    """The module-level flag objects among a module's declarations (`X = WaffleSwitch("k", ...)`
    at the start of a line): each declaration learns the name it binds (its `key_symbol`), and the
    module's definitions list the objects, for checks (`X.is_enabled()`) here and in importers. A
    key spelt with the module's own string constants (`NAME`, `f"{NAMESPACE}.k"`) counts.
    """
    if not any(ref.kind is RefKind.DECLARATION for ref in refs):
        return tuple(refs), defs
    lines = LINE_BREAK.split(text)
    constants = dict(defs.values)
    named: list[FlagRef] = []
    objects: dict[str, str] = {}
    for ref in refs:
        if ref.kind is RefKind.DECLARATION and ref.span.line <= len(lines):
            found = _ASSIGNED.match(lines[ref.span.line - 1][: ref.span.column - 1])
            key = ref.key if ref.key is not None else _spelt(ref.key_text, constants)
            if found is not None and key is not None:
                objects.setdefault(found.group(1), key)
                symbol = f"{module.name}.{found.group(1)}" if module.name else found.group(1)
                source = ref.key_source if ref.key is not None else KeySource.CONSTANT
                ref = dataclasses.replace(ref, key=key, key_source=source, key_symbol=symbol)
            else:  # a declaration's symbol is the object it binds, never its key's constant
                ref = dataclasses.replace(ref, key_symbol=None)
        named.append(ref)
    return tuple(named), dataclasses.replace(defs, objects=tuple(sorted(objects.items())))


def _spelt(code: str, constants: Mapping[str, str]) -> str | None:
    """The string a key expression spells with module-level string constants: `NAME`, or an
    f-string of plain `{NAME}` fields (no conversion, no format), else None.
    """
    try:
        node = ast.parse(code.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(part.value)
        elif (
            isinstance(part, ast.FormattedValue)
            and part.conversion == -1
            and part.format_spec is None
            and isinstance(part.value, ast.Name)
            and part.value.id in constants
        ):
            parts.append(constants[part.value.id])
        else:
            return None
    return "".join(parts)


def resolve_symbol(symbol: str, lookup: Lookup) -> tuple[str, KeySource] | None:
    """The string a fully qualified name stands for, and whether it came through an enum."""
    found = find_definition(symbol, lookup)
    return (found.value, found.source) if found else None


def _in_module(defs: ModuleDefs, module: str, local: list[str], lookup: Lookup, hops: int) -> Definition | None:
    values = dict(defs.values)
    name = ".".join(local)
    accessor = None
    if len(local) > 1 and local[-1] in ("value", "name"):
        base = ".".join(local[:-1])
        if base in defs.enum_members:
            name, accessor = base, local[-1]
    if name in defs.enum_members:
        if accessor == "name":
            return Definition(module, name, name.rsplit(".", 1)[-1], KeySource.ENUM)
        value = values.get(name)
        return Definition(module, name, value, KeySource.ENUM) if value is not None else None
    if name in values:
        return Definition(module, name, values[name], KeySource.CONSTANT)
    aliases = dict(defs.aliases)
    head = local[0]
    if head in aliases:
        target = ".".join([aliases[head], *local[1:]])
        if target != f"{module}.{name}":
            return find_definition(target, lookup, hops + 1)
    return None


def link(refs: Iterable[FlagRef], lookup: Lookup, patterns: Iterable[Pattern] = ()) -> list[FlagRef]:
    """Fill in the key of every reference whose key is a symbol; the rest stay dynamic. A check
    on an object (`X.is_enabled()`) whose X is no flag object the project made is no reference,
    nor is one whose pattern's `match` refuses the key its symbol names (`config[REGISTRY_KEY]`
    for a pattern of `ENABLE_*` keys).
    """
    narrowing = {p.id: p for p in patterns if p.match is not None}
    linked = []
    for ref in refs:
        if ref.key_source is KeySource.OBJECT:
            site = find_definition(ref.key_symbol, lookup, objects=True) if ref.key_symbol else None
            if site is not None:
                linked.append(dataclasses.replace(ref, key=site.value))
            continue
        if ref.key is None and ref.key_symbol is not None:
            found = resolve_symbol(ref.key_symbol, lookup)
            if found is not None:
                row = narrowing.get(ref.pattern)
                if row is not None and not row.key_matches(found[0]):
                    continue
                ref = dataclasses.replace(ref, key=found[0], key_source=found[1])
        linked.append(ref)
    return linked
