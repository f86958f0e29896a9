"""The walk that finds references: scopes and bindings, call matching against the pattern
table, keys and defaults read from arguments, suppression comments."""

from __future__ import annotations

import ast
import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from flaglint.engine.astparse import BUILTINS, SUPPRESS
from flaglint.engine.defs import _Source, dotted, from_package, string_value
from flaglint.engine.patterns import Arg, Pattern, Shape, call_strength, names_match
from flaglint.engine.source import LINE_BREAK
from flaglint.model import FlagRef, KeySource, ModuleName, RefKind

# --- scopes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Binding:
    """One assignment of a name: an import (with what it imports) or a local binding."""

    index: int
    scope: _Scope
    imported: tuple[str, str, str | None] | None = None  # (module incl. leading dots, name, asname)


@dataclass(eq=False)
class _Scope:
    """A LibCST-compatible scope: module, class, function (also lambda) or comprehension."""

    kind: str
    parent: _Scope | None
    name: str = ""
    bindings: dict[str, list[_Binding]] = field(default_factory=lambda: defaultdict(list))
    overwrites: dict[str, str] = field(default_factory=dict)  # name -> "global" | "nonlocal"
    prefix: str = ""

    def __post_init__(self) -> None:
        parent = self.parent.prefix if self.parent is not None else ""
        if self.kind == "function":
            self.prefix = ".".join(p for p in (parent, self.name, "<locals>") if p)
        elif self.kind == "class":
            self.prefix = ".".join(p for p in (parent, self.name) if p)
        elif self.kind == "comprehension":
            self.prefix = ".".join(p for p in (parent, "<comprehension>") if p)

    def _visible_parent(self, start: _Scope) -> _Scope | None:
        """The next enclosing scope a name lookup from `start` may use (classes are skipped)."""
        parent = start.parent
        while parent is not None and parent.kind == "class":
            parent = parent.parent
        return parent

    def _module(self) -> _Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def resolve(self, name: str, origin: _Scope) -> list[_Binding] | None:
        """The bindings `name` refers to from `origin`; None means a builtin, [] nothing."""
        if self.kind == "module":
            if self.bindings.get(name):
                return self.bindings[name]
            return None if name in BUILTINS else []
        how = self.overwrites.get(name)
        if how == "global":
            return self._module().resolve(name, origin)
        if how != "nonlocal" and self.bindings.get(name):
            return self.bindings[name]
        parent = self._visible_parent(self)
        if parent is None:
            return []
        return parent.resolve(name, origin)


def _binding_names(binding: _Binding, name: str, full: str) -> set[tuple[str, str]]:
    """(qualified name, source) pairs of one binding for the dotted `full` (LibCST's rules)."""
    if binding.imported is None:
        prefix = binding.scope.prefix
        return {(f"{prefix}.{full}" if prefix else full, "local")}
    module, real, asname = binding.imported
    parts = real.split(".")
    for cut in range(len(parts), 0, -1):
        candidate = ".".join(parts[:cut])
        as_name = asname if asname is not None else candidate
        if module and module.endswith("."):
            candidate = f"{module}{candidate}"
        elif module:
            candidate = f"{module}.{candidate}"
        if full.startswith(as_name):
            remaining = full.split(as_name, 1)[1]
            if remaining and not remaining.startswith("."):
                continue
            remaining = remaining.lstrip(".")
            return {(f"{candidate}.{remaining}" if remaining else candidate, "import")}
    return set()


# --- the walk -----------------------------------------------------------------------------------


@dataclass
class _Candidate:
    node: ast.AST
    rows: list[Pattern]
    scope: _Scope
    index: int
    parent: ast.Call | None = None  # the call a key argument belongs to (for parentheses)
    stored: ast.expr | None = None  # `x[K] = v` (a pin): v


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# A test's `settings` parameter is pytest-django's fixture: the django settings, as if imported.
_SETTINGS_FIXTURE = ("django.conf", "settings", None)


class Walker:
    """One pass over the tree without recursion: scopes, bindings (with LibCST's visit order),
    and the nodes whose names could match a pattern row.
    """

    def __init__(self, patterns: Sequence[Pattern], module: ModuleName, *, test: bool = False) -> None:
        self.test = test  # a test module: pytest-django's `settings` fixture is django.conf.settings
        self.by_token: dict[str, list[Pattern]] = defaultdict(list)
        for row in patterns:
            self.by_token[row.token].append(row)
        self.candidates: list[_Candidate] = []
        self.stored: dict[int, ast.expr] = {}  # `x[K] = v` (one target): id(x[K]) -> v
        self.imported: set[str] = set()
        self.module = module
        self.counter = 0
        self.scope_of: dict[int, tuple[_Scope, int]] = {}  # id(node) -> (scope, access index)
        self.root = _Scope("module", None)

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _bind(self, scope: _Scope, name: str, imported: tuple[str, str, str | None] | None = None) -> None:
        target = scope
        how = scope.overwrites.get(name)
        if how == "global":
            target = scope._module()
        elif how == "nonlocal":
            parent = scope._visible_parent(scope)
            while parent is not None and parent.kind != "module" and not parent.bindings.get(name):
                parent = parent._visible_parent(parent)
            target = parent if parent is not None and parent.kind != "module" else scope
        target.bindings[name].append(_Binding(self._next(), target, imported))

    def walk(self, tree: ast.Module) -> None:
        # Work items: (node, scope). Children are pushed in reverse so they pop in source order.
        stack: list[tuple[ast.AST, _Scope]] = [(statement, self.root) for statement in reversed(tree.body)]
        while stack:
            node, scope = stack.pop()
            kind = type(node)
            if kind is _Params:
                for arg in _arguments(node.args):  # type: ignore[attr-defined]
                    fixture = _SETTINGS_FIXTURE if self.test and arg.arg == "settings" else None
                    self._bind(scope, arg.arg, fixture)
                continue
            if kind is ast.Name:
                if isinstance(node.ctx, ast.Store):  # type: ignore[attr-defined]
                    self._bind(scope, node.id)  # type: ignore[attr-defined]
                else:
                    self.scope_of[id(node)] = (scope, self._next())
                continue
            if kind is ast.Attribute:
                self._read(node, scope, Shape.ATTRIBUTE)
                stack.append((node.value, scope))  # type: ignore[attr-defined]
                continue
            if kind is ast.Call:
                self._call(node, scope)  # type: ignore[arg-type]
            elif kind is ast.Subscript:
                self._read(node, scope, Shape.SUBSCRIPT)
            elif kind is ast.Compare:
                self._membership(node, scope)  # type: ignore[arg-type]
            elif kind is ast.Assign and len(node.targets) == 1 and type(node.targets[0]) is ast.Subscript:  # type: ignore[attr-defined]
                self.stored[id(node.targets[0])] = node.value  # type: ignore[attr-defined]
            elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
                self._function(node, scope, stack)  # type: ignore[arg-type]
                continue
            elif kind is ast.ClassDef:
                self._class(node, scope, stack)  # type: ignore[arg-type]
                continue
            elif kind is ast.Lambda:
                inner = _Scope("function", scope, "")
                args = node.args  # type: ignore[attr-defined]
                pending: list[tuple[ast.AST, _Scope]] = []
                for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
                    pending.append((default, scope))
                for arg in _arguments(args):
                    self._bind(inner, arg.arg)
                pending.append((node.body, inner))  # type: ignore[attr-defined]
                stack.extend(reversed(pending))
                continue
            elif kind in _COMPREHENSIONS:
                self._comprehension(node, scope, stack)
                continue
            elif kind is ast.Import:
                for alias in node.names:  # type: ignore[attr-defined]
                    self.imported.add(alias.name.split(".")[0])
                    self._alias_token(alias)
                    self._bind(scope, alias.asname or alias.name, ("", alias.name, alias.asname))
                    if alias.asname is None:  # `import a.b` binds `a` too, as LibCST records it
                        parts = alias.name.split(".")
                        for cut in range(len(parts) - 1, 0, -1):
                            self._bind(scope, ".".join(parts[:cut]), ("", alias.name, None))
                continue
            elif kind is ast.ImportFrom:
                base = "." * node.level + (node.module or "")  # type: ignore[attr-defined]
                if node.module is not None and not node.level:  # type: ignore[attr-defined]
                    self.imported.add(node.module.split(".")[0])  # type: ignore[attr-defined]
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.name == "*":
                        continue
                    self._alias_token(alias)
                    self._bind(scope, alias.asname or alias.name, (base, alias.name, alias.asname))
                continue
            elif kind is ast.Global or kind is ast.Nonlocal:
                how = "global" if kind is ast.Global else "nonlocal"
                for name in node.names:  # type: ignore[attr-defined]
                    scope.overwrites[name] = how
                continue
            elif (kind is ast.ExceptHandler and node.name) or (kind in (ast.MatchAs, ast.MatchStar) and node.name):  # type: ignore[attr-defined]
                self._bind(scope, node.name)  # type: ignore[attr-defined]
            elif kind is ast.MatchMapping and node.rest:  # type: ignore[attr-defined]
                self._bind(scope, node.rest)  # type: ignore[attr-defined]
            elif kind is ast.Constant:
                continue
            stack.extend((child, scope) for child in reversed(_children(node)))

    def _alias_token(self, alias: ast.alias) -> None:
        if alias.asname is not None:
            rows = self.by_token.get(alias.name.rsplit(".", 1)[-1])
            if rows:
                self.by_token[alias.asname].extend(r for r in rows if r.shape is Shape.CALL)

    def _read(self, node: ast.AST, scope: _Scope, shape: Shape) -> None:
        """An attribute or subscript read (never an assignment target) on an owner a row names."""
        self.scope_of[id(node)] = (scope, self.counter)
        stored = self.stored.get(id(node))  # `settings.FEATURES[K] = True` can only be a pin
        if isinstance(node.ctx, ast.Store) and stored is None:  # type: ignore[attr-defined]
            return
        owner = node.value  # type: ignore[attr-defined]
        last = owner.id if type(owner) is ast.Name else owner.attr if type(owner) is ast.Attribute else ""
        rows = self.by_token.get(last)
        if not rows:
            return
        if shape is Shape.ATTRIBUTE:
            chosen = [r for r in rows if r.shape is shape and r.key_matches(node.attr)]  # type: ignore[attr-defined]
        elif isinstance(node.slice, ast.Slice):  # type: ignore[attr-defined]
            chosen = []
        else:
            pin = stored is not None
            chosen = [r for r in rows if r.shape is shape and (r.kind is RefKind.TEST_OVERRIDE) is pin]
        if chosen:
            self.candidates.append(_Candidate(node, chosen, scope, self.counter, stored=stored))

    def _membership(self, node: ast.Compare, scope: _Scope) -> None:
        """`"k" in features` / `"k" not in features` where a row names the collection."""
        if len(node.ops) != 1 or type(node.ops[0]) not in (ast.In, ast.NotIn):
            return
        negated = type(node.ops[0]) is ast.NotIn
        owner = node.comparators[0]
        last = owner.id if type(owner) is ast.Name else owner.attr if type(owner) is ast.Attribute else ""
        rows = [r for r in self.by_token.get(last, ()) if r.shape is Shape.MEMBERSHIP and r.negated is negated]
        if rows:
            self.scope_of[id(node)] = (scope, self.counter)
            self.candidates.append(_Candidate(node, rows, scope, self.counter))

    def _call(self, node: ast.Call, scope: _Scope) -> None:
        self.scope_of[id(node)] = (scope, self.counter)
        func = node.func
        token = func.id if type(func) is ast.Name else func.attr if type(func) is ast.Attribute else None
        rows = self.by_token.get(token or "")
        if rows:
            chosen = [
                r
                for r in rows
                if r.shape in (Shape.CALL, Shape.METHOD)
                and (r.flag is not None or (_receiver(node) if r.on_receiver else argument(node, r.key)) is not None)
            ]
            if chosen:
                self.candidates.append(_Candidate(node, chosen, scope, self.counter))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope, stack: list) -> None:
        self._bind(scope, node.name)
        inner = _Scope("function", scope, node.name)
        pending: list[tuple[ast.AST, _Scope]] = [(d, scope) for d in node.decorator_list]
        args = node.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            pending.append((default, scope))
        for arg in _arguments(args):
            if arg.annotation is not None:
                pending.append((arg.annotation, scope))
        if node.returns is not None:
            pending.append((node.returns, scope))
        # Parameters are bound once the walk reaches the body (LibCST binds them in visit order).
        pending.append((_Params(args), inner))
        pending.extend((statement, inner) for statement in node.body)
        stack.extend(reversed(pending))

    def _class(self, node: ast.ClassDef, scope: _Scope, stack: list) -> None:
        self._bind(scope, node.name)
        inner = _Scope("class", scope, node.name)
        pending: list[tuple[ast.AST, _Scope]] = [(d, scope) for d in node.decorator_list]
        pending.extend((b, scope) for b in node.bases)
        pending.extend((k.value, scope) for k in node.keywords)
        pending.extend((statement, inner) for statement in node.body)
        stack.extend(reversed(pending))

    def _comprehension(self, node: ast.AST, scope: _Scope, stack: list) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        inner = _Scope("comprehension", scope)
        pending: list[tuple[ast.AST, _Scope]] = [(generators[0].iter, scope)]
        for number, generator in enumerate(generators):
            if number:
                pending.append((generator.iter, inner))
            pending.append((generator.target, inner))
            pending.extend((condition, inner) for condition in generator.ifs)
        if isinstance(node, ast.DictComp):
            pending.extend([(node.key, inner), (node.value, inner)])
        else:
            pending.append((node.elt, inner))  # type: ignore[attr-defined]
        stack.extend(reversed(pending))


class _Params(ast.AST):
    """A marker work item: bind a function's parameters in its own scope."""

    _fields = ()

    def __init__(self, args: ast.arguments) -> None:
        super().__init__()
        self.args = args


def _arguments(args: ast.arguments) -> Iterator[ast.arg]:
    yield from args.posonlyargs
    yield from args.args
    if args.vararg is not None:
        yield args.vararg
    yield from args.kwonlyargs
    if args.kwarg is not None:
        yield args.kwarg


# Fields that never hold a name, a call or a scope: contexts, operators, type comments.
_SKIPPED_FIELDS = {"ctx", "op", "ops", "type_comment", "kind", "type_ignores"}
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _children(node: ast.AST) -> list[ast.AST]:
    """The child nodes that matter, in source order."""
    kind = type(node)
    if kind is ast.IfExp:
        return [node.body, node.test, node.orelse]  # type: ignore[attr-defined]
    if kind is ast.Dict:
        return [child for pair in zip(node.keys, node.values, strict=True) for child in pair if child is not None]  # type: ignore[attr-defined]
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS.setdefault(kind, tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS))
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if type(value) is list:
            found.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def _unnegated(node: ast.expr, negation: str | None) -> tuple[ast.expr, bool]:
    """The key inside a negating call (`not_("k")` -> "k", False), else the node itself (True)."""
    if negation is None or type(node) is not ast.Call or node.keywords or len(node.args) != 1:
        return node, True
    func, inner = node.func, node.args[0]
    name = func.id if type(func) is ast.Name else func.attr if type(func) is ast.Attribute else None
    return (inner, False) if name == negation and type(inner) is not ast.Starred else (node, True)


def _receiver(call: ast.Call) -> ast.expr | None:
    """The object a method is called on, when it is a name or a dotted name (`X`, `toggles.X`)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)):
        return func.value
    return None


def argument(call: ast.Call, where: Arg) -> ast.expr | None:
    """The argument of `call` at `where`: a keyword of that name, else the positional one (the
    value under `where.item` of a dict literal there, when it asks for one)."""
    found = _positioned(call, where)
    if where.item is None or found is None:
        return found
    if type(found) is not ast.Dict:
        return None
    for key, value in zip(found.keys, found.values, strict=True):
        if type(key) is ast.Constant and key.value == where.item:
            return value
    return None


def _positioned(call: ast.Call, where: Arg) -> ast.expr | None:
    if where.keywords:
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.arg in where.keywords:
                return keyword.value
    if where.index is None:
        return None
    for count, arg in enumerate(call.args):
        if type(arg) is ast.Starred:
            return None
        if count == where.index:
            return arg
    return None


def _suppressions(text: str) -> dict[int, frozenset[str]]:
    found: dict[int, frozenset[str]] = {}
    if "flaglint" not in text:
        return found
    for number, line in enumerate(LINE_BREAK.split(text), start=1):
        hit = SUPPRESS.search(line)
        if hit:
            codes = hit.group(1)
            found[number] = frozenset(c.strip() for c in codes.split(",") if c.strip()) if codes else frozenset("*")
    return found


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


# --- matching -----------------------------------------------------------------------------------


class Matcher:
    """Second pass, with scopes: decide which candidates really are flag references."""

    def __init__(
        self,
        path: str,
        source: _Source,
        module: ModuleName,
        walker: Walker,
        suppressions: dict[int, frozenset[str]],
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.walker = walker
        self.suppressions = suppressions

    def qualified(self, node: ast.AST) -> set[str | None]:
        """LibCST's `scope.get_qualified_names_for(node)`, made absolute (`absolute_name`)."""
        found = self.walker.scope_of.get(id(node))
        if found is None:
            return set()
        scope, index = found
        full = dotted(node)
        if full is None:
            return set()
        head = full
        bindings: list[_Binding] = []
        while head:
            resolved = scope.resolve(head, scope)
            if resolved is None:
                return {None}
            bindings = resolved
            if bindings:
                break
            head = head.rpartition(".")[0]
        if type(node) is ast.Name:
            earlier = [b for b in bindings if b.scope is not scope or b.index < index]
            if not earlier and bindings and scope.parent is not None:
                parent_bindings = scope.parent.resolve(head, scope)
                if parent_bindings is None:
                    return {None}
                earlier = parent_bindings
            bindings = earlier
        names: set[str | None] = set()
        for binding in bindings:
            for name, source in _binding_names(binding, head, full):
                names.add(self._absolute(name, source))
        return names

    def _absolute(self, name: str, source: str) -> str | None:
        if "<locals>" in name:
            return None
        if source == "local":
            return f"{self.module.name}.{name}" if self.module.name else name
        if name.startswith("."):
            dots = len(name) - len(name.lstrip("."))
            return from_package(self.module, name[dots:] or None, dots)
        return name

    def match(self, candidate: _Candidate) -> FlagRef | None:
        node = candidate.node
        if isinstance(node, ast.Call):
            return self._match_call(node, candidate.rows)
        if isinstance(node, ast.Attribute):
            return self._match_object(node, node.value, candidate.rows, node.attr, None)
        if isinstance(node, ast.Subscript):
            index = node.slice
            if isinstance(index, ast.Tuple) and not self._parenthesized(index):
                return None  # `x["a", "b"]`: several subscripts, not one key
            ref = self._match_object(node, node.value, candidate.rows, None, index)
            if ref is not None and candidate.stored is not None:  # the value assigned is the one pinned
                ref = dataclasses.replace(ref, pinned=self._code(candidate.stored, None))
            return ref
        if isinstance(node, ast.Compare):
            return self._match_object(node, node.comparators[0], candidate.rows, None, node.left)
        return None

    def _parenthesized(self, node: ast.Tuple) -> bool:
        text = self.source.text
        return text[self.source.start(node)] == "(" and text[self.source.end(node) - 1] == ")"

    def _match_call(self, node: ast.Call, rows: list[Pattern]) -> FlagRef | None:
        """The reference of the strongest row that takes the call; a row whose `match` refuses the
        key gives way to the next (two `get` patterns on one mapping, for `FF_*` and `*_ENABLED`)."""
        func_names = self.qualified(node.func)
        ranked: list[tuple[int, int, Pattern, ast.expr]] = []
        for index, row in enumerate(rows):
            key_node = node if row.flag is not None else _receiver(node) if row.on_receiver else argument(node, row.key)
            if key_node is None:
                continue
            strength = self._call_strength(node, row, func_names, key_node)
            if strength:
                ranked.append((-strength, index, row, key_node))
        for _, _, row, key_node in sorted(ranked, key=lambda item: item[:2]):
            admitted, ref = self._call_ref(node, row, key_node)
            if admitted:
                return ref
        return None

    def _call_ref(self, node: ast.Call, row: Pattern, key_node: ast.expr) -> tuple[bool, FlagRef | None]:
        """What `row` makes of the call: whether its `match` admits the key, and the reference."""
        default = argument(node, row.default)
        if row.flag is not None:  # the pattern names the one flag the call checks
            code = self._code(default, node) if default is not None else None
            return True, self._ref(node, row, None, attribute=row.flag, default=code)
        pinned = argument(node, row.pinned)
        pinned_text = row.pin if pinned is None else self._code(pinned, node)
        key_call = node
        if row.kind is RefKind.PREDICATE:  # pinned: the flag value the predicate asks for
            unwrapped, wanted = _unnegated(key_node, row.negation)
            if unwrapped is not key_node:
                key_call, key_node = key_node, unwrapped  # type: ignore[assignment]
            pinned_text = str(wanted)
        ref = self._ref(
            node,
            row,
            key_node,
            call=key_call,
            default=self._code(default, node) if default is not None else None,
            pinned=pinned_text,
        )
        if not row.admits(ref.key, ref.key_symbol):  # `match` narrows every kind that reads a key
            return False, None
        if row.on_object:  # the key is the one the named object was made with, or it is no reference
            name = isinstance(key_node, (ast.Name, ast.Attribute))
            return True, dataclasses.replace(ref, key=None, key_source=KeySource.OBJECT) if name else None
        return True, ref

    def _call_strength(self, node: ast.Call, row: Pattern, func_names: set[str | None], key_node: ast.expr) -> int:
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(receiver, ast.Call):  # get_client().m(...)
            receiver = receiver.func
        return call_strength(
            row,
            func_names=func_names,
            func_last=_last_name(func),
            method=method,
            receiver_last=_last_name(receiver) if receiver is not None else None,
            imported=self.walker.imported,
            receiver_names=lambda: {dotted(func.value)} | self.qualified(func.value),  # type: ignore[attr-defined]
            key_static=lambda: self._static(key_node),
        )

    def _static(self, key_node: ast.expr) -> bool:
        if string_value(key_node) is not None:
            return True
        return isinstance(key_node, (ast.Name, ast.Attribute)) and self._symbol(key_node) is not None

    def _symbol(self, key_node: ast.expr) -> str | None:
        names = self.qualified(key_node)
        return names.pop() if len(names) == 1 else None

    def _match_object(
        self,
        node: ast.AST,
        owner: ast.expr,
        rows: list[Pattern],
        attribute: str | None,
        key_node: ast.expr | None,
    ) -> FlagRef | None:
        owner_names = {dotted(owner)} | self.qualified(owner)
        for row in rows:
            if not names_match(row.name, owner_names):
                continue
            if attribute is not None:
                return self._ref(node, row, None, attribute=attribute)
            assert key_node is not None
            ref = self._ref(node, row, key_node)
            if ref.key is None or row.key_matches(ref.key):
                if ref.key is None and ref.key_symbol is None and row.match is not None:
                    continue
                return ref
        return None

    def _code(self, node: ast.AST, call: ast.Call | None) -> str:
        if call is None:
            return self.source.code(node)
        # The call's own parentheses bound the search: its "(" follows the function, its ")" ends it.
        text = self.source.text
        position = self.source.end(call.func)
        while position < len(text) and text[position] != "(":
            position += 1
        return self.source.code(node, floor=position, ceiling=self.source.end(call) - 1)

    def _ref(
        self,
        node: ast.AST,
        row: Pattern,
        key_node: ast.expr | None,
        *,
        call: ast.Call | None = None,
        attribute: str | None = None,
        default: str | None = None,
        pinned: str | None = None,
    ) -> FlagRef:
        span = self.source.span(node)
        suppressed = frozenset().union(*(self.suppressions.get(n, frozenset()) for n in {span.line, span.end_line}))
        key: str | None = attribute
        source = KeySource.ATTRIBUTE if attribute is not None else KeySource.DYNAMIC
        symbol = None
        key_text = attribute or ""
        if key_node is not None:
            key_text = self._code(key_node, call)
            key = string_value(key_node)
            if key is not None:
                source = KeySource.LITERAL
            elif isinstance(key_node, (ast.Name, ast.Attribute)):
                symbol = self._symbol(key_node)
        return FlagRef(
            path=self.path,
            span=span,
            key=key,
            key_source=source,
            key_text=key_text,
            pattern=row.id,
            sdk=row.sdk,
            kind=row.kind,
            default=default,
            pinned=pinned,
            key_symbol=symbol,
            suppressed=suppressed,
        )
