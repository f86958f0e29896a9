"""Flags read from a mapping, a membership test or a settings object: `settings.FEATURES["k"]`
(pinned in tests by assigning into it), `"k" in web.ctx.features`, `settings.ENABLE_X`. What marks
them is a name that says flag (the mapping's, the collection's) or the shape of a settings name.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable

from flaglint.fix.base import is_test_file
from flaglint.infer.calls import Keys, conditions, dotted
from flaglint.infer.keysets import FLAGGY, KEYLIKE, SETTINGS, literal_shape, setting_shape, settings_like
from flaglint.infer.proposed import MIN_SITES, Proposed
from flaglint.model import ModuleName


def holder_candidates(modules: Iterable[tuple[str, ast.Module, ModuleName]], keys: Keys) -> list[Proposed]:
    """Attribute reads of flag-shaped settings (`settings.ENABLE_*`) and flag-shaped keys of a
    settings mapping (`app.config["FF_X"]`, `current_app.config.get("FF_X")`); as conditions, of a class
    named for flags (`if Features.NEW_TREE:`), subscripts of a mapping whose
    name says flag (`settings.FEATURES[K]`, a test-override pattern when tests assign into it), and
    membership tests in a collection whose name says flag (`"k" in web.ctx.features`)."""
    groups: Counter[tuple[str, str, str]] = Counter()
    stores: set[str] = set()  # mappings tests assign into
    deciding: Counter[str] = Counter()  # reads of a mapping that decide a branch
    for rel, tree, _ in modules:
        qualified = _settings_names(tree)  # settings objects, and what else the module imports
        branch = conditions(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                if isinstance(node.value, ast.Name) and node.value.id in qualified and node.attr.isupper():
                    owner = qualified[node.value.id]
                    glob = setting_shape(node.attr)
                    if glob is not None and settings_like(owner):
                        groups[("attribute", owner, glob)] += 1
                    elif _flag_class(owner) and id(node) in branch:  # `if Features.NEW_TREE:`
                        groups[("attribute", owner, "*")] += 1
            elif isinstance(node, ast.Subscript):
                holder = _holder(node.value, qualified)
                if holder is None or _key(node.slice, keys) is None:
                    continue
                glob = literal_shape(node.slice)
                if glob is not None and settings_like(holder):  # app.config["FF_X"]: a setting by its key
                    groups[("subscript", holder, glob)] += 1
                    if isinstance(node.ctx, ast.Store) and is_test_file(rel):
                        stores.add(holder)
                elif FLAGGY.search(holder.rsplit(".", 1)[-1]):
                    groups[("subscript", holder, "")] += 1
                    if isinstance(node.ctx, ast.Store) and is_test_file(rel):
                        stores.add(holder)
                    elif id(node) in branch:
                        deciding[holder] += 1
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                holder = _holder(node.func.value, qualified)  # current_app.config.get("FF_X", False)
                glob = literal_shape(node.args[0]) if node.args else None
                if holder is not None and glob is not None and settings_like(holder):
                    groups[("method", holder, glob)] += 1
            elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
                holder = _holder(node.comparators[0], qualified)
                if holder and FLAGGY.search(holder.rsplit(".", 1)[-1]) and _key(node.left, keys) is not None:
                    groups[("membership", holder, "")] += 1
    found = []
    for kind, name, glob in sorted(groups):
        if (
            kind == "subscript"
            and not glob
            and name not in stores
            and deciding[name] < 0.5 * groups[(kind, name, glob)]
        ):
            continue  # a mapping read as data (`flags = GROUP_TYPE_FLAGS[kind]`), not a flag decided
        entry: dict[str, object] = {"kind": kind, "name": name}
        if kind == "method":  # `get` on the settings mapping, the key first
            entry = {"kind": "method", "name": "get", "receiver": f"*{name.rsplit('.', 1)[-1]}", "key": 0}
        if glob:
            entry["match"] = glob
        if kind == "subscript" and name in stores:
            entry["flag-kind"] = "test-override"
        shapes = {"attribute": f"{name}.{glob}", "subscript": f"{name}[…]", "membership": f"… in {name}"}
        shape = shapes.get(kind, f"{name}.get({glob!r})")
        found.append(Proposed(entry, shape, least=1 if glob else MIN_SITES, literal_ok=True))
    return found


def _key(node: ast.expr, keys: Keys) -> str | None:
    """The key a subscript or membership test names: a key the project defines, or a literal."""
    known = keys.of(node)
    if known is not None:
        return known
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEYLIKE.match(node.value):
        return node.value
    return None


def _flag_class(dotted: str) -> bool:
    """A class named for flags (`features.Features`, `app.Flags`): its attributes are flags."""
    name = dotted.rsplit(".", 1)[-1]
    return name[:1].isupper() and not name.isupper() and FLAGGY.search(_snake(name)) is not None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)


def _holder(node: ast.expr, qualified: dict[str, str]) -> str | None:
    """The dotted name of a mapping or collection (`app.config`, `settings.FEATURES`), imports resolved."""
    name = dotted(node)
    if name is None:
        return None
    head, dot, rest = name.partition(".")
    return qualified.get(head, head) + dot + rest


def _settings_names(tree: ast.Module) -> dict[str, str]:
    """Local names of settings objects (`from django.conf import settings`), and of what else the
    module imports by name."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local = alias.asname or alias.name
                if alias.name in SETTINGS:
                    found[local] = f"{node.module}.{alias.name}"
                elif alias.name != "*":
                    found.setdefault(local, f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is None and "." not in alias.name:
                    found.setdefault(alias.name, alias.name)
    return found
