"""What a project uses as flag keys, read from its code without running it: enums and classes of
string constants, module constants with flag-like names, and collections of keys (`FEATURES`).

`flaglint init` looks for the calls that take these as an argument: those calls are the project's
own flag checks. Plain functions over (file, text) pairs; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flaglint.engine.mentions import quiet_parse

# A name that says "flag": FEATURE_X, X_FLAG, SWITCH_X, FF_X, features, Flags, Toggles. ("enabled"
# alone does not: `incr_if_enabled("metric")` is no check; settings shapes such as ENABLE_* are
# read on their own, see holders.py.)
FLAGGY = re.compile(r"(?:^|_)(?:FLAGS?|FEATURES?|SWITCH(?:ES)?|TOGGLES?|FF|WAFFLE)(?:_|$)", re.I)
_CLASSY = re.compile(r"flag|feature|switch|toggle|waffle", re.I)
KEYLIKE = re.compile(r"^[A-Za-z][\w.:/-]{1,79}$")
# Names of settings objects: `django.conf.settings`, `app.config`, `current_app.config`.
SETTINGS = frozenset({"settings", "config", "conf", "app_config", "CONFIG", "SETTINGS"})
_ENUMS = frozenset({"Enum", "StrEnum", "TextChoices", "IntEnum", "Flag"})


@dataclass
class KeySet:
    """Keys a project names in one place: `kind` is "class" (members `NAME = "key"`), "collection"
    (a list, tuple, set or dict of keys) or "constant" (one module constant)."""

    path: str
    name: str  # `Feature`, `FEATURES`, `Feature.FEATURES`, `NEW_SEARCH`
    kind: str  # also "module": the string constants of a module whose name says flag (features.py)
    line: int
    members: dict[str, str] = field(default_factory=dict)  # attribute or constant name -> key

    @property
    def keys(self) -> set[str]:
        return set(self.members.values())

    @property
    def declaration(self) -> str:
        """How `registry.code` names it."""
        return f"{self.path}:{self.name}"


def settings_like(dotted: str) -> bool:
    """Whether a dotted name is (a part of) a settings object."""
    return any(part in SETTINGS for part in dotted.split("."))


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEYLIKE.match(node.value):
        return node.value
    return None


def _assigned(statement: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Name):
                yield target.id, statement.value
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
        yield statement.target.id, statement.value


def _bases(node: ast.ClassDef) -> set[str]:
    names = set()
    for base in node.bases:
        while isinstance(base, ast.Attribute):
            names.add(base.attr)
            base = base.value
        if isinstance(base, ast.Name):
            names.add(base.id)
    return names


def _collection(value: ast.expr, constants: dict[str, str], prefix: str = "") -> dict[str, str]:
    """The keys a list, tuple, set or dict display holds: strings, constants of the module or of
    the class (`prefix`), or the first of each `(key, description)` pair. A dict whose values are
    all lists, tuples or sets groups keys (`{"dev": [...], "prod": [...]}`, flags per environment):
    its keys are the groups, the keys are in the values."""
    items: list[ast.expr] = []
    grouped = (ast.List, ast.Tuple, ast.Set)
    if isinstance(value, ast.Dict) and value.values and all(isinstance(v, grouped) for v in value.values):
        items = [e for v in value.values if isinstance(v, grouped) for e in v.elts]
    elif isinstance(value, ast.Dict):
        items = [k for k in value.keys if k is not None]
    elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        items = [e.elts[0] if isinstance(e, ast.Tuple) and e.elts else e for e in value.elts]
    found: dict[str, str] = {}
    for item in items:
        text = _string(item)
        if text is not None:
            found[text] = text
        elif isinstance(item, ast.Name) and (prefix + item.id in constants or item.id in constants):
            found[item.id] = constants.get(prefix + item.id, constants.get(item.id, ""))
        elif isinstance(item, ast.Attribute) and isinstance(item.value, ast.Name):
            dotted = f"{item.value.id}.{item.attr}"
            if dotted in constants:
                found[dotted] = constants[dotted]
    return found


def key_sets(path: str, text: str) -> list[KeySet]:
    """The key sets one module's text defines (none when it does not parse)."""
    tree = quiet_parse(text)
    return [] if tree is None else key_sets_of(path, tree)


def key_sets_of(path: str, tree: ast.Module) -> list[KeySet]:
    """The key sets a parsed module defines."""
    found: list[KeySet] = []
    constants: dict[str, str] = {}
    for statement in tree.body:
        for name, value in _assigned(statement):
            key = _string(value)
            if key is not None:
                constants[name] = key
                if FLAGGY.search(name):
                    found.append(KeySet(path, name, "constant", statement.lineno, {name: key}))
        if isinstance(statement, ast.ClassDef):
            members = {}
            for inner in statement.body:
                for name, value in _assigned(inner):
                    key = _string(value)
                    if key is not None and not name.startswith("_"):
                        members[name] = key
                        constants[f"{statement.name}.{name}"] = key
            if len(members) >= 2 and _CLASSY.search(statement.name):  # a name that says flag
                found.append(KeySet(path, statement.name, "class", statement.lineno, members))
            for inner in statement.body:
                for name, value in _assigned(inner):
                    held = _collection(value, constants, f"{statement.name}.")
                    if len(held) >= 2 and FLAGGY.search(name):
                        qualified = f"{statement.name}.{name}"
                        found.append(KeySet(path, qualified, "collection", inner.lineno, held))
    for statement in tree.body:
        for name, value in _assigned(statement):
            held = _collection(value, constants)
            if len(held) >= 2 and FLAGGY.search(name):
                found.append(KeySet(path, name, "collection", statement.lineno, held))
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    plain = {name: key for name, key in constants.items() if "." not in name and name.isupper()}
    if FLAGGY.search(stem) and plain:  # features.py: its string constants are the keys
        found.append(KeySet(path, stem, "module", 1, plain))
    return _first_of_each_name(found)


def _first_of_each_name(found: Iterable[KeySet]) -> list[KeySet]:
    """One key set per name (a collection assigned again later is read from its first literal)."""
    seen: dict[str, KeySet] = {}
    for item in found:
        seen.setdefault(item.name, item)
    return list(seen.values())


def literal_shape(node: ast.expr) -> str | None:
    """The glob of a string key shaped like a flag setting (`"FF_ANNUAL_LIMIT"`), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isupper():
        return setting_shape(node.value)
    return None


# A name that begins or ends with a plural of flag names their set, not one flag (FEATURE_FLAGS,
# LOG_MISSING_FLAGS, FEATURES_DEFAULT: the default of every feature)
COLLECTION = re.compile(r"(?:^|_)(?:FLAGS|FEATURES|SWITCHES|TOGGLES)$|^(?:FLAGS|FEATURES|SWITCHES|TOGGLES)_")


def setting_shape(name: str) -> str | None:
    """The glob a flag-like setting name belongs to: `ENABLE_*`, `FEATURE_*`, `*_ENABLED`, ...;
    None for the name of a collection of them (`FEATURE_FLAGS`: the flags, not one flag)."""
    if COLLECTION.search(name):
        return None
    for prefix in ("ENABLE_", "FEATURE_", "FF_", "FLAG_", "SWITCH_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix + "*"
    for suffix in ("_ENABLED", "_FLAG", "_FEATURE"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return "*" + suffix
    return None
