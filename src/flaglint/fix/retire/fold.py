"""Expression folding: `not`, `and`/`or`, comparisons and ternaries over synthetic constants,
as Python evaluates them."""

from __future__ import annotations

import itertools

import libcst as cst

from flaglint.fix.base import COMPARE, PREDICATES, _literal, _pure, plain_test
from flaglint.fix.dataflow import only_binding
from flaglint.fix.retire.core import RetireCore


class Fold(RetireCore):
    """Expression folding: `not`, `and`/`or`, comparisons and ternaries over synthetic constants,"""

    # -- expression folding --

    def leave_UnaryOperation(
        self, original_node: cst.UnaryOperation, updated_node: cst.UnaryOperation
    ) -> cst.BaseExpression:
        known, value = self.constants.get(updated_node.expression)
        if known and isinstance(updated_node.operator, cst.Not):
            return self._replace(updated_node, self.constants.boolean(not value))
        return updated_node

    def leave_BooleanOperation(
        self, original_node: cst.BooleanOperation, updated_node: cst.BooleanOperation
    ) -> cst.BaseExpression:
        left, right = updated_node.left, updated_node.right
        left_known, left_value = self.constants.get(left)
        right_known, right_value = self.constants.get(right)
        is_and = isinstance(updated_node.operator, cst.And)
        if left_known:
            # `C and x` is x when C is truthy, else C; `C or x` is C when C is truthy, else x.
            decisive = not left_value if is_and else bool(left_value)
            self._displace(updated_node.operator, right if decisive else left)
            return self._replace(updated_node, left if decisive else right)
        if right_known and (id(original_node) in self.state.truth or self._boolean(left)):
            # In a truth context only truthiness matters, and a bool is its own truth: `x and True`
            # ~ x, `x or False` ~ x; `x and False` ~ False and `x or True` ~ True, when dropping x
            # drops no side effect.
            neutral = bool(right_value) if is_and else not right_value
            if neutral:
                self._displace(updated_node.operator, right)
                return self._replace(updated_node, left)
            if self._droppable(left) or (self._reads_flag(original_node.left) and left.deep_equals(original_node.left)):
                self._displace(left, updated_node.operator)
                return self._replace(updated_node, right)
        return updated_node

    def _builtin_test(self, node: cst.BaseExpression) -> bool:
        """`isinstance(a, B)`, `hasattr(a, "b")`, `callable(a)`, `issubclass(A, B)` with plain
        arguments, the builtins themselves (the module never rebinds them)."""
        return (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value in PREDICATES
            and all(not arg.star and arg.keyword is None and _pure(arg.value) for arg in node.args)
            and not self._rebinds(node.func.value)
        )

    def _droppable(self, node: cst.BaseExpression) -> bool:
        """Whether evaluating `node` may be left out: plain values, comparisons of plain values,
        the predicate builtins over them, and `not`/`and`/`or` of such."""
        if plain_test(node) or self._builtin_test(node):
            return True
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return self._droppable(node.expression)
        if isinstance(node, cst.BooleanOperation):
            return self._droppable(node.left) and self._droppable(node.right)
        return False

    def _boolean(self, node: cst.BaseExpression) -> bool:
        """Whether `node` always evaluates to a bool: a comparison, `not x`, a predicate builtin,
        `and`/`or` of such, or a local bound once, to such."""
        if isinstance(node, cst.Comparison) or self._builtin_test(node):
            return True
        if isinstance(node, cst.Name) and self.state.functions:
            value = only_binding(self.state.functions[-1].node, node.value)
            return value is not None and self._boolean(value)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return True
        if isinstance(node, cst.BooleanOperation):
            return self._boolean(node.left) and self._boolean(node.right)
        return False

    def _reads_flag(self, node: cst.CSTNode) -> bool:
        """Whether `node` is a check of another flag with plain arguments: a read that a fold may
        drop (`other_check(K2) and False` is False; the SDK no longer sees that evaluation)."""
        if isinstance(node, cst.Call) and not all(_pure(arg.value) and not arg.star for arg in node.args):
            return False
        if isinstance(node, cst.Subscript) and not all(
            isinstance(e.slice, cst.Index) and _pure(e.slice.value) for e in node.slice
        ):
            return False
        try:
            where = self._position(node)
        except KeyError:
            return False
        return (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1) in self.reads

    def leave_Comparison(self, original_node: cst.Comparison, updated_node: cst.Comparison) -> cst.BaseExpression:
        found = self._substitute(original_node, updated_node)  # `"k" in features` (a membership pattern)
        if found is not updated_node:
            return found
        operands = [updated_node.left, *(c.comparator for c in updated_node.comparisons)]
        if not any(self.constants.get(o)[0] for o in operands):
            return updated_node
        values = []
        for operand in operands:
            known, value = self.constants.get(operand)
            if not known:
                known, value = _literal(operand)
            if not known:
                return updated_node
            values.append(value)
        result = True
        for (left, right), target in zip(itertools.pairwise(values), updated_node.comparisons, strict=True):
            compare = COMPARE.get(type(target.operator))
            if compare is None:
                return updated_node
            try:
                result = result and bool(compare(left, right))
            except TypeError:
                return updated_node
        return self._replace(updated_node, self.constants.boolean(result))

    def leave_IfExp(self, original_node: cst.IfExp, updated_node: cst.IfExp) -> cst.BaseExpression:
        known, value = self.constants.get(updated_node.test)
        if not known:
            return updated_node
        return self._replace(updated_node, updated_node.body if value else updated_node.orelse)
