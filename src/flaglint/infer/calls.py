"""Calls that take a flag key: the evidence for a project's own flag wrappers.

A call site is any call (or decorator call) with an argument that names a key the project defines
(a member of a key set, a key constant) or a key its registry knows. Sites are grouped by what
was called: a function by its qualified name, a method by its name (with the receivers seen).
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from flaglint.engine.mentions import absolute
from flaglint.fix.base import is_test_file
from flaglint.infer.keysets import COLLECTION, FLAGGY, KEYLIKE, literal_shape, settings_like
from flaglint.model import ModuleName

# Calls that take keys as data, never check a flag: containers, builtins, logging, strings, mocks.
_NOT_CHECKS = frozenset(
    {
        *("get", "pop", "setdefault", "append", "extend", "add", "remove", "discard", "insert", "index"),
        *("count", "update", "items", "keys", "values", "copy", "format", "join", "split", "replace"),
        *("startswith", "endswith", "strip", "lower", "upper", "encode", "decode", "getattr", "setattr"),
        *("hasattr", "delattr", "isinstance", "len", "str", "repr", "print", "sorted", "list", "tuple"),
        *("set", "dict", "frozenset", "any", "all", "map", "filter", "zip", "enumerate", "reversed"),
        *("max", "min", "sum", "info", "debug", "warning", "warn", "error", "exception", "critical"),
        *("log", "_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "patch", "object", "call"),
        *("exclude", "create", "get_or_create", "update_or_create", "filter_by", "Q", "F", "reverse"),
        *("assertEqual", "assertIn", "assertNotIn", "assertTrue", "assertFalse", "assertIs", "assertIsNone"),
        *("defaultdict", "namedtuple", "OrderedDict", "Counter", "field", "dataclass", "property"),
        *("loads", "dumps", "dump", "load", "write", "read", "send", "emit", "raise_for_status", "super"),
    }
)


# A test that adds a key to a set named for flags turns it on (`config.FEATURE_FLAGS.add(K)`);
# one that takes it out turns it off.
SET_PINS = {"add": True, "discard": False, "remove": False}


@dataclass
class Site:
    path: str
    line: int
    where: int | str  # the key's argument: a position, or a keyword
    key: str
    receiver: str | None  # a method's receiver, by its last name ("<call>" for a call's result)
    decorator: bool
    test: bool
    pins: tuple[tuple[int | str, bool], ...] = ()  # boolean literal arguments: (position or keyword, value)
    literal: bool = False  # the key is a literal nothing declares: taken because a name says flag
    condition: bool = False  # the call decides a branch (an `if` or `while` test, `not`, `and`/`or`, ...)
    shape: str | None = None  # the glob of the flag-shaped setting name a test helper was given


@dataclass
class Callee:
    """Every site of one function or method."""

    kind: str  # "function", "method" or "keyword" (a keyword argument that names a flag)
    name: str  # qualified (or bare) function name, or the method's name
    sites: list[Site] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len({s.path for s in self.sites})

    def where(self) -> int | str:
        """The argument that most often holds the key."""
        return Counter(s.where for s in self.sites).most_common(1)[0][0]

    def receivers(self) -> Counter[str]:
        return Counter(s.receiver for s in self.sites if s.receiver is not None)


def _imports(tree: ast.Module, module: ModuleName) -> dict[str, str]:
    """Local name -> qualified name, for `import x`, `from x import y as z` and the module's own defs."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = absolute(module, node)
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                names[alias.asname or top] = alias.name if alias.asname else top
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and module.name:
            names.setdefault(node.name, f"{module.name}.{node.name}")
    return names


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return "<call>"
    return "<expr>"


@dataclass(frozen=True)
class Keys:
    """How code spells the keys the project defines: `Class.MEMBER`, a constant's name, or a
    literal the project defines or its registry knows."""

    members: Mapping[str, Mapping[str, str]]  # class (or collection holder) -> member -> key
    constants: Mapping[str, str]  # constant name -> key
    literals: AbstractSet[str]

    def of(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Attribute) and node.attr in ("value", "name"):
            node = node.value  # Feature.K.value
        if isinstance(node, ast.Attribute):
            holder = _last_name(node.value)
            if holder in self.members and node.attr in self.members[holder]:
                return self.members[holder][node.attr]
            if node.attr in self.constants and holder[:1].islower():  # flags.NEW_SEARCH (a module)
                return self.constants[node.attr]
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in self.literals:
            return node.value
        return None


def call_sites(modules: Iterable[tuple[str, ast.Module, ModuleName]], keys: Keys) -> dict[tuple[str, str], Callee]:
    """(kind, name) -> Callee, over (file, parsed module, module name) triples."""
    callees: dict[tuple[str, str], Callee] = {}
    for rel, tree, module in modules:
        names = _imports(tree, module)
        decorators = {
            id(d)
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            for d in n.decorator_list
        }
        test = is_test_file(rel)
        deciding = conditions(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            _keyword_sites(node, keys, names, rel, test, callees)
            func = node.func
            found = _key_argument(node, keys)
            literal = False
            if found is None and _says_flag(func, names):
                first = node.args[0] if node.args else None
                if (
                    isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and KEYLIKE.match(first.value)
                    and not COLLECTION.search(first.value)  # get_setting("LOG_MISSING_FLAGS"): about flags
                ):
                    found, literal = (0, first.value), True
            if found is None:
                found = _flag_setting_argument(node)
                literal = found is not None
            shape = None
            if found is None and test:
                found, shape = _pinned_setting(node)
                literal = found is not None
            if found is None:
                continue
            where, key = found
            if isinstance(func, ast.Name):
                if func.id in _NOT_CHECKS:
                    continue
                kind, name, receiver = "function", names.get(func.id, func.id), None
            elif isinstance(func, ast.Attribute):
                flag_mapping = func.attr == "get" and FLAGGY.search(_last_name(func.value)) is not None
                pinning = test and func.attr in SET_PINS and FLAGGY.search(_last_name(func.value)) is not None
                if (func.attr in _NOT_CHECKS and not (flag_mapping or pinning)) or func.attr.startswith("assert"):
                    continue
                spelt = dotted(func)
                head = spelt.split(".", 1)[0] if spelt else ""
                if (
                    spelt
                    and head in names
                    and not head[:1].isupper()
                    and "." in names[head]
                    and _module_like(names[head])
                ):
                    kind, name, receiver = "function", names[head] + spelt[len(head) :], None
                else:
                    kind, name, receiver = "method", func.attr, _last_name(func.value)
            else:
                continue
            pins = tuple(
                [
                    (i, a.value)
                    for i, a in enumerate(node.args)
                    if isinstance(a, ast.Constant) and isinstance(a.value, bool)
                ]
                + [
                    (k.arg, k.value.value)
                    for k in node.keywords
                    if k.arg and isinstance(k.value, ast.Constant) and isinstance(k.value.value, bool)
                ]
            )
            site = Site(rel, node.lineno, where, key, receiver, id(node) in decorators, test, pins, literal)
            site.condition, site.shape = id(node) in deciding, shape
            callees.setdefault((kind, name), Callee(kind, name)).sites.append(site)
    return callees


# Calls whose argument decides whether a request proceeds: FastAPI's dependencies.
_GUARDS = frozenset({"Depends", "Security"})


def conditions(tree: ast.Module) -> set[int]:
    """ids of the expressions that decide a branch: the test of an `if`, `while`, conditional
    expression, `assert` or comprehension filter, a returned value, the operands of `not`, `and`,
    `or` and `await` there, a call whose result is kept in a name such a test reads
    (`enabled = is_enabled("k")` ... `if enabled:`, `with toggle("k") as on:`, `feature.enabled`),
    and a route's dependency (`Depends(require_feature("k"))`: it lets the request through or not)."""
    found: set[int] = set()
    tested: set[str] = set()  # names a test reads, alone or as the base of an attribute
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _last_name(node.func) in _GUARDS and node.args:
            found.add(id(node.args[0]))  # `Depends(require_feature("k"))`: the dependency gates its route
        tests: list[ast.expr] = []
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            tests.append(node.test)
        elif isinstance(node, ast.Return) and node.value is not None:
            tests.append(node.value)  # a function answering a check is a check itself
        elif isinstance(node, ast.comprehension):
            tests.extend(node.ifs)
        while tests:
            test = tests.pop()
            found.add(id(test))
            if isinstance(test, ast.BoolOp):
                tests.extend(test.values)
            elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                tests.append(test.operand)
            elif isinstance(test, ast.Await):
                tests.append(test.value)
            elif isinstance(test, ast.Name):
                tested.add(test.id)
            elif isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name):
                tested.add(test.value.id)
    if tested:
        for node in ast.walk(tree):
            kept: list[tuple[ast.expr, ast.expr | None]] = []
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                kept.append((node.value, node.targets[0]))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                kept.extend((item.context_expr, item.optional_vars) for item in node.items)
            for value, target in kept:
                value = value.value if isinstance(value, ast.Await) else value
                if isinstance(target, ast.Name) and target.id in tested and isinstance(value, ast.Call):
                    found.add(id(value))
    return found


_FLAG_KEYWORDS = frozenset({"feature", "flag", "feature_flag", "switch", "toggle", "feature_name", "flag_name"})


def _says_flag(func: ast.expr, names: Mapping[str, str]) -> bool:
    """Whether a call's name says it checks a flag: the function or method (`is_feature_active`,
    `has_feature`), its module (`features.is_enabled`) or its receiver (`settings.FEATURES.get`)."""
    if isinstance(func, ast.Name):
        return FLAGGY.search(func.id) is not None or any(FLAGGY.search(p) for p in names.get(func.id, "").split("."))
    if isinstance(func, ast.Attribute):
        if func.attr in _NOT_CHECKS and func.attr != "get":
            return False
        return FLAGGY.search(func.attr) is not None or FLAGGY.search(_last_name(func.value)) is not None
    return False


def _keyword_sites(
    call: ast.Call, keys: Keys, names: Mapping[str, str], rel: str, test: bool, callees: dict[tuple[str, str], Callee]
) -> None:
    """A keyword argument named for a flag (`@view_config(feature="k")`) whose value is a key the
    project declares."""
    for keyword in call.keywords:
        if keyword.arg not in _FLAG_KEYWORDS:
            continue
        key = keys.of(keyword.value)  # a field named feature takes any string: only declared keys count
        spelt = dotted(call.func)
        if key is None or spelt is None:
            continue
        head = spelt.split(".", 1)[0]
        name = names.get(head, head) + spelt[len(head) :]
        site = Site(rel, call.lineno, keyword.arg, key, None, False, test, (), True)
        callees.setdefault(("keyword", name), Callee("keyword", name)).sites.append(site)


def _module_like(qualified: str) -> bool:
    """Whether an imported name reads as a module (`from app import flags`), not a class or object."""
    return qualified.rsplit(".", 1)[-1][:1].islower()


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _flag_setting_argument(call: ast.Call) -> tuple[int, str] | None:
    """An argument that is a setting named for a flag (`settings.PIN_ROOMS_FEATURE_FLAG_KEY`): the
    key is that setting's value, dynamic, but the call checks a flag."""
    for index, arg in enumerate(call.args[:2]):
        named = isinstance(arg, ast.Attribute) and arg.attr.isupper() and FLAGGY.search(arg.attr)
        # a setting's value, not a constant of another kind (`SsoErrorCode.FEATURE_NOT_ACTIVE`)
        if named and isinstance(arg, ast.Attribute) and settings_like(_last_name(arg.value)):
            return index, arg.attr
    return None


def _pinned_setting(call: ast.Call) -> tuple[tuple[int, str] | None, str | None]:
    """A test's call given a flag-shaped setting name and a boolean (`set_config(app, "FF_X",
    True)`): a helper that pins that setting; the argument and the name's glob (`FF_*`)."""
    given = [*call.args, *(k.value for k in call.keywords)]
    if not any(isinstance(a, ast.Constant) and isinstance(a.value, bool) for a in given):
        return None, None
    for index, arg in enumerate(call.args[:3]):
        shape = literal_shape(arg)
        if shape is not None and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return (index, arg.value), shape
    return None, None


def _key_argument(call: ast.Call, keys: Keys) -> tuple[int | str, str] | None:
    for index, arg in enumerate(call.args[:3]):
        key = keys.of(arg)
        if key is not None:
            return index, key
    for keyword in call.keywords:
        if keyword.arg is not None:
            key = keys.of(keyword.value)
            if key is not None:
                return keyword.arg, key
    return None
