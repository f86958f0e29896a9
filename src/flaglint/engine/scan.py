"""Find flag references in one Python file with LibCST.

Pure: text in, FileScan out. Keys that name constants are returned as symbols (fully qualified
names); `resolve.link` turns them into keys once the defining modules are known.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import libcst as cst
from libcst.helpers import get_absolute_module_from_package, get_full_name_for_node
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    QualifiedName,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from flaglint.engine.patterns import Arg, Pattern, Shape, call_strength, names_match
from flaglint.engine.resolve import with_objects
from flaglint.model import FileScan, FlagRef, KeySource, ModuleDefs, ModuleName, Problem, RefKind, Span

SUPPRESS = re.compile(r"#\s*flaglint:\s*ignore(?:\[([A-Z0-9,\s]*)\])?")


def parse(path: str, text: str) -> cst.Module | Problem:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        try:  # CPython's own parser places the error more precisely than LibCST's
            ast.parse(text, filename=path)
        except SyntaxError as precise:
            return Problem(path, precise.lineno or 1, precise.offset or 0, f"syntax error: {precise.msg}")
        message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
        return Problem(path, exc.raw_line, exc.raw_column + 1, f"syntax error: {message}")
    except (RecursionError, ValueError) as exc:
        return Problem(path, 1, 0, f"cannot parse: {exc}")


def scan_source(path: str, text: str, module: ModuleName, patterns: Sequence[Pattern]) -> FileScan:
    """Every flag reference in `text`, plus what the module defines (for other files' keys)."""
    tree = parse(path, text)
    if isinstance(tree, Problem):
        return FileScan((), ModuleDefs(), (tree,))
    return scan_tree(path, tree, text, module, patterns)


def scan_tree(path: str, tree: cst.Module, text: str, module: ModuleName, patterns: Sequence[Pattern]) -> FileScan:
    """`scan_source` for a module already parsed from `text`."""
    defs = module_defs(tree, module)
    finder = _CandidateFinder(patterns)
    keep: set[int] = set()
    for index, statement in enumerate(tree.body):
        before = len(finder.candidates)
        statement.visit(finder)
        if len(finder.candidates) > before:
            keep.add(index)
    if not finder.candidates:
        return FileScan((), defs)
    wrapper = MetadataWrapper(_reduced(tree, keep), unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    positions = wrapper.resolve(PositionProvider)
    matcher = Matcher(path, tree, module, scopes, finder.imported, _suppressions(text))
    refs = []
    for node, rows in finder.candidates:
        ref = matcher.match(node, rows, positions[node])
        if ref is not None and id(node) in finder.stored:  # the value assigned is the one pinned
            ref = dataclasses.replace(ref, pinned=tree.code_for_node(finder.stored[id(node)]))
        if ref is not None:
            refs.append(ref)
    return FileScan(*with_objects(refs, defs, text, module))


def definitions(path: str, text: str, module: ModuleName) -> ModuleDefs | Problem:
    """Only the definitions of a module (no reference search): for modules other files import keys from."""
    tree = parse(path, text)
    return tree if isinstance(tree, Problem) else module_defs(tree, module)


def _reduced(tree: cst.Module, keep: set[int]) -> cst.Module:
    """The module with every top-level function and class that holds no candidate replaced by a
    stand-in of the same name and the same number of lines.

    Scope and position metadata cost ~440 us a line; computed on this smaller module they still
    give exact positions (every line keeps its number) and the same module-level names.
    """
    body = [
        statement if index in keep or _declares_global(tree, statement) else stand_in(tree, statement)
        for index, statement in enumerate(tree.body)
    ]
    return tree.with_changes(body=body)


def _declares_global(tree: cst.Module, statement: cst.BaseStatement) -> bool:
    """A function with a `global` statement binds module names: it cannot be stood in for."""
    return (
        isinstance(statement, cst.FunctionDef) and re.search(r"\bglobal\b", tree.code_for_node(statement)) is not None
    )


def stand_in(
    tree: cst.Module, statement: cst.BaseStatement, marker: str | None = None, lines: int | None = None
) -> cst.BaseStatement:
    """A `def`/`class` of the same name and line count with an empty body (the statement itself
    when it is neither or too short); `marker` becomes a comment on its header line. `lines` is the
    statement's line count when the caller already knows it.
    """
    if not isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return statement
    if lines is None:
        lines = tree.code_for_node(statement).count("\n")
    padding = lines - len(statement.leading_lines) - 2
    if padding < 0:
        return statement
    header = cst.TrailingWhitespace(comment=cst.Comment(f"# {marker}")) if marker else cst.TrailingWhitespace()
    body = cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])], header=header, footer=[cst.EmptyLine()] * padding)
    if isinstance(statement, cst.FunctionDef):
        return cst.FunctionDef(statement.name, cst.Parameters(), body, leading_lines=statement.leading_lines)
    return cst.ClassDef(statement.name, body, leading_lines=statement.leading_lines)


# --- definitions -------------------------------------------------------------------------------


def string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def from_package(module: ModuleName, name: str | None, dots: int) -> str | None:
    try:
        return get_absolute_module_from_package(module.package or None, name, dots)
    except Exception:  # LibCST raises a bare Exception for an import beyond the top-level package
        return None


def _absolute_import(module: ModuleName, node: cst.ImportFrom) -> str | None:
    name = get_full_name_for_node(node.module) if node.module else None
    dots = len(node.relative)
    return name if dots == 0 else from_package(module, name, dots)


def absolute_name(qualified: QualifiedName, module: ModuleName) -> str | None:
    """A scope's qualified name as a full dotted path (None for builtins and function locals)."""
    name = qualified.name
    if qualified.source is QualifiedNameSource.BUILTIN or "<locals>" in name:
        return None
    if qualified.source is QualifiedNameSource.LOCAL:
        return f"{module.name}.{name}" if module.name else name
    if name.startswith("."):
        dots = len(name) - len(name.lstrip("."))
        return from_package(module, name[dots:] or None, dots)
    return name


ENUM_BASES = {"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"}


def module_defs(tree: cst.Module, module: ModuleName) -> ModuleDefs:
    values: dict[str, str] = {}
    members: set[str] = set()
    aliases: dict[str, str] = {}

    def statements(body: Iterable[cst.CSTNode]) -> Iterable[cst.BaseSmallStatement]:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                yield from statement.body

    def collect(body: Sequence[cst.CSTNode], prefix: str, enum_kind: str | None) -> None:
        for small in statements(body):
            target, value = None, None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            elif isinstance(small, cst.ImportFrom) and not prefix and not isinstance(small.names, cst.ImportStar):
                base = _absolute_import(module, small)
                for alias in small.names:
                    imported = get_full_name_for_node(alias.name)
                    if base and imported:
                        local = get_full_name_for_node(alias.asname.name) if alias.asname else imported
                        aliases[str(local)] = f"{base}.{imported}"
            elif isinstance(small, cst.Import) and not prefix:
                for alias in small.names:
                    imported = get_full_name_for_node(alias.name)
                    if imported and alias.asname:
                        aliases[str(get_full_name_for_node(alias.asname.name))] = imported
            if not isinstance(target, cst.Name) or value is None:
                continue
            qualname = f"{prefix}{target.value}"
            text = string_value(value)
            if text is None and enum_kind == "StrEnum" and _is_auto(value):
                text = target.value.lower()
            if text is not None:
                values[qualname] = text
            if enum_kind is not None and not target.value.startswith("_"):
                members.add(qualname)
        for statement in body:
            if isinstance(statement, cst.ClassDef):
                bases = {str(get_full_name_for_node(b.value) or "").rsplit(".", 1)[-1] for b in statement.bases}
                kind = next(iter(sorted(bases & ENUM_BASES)), None)
                if kind == "Enum" and "str" in bases:
                    kind = "StrEnum-like"
                collect(statement.body.body, f"{prefix}{statement.name.value}.", kind)

    collect(tree.body, "", None)
    return ModuleDefs(tuple(sorted(values.items())), frozenset(members), tuple(sorted(aliases.items())))


def _is_auto(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and (get_full_name_for_node(node.func) or "").endswith("auto")


# --- reference search --------------------------------------------------------------------------


class _CandidateFinder(cst.CSTVisitor):
    """First pass without metadata: nodes whose names could match a pattern row."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        super().__init__()
        self.by_token: dict[str, list[Pattern]] = defaultdict(list)
        for row in patterns:
            self.by_token[row.token].append(row)
        self.candidates: list[tuple[cst.CSTNode, list[Pattern]]] = []
        self.imported: set[str] = set()
        self._targets: set[int] = set()
        self.stored: dict[int, cst.BaseExpression] = {}  # `x[K] = v` (one target): id(x[K]) -> v

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            self.imported.add(name.split(".")[0])
            self._alias_token(name, alias)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative:
            self.imported.add((get_full_name_for_node(node.module) or "").split(".")[0])
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                self._alias_token(get_full_name_for_node(alias.name) or "", alias)

    def _alias_token(self, name: str, alias: cst.ImportAlias) -> None:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            rows = self.by_token.get(name.rsplit(".", 1)[-1])
            if rows:
                self.by_token[alias.asname.name.value].extend(r for r in rows if r.shape is Shape.CALL)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Subscript):
            self.stored[id(node.targets[0].target)] = node.value

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets.add(id(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets.add(id(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets.add(id(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        token = last_name(node.func)
        rows = [
            r
            for r in self.by_token.get(token or "", ())
            if r.shape in (Shape.CALL, Shape.METHOD)
            and (r.flag is not None or (_receiver(node) if r.on_receiver else argument(node.args, r.key)) is not None)
        ]
        if rows:
            self.candidates.append((node, rows))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._targets:
            return
        owner = last_name(node.value)
        rows = [r for r in self.by_token.get(owner or "", ()) if r.shape is Shape.ATTRIBUTE]
        rows = [r for r in rows if r.key_matches(node.attr.value)]
        if rows:
            self.candidates.append((node, rows))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) != 1:
            return
        test = node.comparisons[0]
        negated = isinstance(test.operator, cst.NotIn)
        if not negated and not isinstance(test.operator, cst.In):
            return
        tokens = self.by_token.get(last_name(test.comparator) or "", ())
        rows = [r for r in tokens if r.shape is Shape.MEMBERSHIP and r.negated is negated]
        if rows:
            self.candidates.append((node, rows))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        stored = id(node) in self.stored  # `settings.FEATURES[K] = True` can only be a pin
        if id(node) in self._targets and not stored:
            return
        rows = [
            r
            for r in self.by_token.get(last_name(node.value) or "", ())
            if r.shape is Shape.SUBSCRIPT and (r.kind is RefKind.TEST_OVERRIDE) is stored
        ]
        if rows and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            self.candidates.append((node, rows))


def _unnegated(node: cst.BaseExpression, negation: str | None) -> tuple[cst.BaseExpression, bool]:
    """The key inside a negating call (`not_("k")` -> "k", False), else the node itself (True)."""
    if negation is None or not isinstance(node, cst.Call) or len(node.args) != 1:
        return node, True
    inner = node.args[0]
    if inner.keyword is not None or inner.star or last_name(node.func) != negation:
        return node, True
    return inner.value, False


def last_name(node: cst.BaseExpression) -> str | None:
    """The last name of `f` or `a.b.f` (a callee, an accessed attribute); None for other expressions."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _suppressions(text: str) -> dict[int, frozenset[str]]:
    found: dict[int, frozenset[str]] = {}
    if "flaglint" not in text:
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        hit = SUPPRESS.search(line)
        if hit:
            codes = hit.group(1)
            found[number] = frozenset(c.strip() for c in codes.split(",") if c.strip()) if codes else frozenset("*")
    return found


class Matcher:
    """Second pass, with scopes: decide which candidates really are flag references."""

    def __init__(
        self,
        path: str,
        tree: cst.Module,
        module: ModuleName,
        scopes: Mapping[cst.CSTNode, Scope | None],
        imported: set[str],
        suppressions: dict[int, frozenset[str]],
    ) -> None:
        self.path = path
        self.tree = tree
        self.module = module
        self.scopes = scopes
        self.imported = imported
        self.suppressions = suppressions

    def _qualified(self, node: cst.CSTNode) -> set[str | None]:
        scope = self.scopes.get(node)
        if scope is None:
            return set()
        return {absolute_name(q, self.module) for q in scope.get_qualified_names_for(node)}

    def match(self, node: cst.CSTNode, rows: list[Pattern], where: CodeRange) -> FlagRef | None:
        if isinstance(node, cst.Call):
            return self._match_call(node, rows, where)
        if isinstance(node, cst.Attribute):
            return self._match_object(node, node.value, rows, where, node.attr.value, None)
        if isinstance(node, cst.Subscript):
            index = node.slice[0].slice
            assert isinstance(index, cst.Index)
            return self._match_object(node, node.value, rows, where, None, index.value)
        if isinstance(node, cst.Comparison):
            return self._match_object(node, node.comparisons[0].comparator, rows, where, None, node.left)
        return None

    def _match_call(self, node: cst.Call, rows: list[Pattern], where: CodeRange) -> FlagRef | None:
        """The reference of the strongest row that takes the call; a row whose `match` refuses the
        key gives way to the next (two `get` patterns on one mapping, for `FF_*` and `*_ENABLED`)."""
        func_names = self._qualified(node.func)
        ranked: list[tuple[int, int, Pattern, cst.BaseExpression]] = []
        for index, row in enumerate(rows):
            key_node = (
                node if row.flag is not None else _receiver(node) if row.on_receiver else argument(node.args, row.key)
            )
            if key_node is None:
                continue
            strength = self._call_strength(node, row, func_names, key_node)
            if strength:
                ranked.append((-strength, index, row, key_node))
        for _, _, row, key_node in sorted(ranked, key=lambda item: item[:2]):
            admitted, ref = self._call_ref(node, row, key_node, where)
            if admitted:
                return ref
        return None

    def _call_ref(
        self, node: cst.Call, row: Pattern, key_node: cst.BaseExpression, where: CodeRange
    ) -> tuple[bool, FlagRef | None]:
        """What `row` makes of the call: whether its `match` admits the key, and the reference."""
        default = argument(node.args, row.default)
        if row.flag is not None:  # the pattern names the one flag the call checks
            return True, self._ref(
                where, row, None, attribute=row.flag, default=self._code(default) if default else None
            )
        pinned = argument(node.args, row.pinned)
        pinned_text = row.pin if pinned is None else self._code(pinned)
        if row.kind is RefKind.PREDICATE:  # pinned: the flag value the predicate asks for
            key_node, wanted = _unnegated(key_node, row.negation)
            pinned_text = str(wanted)
        ref = self._ref(
            where,
            row,
            key_node,
            default=self._code(default) if default is not None else None,
            pinned=pinned_text,
        )
        if not row.admits(ref.key, ref.key_symbol):  # `match` narrows every kind that reads a key
            return False, None
        if row.on_object:  # the key is the one the named object was made with, or it is no reference
            name = isinstance(key_node, (cst.Name, cst.Attribute))
            return True, dataclasses.replace(ref, key=None, key_source=KeySource.OBJECT) if name else None
        return True, ref

    def _call_strength(
        self, node: cst.Call, row: Pattern, func_names: set[str | None], key_node: cst.BaseExpression
    ) -> int:
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        receiver = func.value if isinstance(func, cst.Attribute) else None
        if isinstance(receiver, cst.Call):  # get_client().m(...)
            receiver = receiver.func
        return call_strength(
            row,
            func_names=func_names,
            func_last=last_name(func),
            method=method,
            receiver_last=last_name(receiver) if receiver is not None else None,
            imported=self.imported,
            receiver_names=lambda: {get_full_name_for_node(func.value)} | self._qualified(func.value),  # type: ignore[attr-defined]
            key_static=lambda: self._static(key_node),
        )

    def _static(self, key_node: cst.BaseExpression) -> bool:
        if string_value(key_node) is not None:
            return True
        return isinstance(key_node, (cst.Name, cst.Attribute)) and self._symbol(key_node) is not None

    def _symbol(self, key_node: cst.BaseExpression) -> str | None:
        names = self._qualified(key_node)
        return names.pop() if len(names) == 1 else None

    def _match_object(
        self,
        node: cst.CSTNode,
        owner: cst.BaseExpression,
        rows: list[Pattern],
        where: CodeRange,
        attribute: str | None,
        key_node: cst.BaseExpression | None,
    ) -> FlagRef | None:
        owner_names = {get_full_name_for_node(owner)} | self._qualified(owner)
        for row in rows:
            if not names_match(row.name, owner_names):
                continue
            if attribute is not None:
                return self._ref(where, row, None, attribute=attribute)
            assert key_node is not None
            ref = self._ref(where, row, key_node)
            if ref.key is None or row.key_matches(ref.key):
                if ref.key is None and ref.key_symbol is None and row.match is not None:
                    continue
                return ref
        return None

    def _code(self, node: cst.CSTNode) -> str:
        return self.tree.code_for_node(node)

    def _ref(
        self,
        where: CodeRange,
        row: Pattern,
        key_node: cst.BaseExpression | None,
        *,
        attribute: str | None = None,
        default: str | None = None,
        pinned: str | None = None,
    ) -> FlagRef:
        span = Span(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)
        suppressed = frozenset().union(*(self.suppressions.get(n, frozenset()) for n in {span.line, span.end_line}))
        key: str | None = attribute
        source = KeySource.ATTRIBUTE if attribute is not None else KeySource.DYNAMIC
        symbol = None
        key_text = attribute or ""
        if key_node is not None:
            bare = row.on_receiver and isinstance(key_node, (cst.Name, cst.Attribute))
            # `(client).is_enabled()`: the receiver as the ast front end spells it, brackets aside
            key_text = self._code(key_node.with_changes(lpar=(), rpar=()) if bare else key_node)
            key = string_value(key_node)
            if key is not None:
                source = KeySource.LITERAL
            elif isinstance(key_node, (cst.Name, cst.Attribute)):
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


def _receiver(call: cst.Call) -> cst.BaseExpression | None:
    """The object a method is called on, when it is a name or a dotted name (`X`, `toggles.X`)."""
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, (cst.Name, cst.Attribute)):
        return func.value
    return None


def argument(args: Sequence[cst.Arg], where: Arg) -> cst.BaseExpression | None:
    """The expression `args` pass at `where` (a keyword of its names, else its position before
    any `*args`; a string key of the dict given there with `item`); None when not passed."""
    found = _positioned(args, where)
    if where.item is None or found is None:
        return found
    if not isinstance(found, cst.Dict):
        return None
    for element in found.elements:
        key = element.key if isinstance(element, cst.DictElement) else None
        if isinstance(key, cst.SimpleString) and key.evaluated_value == where.item:
            return element.value
    return None


def _positioned(args: Sequence[cst.Arg], where: Arg) -> cst.BaseExpression | None:
    for arg in args:
        if arg.keyword is not None and arg.keyword.value in where.keywords:
            return arg.value
    if where.index is None:
        return None
    positional = []
    for arg in args:
        if arg.keyword is not None or arg.star:
            break
        positional.append(arg.value)
    return positional[where.index] if where.index < len(positional) else None
