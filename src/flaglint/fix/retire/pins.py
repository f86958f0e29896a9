"""Test pins of a retired flag (override statements, model rows, settings) and the
decorators that check or pin it."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable

import libcst as cst
import libcst.matchers as m

from flaglint.engine.scan import last_name
from flaglint.fix.base import SET_UP, Function, kept_elements
from flaglint.fix.retire.core import RetireCore
from flaglint.model import FlagRef, RefKind


class Pins(RetireCore):
    """Test pins of a retired flag (override statements, model rows, settings) and the"""

    def _pin_goes(self, node: cst.CSTNode, ref: FlagRef, removable: Callable[[], bool] = lambda: True) -> bool:
        """Whether a statement that pins a retired flag goes: a pin of the kept value does; one of
        the discarded value dooms its test, except in a class's set-up (`setUp`), where it pins the
        flag for every test of the class: that pin alone goes, with unsafe fixes. `removable` says
        whether the statement itself may go (asked only when it would).
        """
        match = self._pinned_matches(ref)
        goes = self._pin_statement_goes(node, ref, match, removable)
        if not goes and not match:  # a pin of the kept value that stays pins what the code now does
            self._pin_stays(ref)
        return goes

    def _pin_statement_goes(
        self, node: cst.CSTNode, ref: FlagRef, match: bool | None, removable: Callable[[], bool]
    ) -> bool:
        frame = self.state.functions[-1] if self.state.functions else None
        if match is None:
            self._note(node, ref.key, "review", f"test override of {ref.key!r} pins a non-literal value")
            return False
        if match:
            if not removable():
                return False
            self._changed()
            if frame is not None:
                frame.unpinned = True
            return True
        if frame is None:
            return False
        method = frame.node.name.value
        if self._dooms(frame, ref):
            frame.doom = f"it tests flag {ref.key!r} in its discarded state"
            return False
        if not removable():
            return False
        if method not in SET_UP:
            state = "on" if self._value(ref) else "off"
            why = (
                f"`{method}` set flag {ref.key!r} to its discarded value among other pins: "
                f"it now runs with the flag {state}, check what it asserts"
            )
            return self._unpin(node, ref, frame, "the pin", why)
        why = f"it pins flag {ref.key!r} to its discarded value for every test of the class (they now run without it)"
        return self._unpin(node, ref, frame, f"the pin in `{method}`", why)

    def _dooms(self, frame: Function, ref: FlagRef) -> bool:
        """Whether a pin of the discarded value makes its function a test of the discarded state:
        not in a class's set-up (it pins for every test), nor among pins of other flags (a state)."""
        return frame.node.name.value not in SET_UP and not self._among_other_pins(frame.node, ref)

    def _pin_stays(self, ref: FlagRef) -> None:
        """A pin that stays sets the flag for the rest of its test: the test's own checks of the flag
        (`settings.FEATURES[K]` read back) see the pinned value, not the retired one."""
        if self.state.functions and ref.key is not None:
            self.state.functions[-1].live.add(ref.key)

    def _unpin(self, node: cst.CSTNode, ref: FlagRef, frame: Function, what: str, why: str) -> bool:
        """Unsafe fix: remove a pin of the discarded value alone (the test stays, now running with
        the kept value); listed when unsafe fixes are off."""
        if not self._offer(node, ref.key, what, why):
            return False
        frame.unpinned = True
        return True

    def _among_other_pins(self, function: cst.FunctionDef, ref: FlagRef) -> bool:
        """Whether a test pins other flags the same way as well (`settings.FEATURES[A] = False`
        beside `settings.FEATURES[K] = False`): it sets up a state, it does not test flag K."""
        pattern = self.patterns.get(ref.pattern)
        if pattern is None:
            return False
        try:
            where = self._position(function)
        except KeyError:
            return False
        inside = range(where.start.line, where.end.line + 1)
        retired = sum(1 for r in self.state.refs.values() if r.pattern == ref.pattern and r.span.line in inside)
        uses = re.findall(rf"\b{re.escape(pattern.token)}\s*[\[(]", cst.Module([]).code_for_node(function))
        return len(uses) > retired

    def _pin_assignment(self, node: cst.Assign, ref: FlagRef) -> bool:
        """Whether `row, made = Flag.objects.update_or_create(name=K, ...)` goes (as `_pin_goes`
        says), given that what it binds is not used but by `row.delete()` (which goes with it).
        """
        module = self.source() if self.source is not None else ""
        in_function = bool(self.state.functions)
        function = functools.cache(lambda: cst.Module([]).code_for_node(self.state.functions[-1].node))
        bound: list[tuple[str, bool]] = []  # (name, whether its uses are the module's, not its function's)
        for target in node.targets:
            parts = target.target.elements if isinstance(target.target, cst.Tuple) else [target.target]
            for part in parts:
                value = part.value if isinstance(part, cst.Element) else part
                if isinstance(value, cst.Name):
                    bound.append((value.value, not in_function))
                elif isinstance(value, cst.Attribute) and m.matches(value.value, m.Name("self")):
                    bound.append((value.attr.value, True))
                else:
                    return False

        def unused() -> bool:
            for name, in_module in bound:
                text = module if in_module else function()
                word = len(re.findall(rf"\b{re.escape(name)}\b", text))
                deletes = len(re.findall(rf"\b{re.escape(name)}\s*\.\s*delete\(\s*\)", text))
                if word != 1 + deletes:
                    self._note(node, ref.key, "review", f"the pin of {ref.key!r} is kept: `{name}` is used after it")
                    return False
            return True

        if not self._pin_goes(node, ref, unused):
            return False
        scope = ".".join(frame.node.name.value for frame in self.state.decorated)
        for name, in_module in bound:
            if re.search(rf"\b{re.escape(name)}\s*\.\s*delete", module if in_module else function()):
                self.state.released.append(("" if in_module else scope, name))
        return True

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        return updated_node if updated_node.body else cst.RemoveFromParent()

    # -- decorators and test overrides --

    def _pinned_matches(self, ref: FlagRef) -> bool | None:
        frame = self.state.functions[-1] if self.state.functions else None
        if frame is not None and ref.pinned in frame.params:
            frame.pinned[ref.pinned] = bool(self._value(ref))  # a parametrized test: keep the live value
            return True
        try:
            pinned = ast.literal_eval(ref.pinned) if ref.pinned is not None else None
        except (ValueError, SyntaxError):
            return None
        return bool(pinned) == bool(self._value(ref))

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator | cst.RemovalSentinel:
        ref = self._ref(original_node.decorator) or self._method_decorator(original_node.decorator)
        if ref is None:
            return updated_node
        if ref.kind is RefKind.PREDICATE:
            return self._predicate(original_node, updated_node, ref)
        if ref.kind is RefKind.DECORATOR:
            keep_path = bool(self._value(ref))
            reason = f"it is only reachable while flag {ref.key!r} is on"
        elif ref.kind is RefKind.TEST_OVERRIDE:
            match = self._pinned_matches(ref)
            if not match:
                self._pin_stays(ref)
            if match is None:
                self._note(original_node, ref.key, "review", f"test override of {ref.key!r} pins a non-literal value")
                return updated_node
            keep_path = match
            reason = f"it tests flag {ref.key!r} in its discarded state"
        else:
            return updated_node
        if keep_path:
            self._changed()
            return cst.RemoveFromParent()
        if self.state.decorated:  # the decorated function or class
            self.state.decorated[-1].doom = reason
        return updated_node

    def _method_decorator(self, decorator: cst.BaseExpression) -> FlagRef | None:
        """The flag decorator Django's `@method_decorator(D(K), ...)` puts on a method (or, with
        `name=`, on a class's method): it gates the definition as `@D(K)` would."""
        if not isinstance(decorator, cst.Call) or last_name(decorator.func) != "method_decorator":
            return None
        if not decorator.args or decorator.args[0].keyword is not None:
            return None
        ref = self._ref(decorator.args[0].value)
        return ref if ref is not None and ref.kind is RefKind.DECORATOR else None

    def _predicate(
        self, original_node: cst.Decorator, updated_node: cst.Decorator, ref: FlagRef
    ) -> cst.Decorator | cst.RemovalSentinel:
        """`@view_config(..., feature="k")`: once k is fixed the keyword either always holds (it goes)
        or never does: the registration never applies, so it goes when another decorator of the same
        call remains, and otherwise the definition is useless (an unsafe fix).
        """
        pattern = self.patterns.get(ref.pattern)
        call = updated_node.decorator
        if pattern is None or not isinstance(call, cst.Call):
            return updated_node
        wanted = ref.pinned != "False"
        if bool(self._value(ref)) == wanted:
            self._changed()
            keep = [a.keyword is None or a.keyword.value not in pattern.key.keywords for a in call.args]
            return updated_node.with_changes(decorator=call.with_changes(args=kept_elements(call.args, keep)))
        owner = self.state.decorated[-1].node if self.state.decorated else None
        token = pattern.token
        others = [
            d
            for d in (owner.decorators if owner is not None else ())
            if d is not original_node and isinstance(d.decorator, cst.Call) and last_name(d.decorator.func) == token
        ]
        if others:
            self._changed()
            return cst.RemoveFromParent()
        if self.state.decorated:
            state = "on" if wanted else "off"
            self.state.decorated[-1].doom = f"it only applies while flag {ref.key!r} is {state}"
        return updated_node
