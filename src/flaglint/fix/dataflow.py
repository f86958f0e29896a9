"""Data flow after folding: constants inlined into their reads, locals left unread, scope
changes, functions that now return a constant."""

from __future__ import annotations

import collections
import functools
import re
import symtable

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, MetadataWrapper, ScopeProvider

from flaglint.fix.base import Constants, KeepConstants, plain_test
from flaglint.fix.imports import BindingCounter, _mentions

# --- data flow after folding ----------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def only_binding(function: cst.FunctionDef, name: str) -> cst.BaseExpression | None:
    """The value of `name = value` when that statement is the one binding of `name` anywhere in
    `function` (its parameters, every other store, `del`, `global`/`nonlocal`, imports, nested
    defs and handlers counted): every read of the local then sees that value, or fails."""
    bound = BindingCounter.of(function)
    if bound[name] != 1 or bound[f"global {name}"] or bound[f"nonlocal {name}"]:
        return None
    found = m.findall(function.body, m.Assign(targets=[m.AssignTarget(target=m.Name(name))]))
    return found[0].value if len(found) == 1 else None  # type: ignore[attr-defined]


class InlineCandidates(cst.CSTVisitor):
    """`name = <constant>` that can be inlined: assigned once in its function, and read only after
    it inside the block that holds it (the function's own, or an `if`'s, a loop's): every read
    then runs after the one binding and sees it."""

    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, constants: Constants) -> None:
        super().__init__()
        self.constants = constants
        self.order: dict[int, int] = {}
        self.blocks: list[int] = []
        self.spans: dict[int, tuple[int, int]] = {}  # block -> (first, last) order of its nodes
        self.found: list[tuple[cst.Assign, cst.metadata.Scope, str, object, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.order[id(node)] = len(self.order)
        return super().on_visit(node)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.spans[self.blocks.pop()] = (self.order[id(original_node)], len(self.order))

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.blocks.append(id(node))  # `if x: y = True`: y is bound only when x holds

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self.spans[self.blocks.pop()] = (self.order[id(original_node)], len(self.order))

    def visit_Assign(self, node: cst.Assign) -> None:
        known, value = self.constants.get(node.value)
        if not known or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        if not self.blocks:
            return
        scope = self.get_metadata(ScopeProvider, node, None)
        name = node.targets[0].target.value
        if isinstance(scope, cst.metadata.FunctionScope) and len(scope.assignments[name]) == 1:
            self.found.append((node, scope, name, value, self.blocks[-1]))

    def inlinable(self) -> tuple[set[int], dict[int, object]]:
        drop: set[int] = set()
        uses: dict[int, object] = {}
        for node, scope, name, value, block in self.found:
            accesses = list(scope.accesses[name])
            if any(a.is_annotation or a.is_type_hint for a in accesses):
                continue
            _, last = self.spans.get(block, (0, -1))
            if all(self.order[id(node)] < self.order.get(id(a.node), -1) < last for a in accesses):
                drop.add(id(node))
                uses.update((id(a.node), value) for a in accesses)
        return drop, uses


class InlineConstants(KeepConstants):
    """Replace the reads of inlinable constants and drop their assignments."""

    def __init__(self, constants: Constants, drop: set[int], uses: dict[int, object]) -> None:
        super().__init__()
        self.constants = constants
        self.drop = drop
        self.uses = uses

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) in self.uses:
            made = self.constants.make(repr(self.uses[id(original_node)]))
            self.constants.inlined.add(id(made))
            return made
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign | cst.RemovalSentinel:
        return cst.RemoveFromParent() if id(original_node) in self.drop else updated_node


def _function_scopes(tree: cst.Module) -> dict[tuple[str, ...], tuple[set[str], set[str]]]:
    """(local names, read names) of each function scope, keyed by the chain of enclosing names."""
    scopes = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(ScopeProvider)
    found: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}
    for scope in {s for s in scopes.values() if isinstance(s, cst.metadata.FunctionScope)}:
        local, read = found.setdefault(_scope_key(scope), (set(), set()))
        local.update(a.name for a in scope.assignments)
        read.update(a.node.value for a in scope.accesses if isinstance(a.node, cst.Name))
    return found


_DYNAMIC_SCOPE = re.compile(r"\b(?:locals|vars|eval|exec)\s*\(|\b(?:global|nonlocal)\b")


def newly_unread_locals(before: cst.Module, after: cst.Module, old_code: str, new_code: str) -> set[int]:
    """The `name = value` statements of `after` (one plain name assigned, in a function) whose
    name the rewrite left unread: read in that function before, read nowhere now (ruff's F841).
    Functions that reach their locals dynamically (`locals()`, `eval`, `global`) are left alone.
    """
    old_words, new_words = _mentions(old_code), _mentions(new_code)
    fewer = {w for w, n in new_words.items() if n < old_words.get(w, 0) and not w.startswith("_")}
    if not fewer or not re.search(rf"^[ \t]+(?:{'|'.join(map(re.escape, fewer))})[ \t]*=[^=]", new_code, re.M):
        return set()

    def assignments(tree: cst.Module) -> dict[tuple[tuple[str, ...], str], tuple[bool, list[cst.CSTNode]]]:
        scopes = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(ScopeProvider)
        found: dict[tuple[tuple[str, ...], str], tuple[bool, list[cst.CSTNode]]] = {}
        functions = [s for s in {*scopes.values()} if isinstance(s, cst.metadata.FunctionScope)]
        keys = collections.Counter(_scope_key(scope) for scope in functions)
        for scope in functions:
            if keys[_scope_key(scope)] > 1 or _DYNAMIC_SCOPE.search(tree.code_for_node(scope.node)):
                continue  # two functions of one name in one scope: which is which is not clear
            for name in {a.name for a in scope.assignments} & fewer:
                bound = list(scope.assignments[name])
                read = any(a.references for a in bound)
                found[(_scope_key(scope), name)] = (read, [a.node for a in bound if isinstance(a, Assignment)])
        return found

    before_found = assignments(before)
    statements: dict[int, int] = {}  # id(target name) -> id(its statement)
    for line in m.findall(after, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name())])])):
        statements[id(line.body[0].targets[0].target)] = id(line)  # type: ignore[attr-defined]
    unread: set[int] = set()
    for key, (read, nodes) in assignments(after).items():
        was_read = before_found.get(key, (False, []))[0]
        if was_read and not read and all(id(n) in statements for n in nodes):
            unread.update(statements[id(n)] for n in nodes)
    return unread


class DropUnreadLocals(cst.CSTTransformer):
    """`name = value` with `name` unread: the value stays as a statement where evaluating it may
    matter (a call: `Model.objects.get(...)` that raises), else (plain values and comparisons of
    them, as the fold drops) the statement goes."""

    def __init__(self, statements: set[int]) -> None:
        super().__init__()
        self.statements = statements

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if id(original_node) not in self.statements:
            return updated_node
        value = updated_node.body[0].value  # type: ignore[attr-defined]
        if plain_test(value):
            return cst.RemoveFromParent()
        return updated_node.with_changes(body=[cst.Expr(value=value, semicolon=updated_node.body[0].semicolon)])

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return (
            updated_node
            if updated_node.body
            else updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        )


def _scope_key(scope: cst.metadata.Scope) -> tuple[str, ...]:
    """A function scope named by the chain of scopes that enclose it."""
    chain: list[str] = []
    current: cst.metadata.Scope | None = scope
    while current is not None and not isinstance(current, cst.metadata.GlobalScope):
        chain.append(f"{type(current).__name__}:{getattr(current, 'name', '')}")
        current = current.parent
    return tuple(reversed(chain))


def _symbol_scopes(code: str) -> dict[tuple[str, ...], tuple[set[str], set[str]]] | None:
    """`_function_scopes` from CPython's own symbol tables (a C pass, many times faster than
    LibCST's scope analysis); None when this interpreter cannot compile the code."""
    try:
        top = symtable.symtable(code, "<module>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}
    pending: list[tuple[symtable.SymbolTable, tuple[str, ...]]] = [(top, ())]
    while pending:
        table, chain = pending.pop()
        for child in table.get_children():
            kind = "FunctionScope" if child.get_type() == "function" else "ClassScope"
            if child.get_name() in _COMPREHENSIONS:
                continue  # LibCST's ComprehensionScope: not a function scope
            here = (*chain, f"{kind}:{child.get_name()}")
            if kind == "FunctionScope":
                local, read = found.setdefault(here, (set(), set()))
                for symbol in child.get_symbols():
                    bound = symbol.is_assigned() or symbol.is_parameter() or symbol.is_imported()
                    if symbol.is_local() and (bound or symbol.is_namespace()):
                        local.add(symbol.get_name())
                    if symbol.is_referenced():
                        read.add(symbol.get_name())
            pending.append((child, here))
    return found


_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})


def scope_changes(before: cst.Module, after: cst.Module, codes: tuple[str, str] | None = None) -> list[str]:
    """Names whose scope the rewrite would change: a deleted branch held the last binding of a
    local that is still read (it would turn into a free variable), or a deleted global/nonlocal.
    `codes`: the two modules' code, when the caller has it already.
    """
    old_code, new_code = codes if codes is not None else (before.code, after.code)
    fast_old, fast_new = _symbol_scopes(old_code), _symbol_scopes(new_code)
    if fast_old is not None and fast_new is not None:
        old, new = fast_old, fast_new
    else:
        old, new = _function_scopes(before), _function_scopes(after)
    changes: list[str] = []
    for key, (new_local, new_read) in new.items():
        old_local = old.get(key, (new_local, set()))[0]
        lost = (old_local & new_read) - new_local
        gained = new_local - old_local
        where = key[-1].split(":", 1)[1] or "<function>"
        changes.extend(f"`{name}` in `{where}`" for name in sorted(lost | gained))
    return changes


def _wrappers(tree: cst.Module, constants: Constants) -> list[tuple[str, str]]:
    found = []
    for statement in tree.body:
        if not isinstance(statement, cst.FunctionDef) or not isinstance(statement.body, cst.IndentedBlock):
            continue
        body = [s for s in statement.body.body if not m.matches(s, m.SimpleStatementLine([m.Expr(m.SimpleString())]))]
        if len(body) == 1 and m.matches(body[0], m.SimpleStatementLine([m.Return()])):
            returned = body[0].body[0].value  # type: ignore[attr-defined]
            if returned is not None and constants.get(returned)[0]:
                found.append((statement.name.value, repr(constants.get(returned)[1])))
    return found
