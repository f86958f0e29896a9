"""The retire pass's shared machinery: its state, positions, notes, truth contexts (marked
top-down) and the frames of classes and functions."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import libcst as cst
import libcst.matchers as m
from libcst.metadata import CodeRange, PositionProvider

from flaglint.engine.patterns import Pattern
from flaglint.fix.base import (
    ATOMS,
    SET_UP,
    Constants,
    Function,
    KeepConstants,
    Note,
    State,
    _Class,
    _parametrized,
    calls_own_method,
    docstring_gap,
    is_fixture,
    leading_lines,
    methods_named,
    opening_kept,
)
from flaglint.model import FlagRef, RefKind, Span


class RetireCore(KeepConstants):
    """Substitute retired flag references and fold what they make constant: the state and
    helpers the mixins share."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    if TYPE_CHECKING:  # what the other mixins provide and the shared code calls (see retire/__init__)

        def _dropped(self, *parts: cst.CSTNode | None) -> None: ...
        def _pad(self) -> cst.SimpleStatementLine: ...
        def _flatten(self, statements: list[cst.BaseStatement]) -> cst.FlattenSentinel | cst.RemovalSentinel: ...
        def _statements(self, block: cst.BaseSuite, lead: Sequence[cst.EmptyLine]) -> list[cst.BaseStatement]: ...
        def _pinned_matches(self, ref: FlagRef) -> bool | None: ...
        def _pin_stays(self, ref: FlagRef) -> None: ...
        def _pin_assignment(self, node: cst.Assign, ref: FlagRef) -> bool: ...
        def _pin_goes(self, node: cst.CSTNode, ref: FlagRef, removable: Callable[[], bool] = lambda: True) -> bool: ...
        def _rebinds(self, name: str) -> bool: ...
        def _substitute(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression: ...
        def _names_retired(self, text: str) -> bool: ...

    def __init__(
        self,
        path: str,
        refs: Sequence[FlagRef],
        values: Mapping[str, str | None],
        patterns: Mapping[str, Pattern],
        constants: Constants,
        unsafe: bool,
        source: Callable[[], str] | None = None,
        reads: Iterable[Span] = (),
        named: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.path = path
        self.named = named  # route names something else in the project refers to
        self._retired_words: re.Pattern[str] | None = None
        self.source = source  # the whole module's text (the tree visited may stand in for parts)
        self._gap = functools.cache(lambda: docstring_gap(source()) if source is not None else None)
        # Where other flags are read (SDK checks of flags that stay): reads to drop when folded away.
        self.reads = {(s.line, s.column, s.end_line, s.end_column) for s in reads}
        self.values = values
        self.patterns = patterns
        self.constants = constants
        self.unsafe = unsafe
        self.state = State()
        self.positions: Mapping[cst.CSTNode, CodeRange] | None = None
        self.untouched: set[int] = set()  # top-level statements that hold no reference: not entered
        for ref in refs:
            s = ref.span
            self.state.refs[(s.line, s.column, s.end_line, s.end_column)] = ref

    # -- helpers --

    def docstring_gap(self) -> int | None:
        return self._gap()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseStatement):
            self.state.statements.append(id(node))
        entered = super().on_visit(node)  # the visit_ handler runs: its leave_ pair expects it
        return entered and id(node) not in self.untouched  # nothing inside can change

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:  # LibCST types it per node
        result = super().on_leave(original_node, updated_node)
        if id(original_node) in self.state.tight:
            return self._bracketed(original_node, result)
        if not isinstance(original_node, cst.BaseStatement):
            return result
        self.state.statements.pop()
        comments = self.state.displaced.pop(id(original_node), [])
        if not comments:
            return result
        if isinstance(result, cst.BaseStatement):  # (one the fold removed or replaced takes its comments along)
            lines = [cst.EmptyLine(comment=cst.Comment(c)) for c in comments]
            return result.with_changes(leading_lines=[*leading_lines(result), *lines])
        return result

    def _bracketed(self, original: cst.CSTNode, result: object) -> object:
        """A test written `if(...)` keeps its brackets whatever replaced it: the keyword needs a
        space or a bracket after it."""
        lpar = getattr(original, "lpar", None)
        if not lpar or not isinstance(result, cst.BaseExpression) or result.lpar:
            return result
        known, value = self.constants.get(result)
        kept = result.with_changes(lpar=lpar, rpar=getattr(original, "rpar", ()))
        return self.constants.adopt(kept, value) if known else kept

    def _displace(self, *dropped: cst.CSTNode) -> None:
        """Comments inside the parts of an expression a fold drops go above its statement."""
        found = [c.value for part in dropped for c in m.findall(part, m.Comment())]  # type: ignore[attr-defined]
        if found and self.state.statements:
            self.state.displaced.setdefault(self.state.statements[-1], []).extend(found)

    def _position(self, node: cst.CSTNode) -> CodeRange:
        """Where a node is: from positions computed for the touched statements alone when given,
        else from the metadata wrapper. KeyError for a node it does not know.
        """
        if self.positions is not None:
            return self.positions[node]
        return self.get_metadata(PositionProvider, node)

    def _ref(self, node: cst.CSTNode) -> FlagRef | None:
        try:
            where = self._position(node)
        except KeyError:
            return None
        span = (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)
        ref = self.state.refs.get(span)
        return ref if ref is not None and ref.key in self.values else None

    def _line(self, node: cst.CSTNode) -> int:
        try:
            return self._position(node).start.line
        except KeyError:
            return 0

    def _note(self, node: cst.CSTNode, key: str | None, kind: str, message: str) -> None:
        self.state.notes.append(Note(self.path, self._line(node), key, kind, message))

    def _value(self, ref: FlagRef) -> object:
        """The retired flag's value; an "off" flag (None in `values`) is False to every check."""
        literal = self.values[ref.key or ""]
        return False if literal is None else ast.literal_eval(literal)

    def _truth(self, node: cst.CSTNode) -> None:
        self.state.truth.add(id(node))

    def _changed(self) -> None:
        self.state.changed = True

    def _replace(self, old: cst.BaseExpression, new: cst.BaseExpression) -> cst.BaseExpression:
        """Put `new` where `old` was, keeping grouping parentheses only where they can matter."""
        if isinstance(new, ATOMS):
            if new.lpar:
                kept = self.constants.get(new)
                new = new.with_changes(lpar=(), rpar=())
                if kept[0]:
                    self.constants.adopt(new, kept[1])
            return new
        if old.lpar and not new.lpar:
            kept = self.constants.get(new)
            new = new.with_changes(lpar=old.lpar, rpar=old.rpar)
            if kept[0]:
                self.constants.adopt(new, kept[1])
        return new

    # -- truth contexts (top-down) --

    def visit_If(self, node: cst.If) -> None:
        self._truth(node.test)
        if isinstance(node.orelse, cst.If):
            self.state.elifs.add(id(node.orelse))
        if m.matches(node.whitespace_before_test, m.SimpleWhitespace("")):
            self.state.tight.add(id(node.test))

    def visit_While(self, node: cst.While) -> None:
        self._truth(node.test)
        if m.matches(node.whitespace_after_while, m.SimpleWhitespace("")):
            self.state.tight.add(id(node.test))

    def visit_Assert(self, node: cst.Assert) -> None:
        self._truth(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._truth(node.test)

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self._truth(node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._truth(node.expression)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if id(node) in self.state.truth:
            self._truth(node.left)
            self._truth(node.right)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = Function(node)
        for decorator in node.decorators:
            found = _parametrized(decorator)
            if found is not None:
                frame.params[found[0]] = found[1]
        self.state.functions.append(frame)
        self.state.decorated.append(frame)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.state.decorated.append(_Class(node))

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        frame = self.state.decorated.pop()
        assert isinstance(frame, _Class)  # pushed by visit_ClassDef
        if frame.callers:
            updated_node = self._without_callers(original_node, updated_node, frame.callers)
        if frame.doom is None:
            return updated_node
        return self._doomed(original_node, updated_node, frame.doom)

    def _without_callers(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef, callers: Mapping[str, str]
    ) -> cst.ClassDef:
        """The class less the test methods that called a helper removed with its flag."""
        for method in methods_named(original_node.body.body, callers):
            self._note(method, None, "unsafe-applied", f"removed `{method.name.value}`: {callers[method.name.value]}")
        body = updated_node.body
        if not isinstance(body, cst.IndentedBlock):
            return updated_node  # `class A: ...` on one line has no methods
        gone = methods_named(body.body, callers)
        self._dropped(*gone)
        kept = [statement for statement in body.body if statement not in gone]
        kept = list(opening_kept(body.body, kept)) if kept else [self._pad()]
        return updated_node.with_changes(body=body.with_changes(body=kept))

    def _doomed(
        self, original_node: cst.FunctionDef | cst.ClassDef, updated_node: cst.FunctionDef | cst.ClassDef, doom: str
    ) -> cst.FunctionDef | cst.ClassDef | cst.RemovalSentinel:
        """A definition the retired flag made useless goes with unsafe fixes; else it is listed."""
        name = updated_node.name.value
        word = re.compile(rf"(?<!def )(?<!class )\b{re.escape(name)}\b")  # uses, not other definitions
        own = len(word.findall(cst.Module([]).code_for_node(original_node)))
        elsewhere = len(word.findall(self.source())) - own if self.source is not None else 0
        fixture = isinstance(updated_node, cst.FunctionDef) and is_fixture(updated_node)
        callers = None
        if elsewhere and isinstance(original_node, cst.FunctionDef):
            callers = self._calling_tests(original_node, elsewhere)
        # a fixture is named by the tests that request it, a test helper by the tests that call it:
        # they go with it, or (when it is still named anywhere in the project) nothing does (clean)
        if elsewhere and not fixture and not callers:
            self._note(original_node, None, "review", f"`{name}` is kept, named elsewhere in the module: {doom}")
            return updated_node
        if not self._offer(original_node, None, f"`{name}`", doom):
            return updated_node
        self._dropped(updated_node)
        if fixture or callers:
            self.state.fixtures.append(name)
        if callers:
            owner = self.state.decorated[-1]
            assert isinstance(owner, _Class)
            owner.callers.update((test, f"it calls `{name}`, removed with it: {doom}") for test in callers)
        return cst.RemoveFromParent()

    def _calling_tests(self, helper: cst.FunctionDef, mentions: int) -> list[str] | None:
        """The test methods of the helper's class that call it (`self.helper(...)`), when those
        calls are the `mentions` the module makes of it beside its definition; else None. Read from
        the whole source: the class being rewritten may hold stand-ins for methods without a flag
        reference.
        """
        name = helper.name.value
        owner = self.state.decorated[-1] if self.state.decorated else None
        if not isinstance(owner, _Class) or self.source is None or name.startswith("test") or name in SET_UP:
            return None
        source = self.source()
        try:
            module = ast.parse(source)
        except SyntaxError:
            return None
        callers: list[str] = []
        for klass in ast.walk(module):
            if not isinstance(klass, ast.ClassDef) or klass.name != owner.node.name.value:
                continue
            for method in klass.body:
                if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or method.name == name:
                    continue
                calls = sum(1 for node in ast.walk(method) if calls_own_method(node, name))
                if calls and not method.name.startswith("test"):
                    return None
                callers.extend([method.name] * calls)
        return sorted(set(callers)) if callers and len(callers) == mentions else None

    def _offer(self, node: cst.CSTNode, key: str | None, what: str, why: str) -> bool:
        """An unsafe fix that removes `what`: applied (and noted) with unsafe fixes, otherwise listed
        as skipped. Whether to apply it."""
        if not self.unsafe:
            self._note(node, key, "unsafe-skipped", f"would remove {what} (--unsafe-fixes): {why}")
            return False
        self._changed()
        self._note(node, key, "unsafe-applied", f"removed {what}: {why}")
        return True

    def visit_Try(self, node: cst.Try) -> None:
        self.state.guarded += 1

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.state.guarded += 1

    def visit_With(self, node: cst.With) -> None:
        self.state.guarded += 1
        for item in node.items:
            ref = self._ref(item.item)
            if ref is not None and ref.kind is RefKind.TEST_OVERRIDE and not self._pinned_matches(ref):
                self._pin_stays(ref)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        self.state.guarded -= 1
        return updated_node

    def leave_TryStar(self, original_node: cst.TryStar, updated_node: cst.TryStar) -> cst.TryStar:
        self.state.guarded -= 1
        return updated_node
