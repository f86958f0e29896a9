"""Turn key symbols (`app.flags.NEW_CHECKOUT`, `app.flags.Feature.K.value`) into flag keys.

Pure: the caller supplies `lookup`, which returns the definitions of a module by dotted name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from flaglint.model import FlagRef, KeySource, ModuleDefs

Lookup = Callable[[str], ModuleDefs | None]
_MAX_HOPS = 8


def resolve_symbol(symbol: str, lookup: Lookup, hops: int = 0) -> tuple[str, KeySource] | None:
    """The string a fully qualified name stands for, and whether it came through an enum."""
    if hops > _MAX_HOPS:
        return None
    parts = symbol.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        defs = lookup(".".join(parts[:cut]))
        if defs is None:
            continue
        return _in_module(defs, ".".join(parts[:cut]), parts[cut:], lookup, hops)
    return None


def _in_module(
    defs: ModuleDefs, module: str, local: list[str], lookup: Lookup, hops: int
) -> tuple[str, KeySource] | None:
    values = dict(defs.values)
    name = ".".join(local)
    accessor = None
    if len(local) > 1 and local[-1] in ("value", "name"):
        base = ".".join(local[:-1])
        if base in defs.enum_members:
            name, accessor = base, local[-1]
    if name in defs.enum_members:
        if accessor == "name":
            return name.rsplit(".", 1)[-1], KeySource.ENUM
        value = values.get(name)
        return (value, KeySource.ENUM) if value is not None else None
    if name in values:
        return values[name], KeySource.CONSTANT
    aliases = dict(defs.aliases)
    head = local[0]
    if head in aliases:
        target = ".".join([aliases[head], *local[1:]])
        if target != f"{module}.{name}":
            return resolve_symbol(target, lookup, hops + 1)
    return None


def link(refs: Iterable[FlagRef], lookup: Lookup) -> list[FlagRef]:
    """Fill in the key of every reference whose key is a symbol; the rest stay dynamic."""
    linked = []
    for ref in refs:
        if ref.key is None and ref.key_symbol is not None:
            found = resolve_symbol(ref.key_symbol, lookup)
            if found is not None:
                ref = dataclasses.replace(ref, key=found[0], key_source=found[1])
        linked.append(ref)
    return linked
