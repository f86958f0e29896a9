"""Tests and views the fold emptied or doomed: `with` pins, overrides that only answered the
flag, parametrized tests narrowed to the live value."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from flaglint.fix.base import (
    TEST_FILE,
    Function,
    _Class,
    _parametrized,
    blank_prefix,
    is_docstring,
    leading_lines,
    only_calls_super,
)
from flaglint.fix.imports import BindingCounter, ReplaceName
from flaglint.fix.retire.core import RetireCore
from flaglint.fix.retire.docstrings import docstring_without
from flaglint.model import RefKind


class _Tests(RetireCore):
    """Tests and views the fold emptied or doomed: `with` pins, overrides that only answered the"""

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel | cst.RemovalSentinel:
        self.state.guarded -= 1
        kept: list[cst.WithItem] = []
        for original, item in zip(original_node.items, updated_node.items, strict=True):
            ref = self._ref(original.item)
            if ref is None or ref.kind is not RefKind.TEST_OVERRIDE:
                kept.append(item)
                continue
            match = self._pinned_matches(ref)
            if match is None:
                self._note(original, ref.key, "review", f"test override of {ref.key!r} pins a non-literal value")
                kept.append(item)
            elif match:
                self._changed()
                self._dropped(item.asname)
            else:
                kept.append(item)
                if self.state.functions:
                    self.state.functions[-1].doom = f"it tests flag {ref.key!r} in its discarded state"
        if len(kept) == len(updated_node.items):
            return updated_node
        if not kept:
            return self._flatten(self._statements(updated_node.body, updated_node.leading_lines))
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(items=kept)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        frame = self.state.functions.pop()
        self.state.decorated.pop()
        for name, keep in frame.pinned.items():
            updated_node = self._narrow(updated_node, frame, name, keep)
        if frame.doom is not None:
            return self._doomed(original_node, updated_node, frame.doom)
        in_class = bool(self.state.decorated) and isinstance(self.state.decorated[-1], _Class)
        if in_class and (frame.unpinned or self._holds_reference(original_node)) and only_calls_super(updated_node):
            owner = self.state.decorated[-1].node.name.value
            self.state.overrides.append(f"{owner}.{updated_node.name.value}")
            return cst.RemoveFromParent()  # `def setUp(self): super().setUp()` once its pin or check went
        if self._emptied_test(original_node, updated_node):
            return self._doomed(original_node, updated_node, "nothing of the test is left once the flag is retired")
        if in_class and self._flag_override(original_node, updated_node):
            owner = self.state.decorated[-1].node.name.value
            why = f"its only job was a retired flag; it now returns what `{owner}`'s base class is assumed to"
            name = f"override `{owner}.{updated_node.name.value}`"
            if not self._offer(original_node, None, name, why):
                return updated_node
            self.state.overrides.append(f"{owner}.{updated_node.name.value}")  # the base answers the name
            return cst.RemoveFromParent()
        if self._holds_reference(original_node):  # a check in it went: its docstring may speak of it
            cleaned = docstring_without(updated_node, self._names_retired)
            if cleaned is not None:
                updated_node = cleaned
        return self._without_final_return(updated_node)

    def _holds_reference(self, node: cst.FunctionDef) -> bool:
        """Whether one of the retired references is inside the function."""
        try:
            where = self._position(node)
        except KeyError:
            return False
        return any(where.start.line <= line <= where.end.line for line, _, _, _ in self.state.refs)

    def _flag_override(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> bool:
        """A method of a class with bases whose body was only `return <check>` (a docstring aside),
        now `return True`: it existed to answer the flag (`def is_enabled(self): return "k" in
        features`), and a base class presumably answers the same without it."""
        owner = self.state.decorated[-1].node
        if not isinstance(owner, cst.ClassDef) or not owner.bases or original.decorators:
            return False
        body = original.body.body if isinstance(original.body, cst.IndentedBlock) else []
        statements = [s for s in body if not is_docstring(s)]
        if len(statements) != 1 or not m.matches(statements[0], m.SimpleStatementLine([m.Return()])):
            return False
        value = statements[0].body[0].value  # type: ignore[attr-defined]
        ref = self._ref(value) if value is not None else None
        if ref is None or ref.kind is not RefKind.CHECK:
            return False
        after = (
            [s for s in updated.body.body if not is_docstring(s)] if isinstance(updated.body, cst.IndentedBlock) else []
        )
        if len(after) != 1 or not m.matches(after[0], m.SimpleStatementLine([m.Return()])):
            return False
        known, constant = self.constants.get(after[0].body[0].value)  # type: ignore[attr-defined]
        return known and constant is True

    def _without_final_return(self, node: cst.FunctionDef) -> cst.FunctionDef:
        """A bare `return` the fold brought to the end of a function does nothing there: it goes,
        and the comments above it stay as the end of the body."""
        body = node.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) < 2:
            return node
        last = body.body[-1]
        bare_return = m.SimpleStatementLine(
            body=[m.Return(value=None)], trailing_whitespace=m.TrailingWhitespace(comment=None)
        )
        if id(last) not in self.state.spliced or not m.matches(last, bare_return):
            return node
        blanks = blank_prefix(leading_lines(last))
        comments = leading_lines(last)[blanks:]
        if any(line.comment is None for line in comments):
            return node  # blank lines between its comments: where they belong is not clear
        self._changed()
        footer = [*(leading_lines(last) if comments else ()), *body.footer]
        return node.with_changes(body=body.with_changes(body=body.body[:-1], footer=footer))

    def _emptied_test(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> bool:
        """Whether the rewrite left a test (`test...` in a test file) nothing but `pass` or its docstring."""
        if not updated.name.value.startswith("test") or not TEST_FILE.search(self.path):
            return False
        if not isinstance(updated.body, cst.IndentedBlock) or len(updated.body.body) != 1:
            return False
        if id(updated.body.body[0]) in self.state.padding:
            return True
        return updated.get_docstring() is not None and len(original.body.body) > 1

    def _narrow(self, node: cst.FunctionDef, frame: Function, name: str, keep: bool) -> cst.FunctionDef:
        """Keep only the parametrized values of `name` that match the flag's kept state; with one
        left (and the name not rebound in the body), drop the decorator and the parameter and use
        the value in the body.
        """
        values = [v for v in frame.params[name] if bool(v) == keep]
        if not values:
            frame.doom = f"it only tests the discarded state of a flag (parameter `{name}`)"
            return node
        self._changed()
        inline = len(values) == 1 and name not in BindingCounter.of(node.body)
        decorators = []
        for decorator in node.decorators:
            found = _parametrized(decorator)
            if found is None or found[0] != name:
                decorators.append(decorator)
                continue
            if not inline:
                call = decorator.decorator
                assert isinstance(call, cst.Call)
                container = call.args[1].value
                kept = [e for e, v in zip(container.elements, frame.params[name], strict=True) if bool(v) == keep]  # type: ignore[attr-defined]
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                new_args = [call.args[0], call.args[1].with_changes(value=container.with_changes(elements=kept))]
                decorators.append(decorator.with_changes(decorator=call.with_changes(args=[*new_args, *call.args[2:]])))
        node = node.with_changes(decorators=decorators)
        if not inline:
            return node
        params = [p for p in node.params.params if p.name.value != name]
        if params:
            params[-1] = params[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        literal = repr(values[0])
        body = node.body.visit(ReplaceName(name, lambda: self.constants.make(literal)))
        self.state.refold = True
        return node.with_changes(params=node.params.with_changes(params=params), body=body)
