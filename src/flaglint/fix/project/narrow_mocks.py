"""Tests parametrized over the answer of a mocked check.

`@pytest.mark.parametrize("enabled", [True, False])` with `mocker.patch("app.views.is_enabled",
return_value=enabled)`, or ddt rows whose column a decorator mock's `return_value` is set to, run
the test once per state of the flag. Once the module no longer calls the function, the rows that
answer the discarded value test a path that is gone: with `--unsafe-fixes` they go, the column
goes from the table and the signature, and the kept value takes the parameter's place in the body
(folded, as a dropped parameter is). The mock, now answering a constant, is then the dead mock the
mocks pass removes. A test whose every row answers the discarded value goes whole.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from flaglint.fix.base import Note
from flaglint.fix.project.patchers import patched_module, patcher, positional, target, test_functions


@dataclass(frozen=True)
class Narrowing:
    """One test to narrow: the parameter that feeds its mock, the decorator that gives its rows,
    the column of that parameter in them (None: each row is its value), the rows kept, whether
    the decorator parametrizes that parameter alone (then it goes), and the value substituted."""

    test: str  # qualified: `test_x` or `TestX.test_y`
    line: int
    parameter: str
    decorator: int  # line
    column: int | None
    keep: tuple[int, ...]
    alone: bool
    value: bool
    ddt: bool


def _name(func: ast.expr) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _target(call: ast.Call, functions: frozenset[str]) -> tuple[str, str | None] | None:
    """(function, module it is patched in) of a patcher call replacing one of `functions`."""
    if patcher(call.func) is None:
        return None
    function = target(call, functions)
    return (function, patched_module(call)) if function is not None else None


def _answer_names(
    test: ast.FunctionDef | ast.AsyncFunctionDef,
    owner: ast.ClassDef | None,
    functions: frozenset[str],
    dead: Callable[[str | None, str], bool],
) -> set[str]:
    """The names the test makes a mock of a function `dead` says nothing calls answer: a
    patcher call's `return_value=name`, or `mock.return_value = name` for a decorator's mock."""
    from flaglint.fix.project.patch_decorators import mock_parameters, runner_of

    found: set[str] = set()
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and node not in test.decorator_list:
            replaced = _target(node, functions)
            if replaced is None or not dead(replaced[1], replaced[0]):
                continue
            for keyword in node.keywords:
                if keyword.arg == "return_value" and isinstance(keyword.value, ast.Name):
                    found.add(keyword.value.id)
    decorators = [*test.decorator_list, *(owner.decorator_list if owner is not None else ())]
    patches = {
        id(d): replaced
        for d in decorators
        if isinstance(d, ast.Call) and (replaced := _target(d, functions)) is not None
    }
    if not patches:
        return found
    unittest = runner_of(owner) if owner is not None else False
    outer = owner.decorator_list if owner is not None else []
    mocks = mock_parameters(test, outer, frozenset(patches), unittest) or {}
    filled = {name for call_id, name in mocks.items() if dead(patches[call_id][1], patches[call_id][0])}
    for node in ast.walk(test):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Name):
            mocked = node.targets[0]
            if (
                isinstance(mocked, ast.Attribute)
                and mocked.attr == "return_value"
                and isinstance(mocked.value, ast.Name)
                and mocked.value.id in filled
            ):
                found.add(node.value.id)
    return found


def _rows(decorator: ast.Call) -> tuple[list[str], list[ast.expr]] | None:
    """(argument names, rows) of `@pytest.mark.parametrize(names, rows)` with literal names; None
    with `ids=` (they would need narrowing too) or `indirect=` (the rows go to fixtures)."""
    if len(decorator.args) < 2 or not _name(decorator.func).endswith("parametrize") or decorator.keywords:
        return None
    names_node, rows_node = decorator.args[0], decorator.args[1]
    if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
        names = [n.strip() for n in names_node.value.split(",") if n.strip()]
    elif isinstance(names_node, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in names_node.elts
    ):
        names = [e.value for e in names_node.elts]  # type: ignore[attr-defined]
    else:
        return None
    if not isinstance(rows_node, (ast.List, ast.Tuple)):
        return None
    return names, list(rows_node.elts)


def _cell(row: ast.expr, column: int | None) -> bool | None:
    if column is not None:
        if not isinstance(row, (ast.Tuple, ast.List)) or column >= len(row.elts):
            return None
        row = row.elts[column]
    return row.value if isinstance(row, ast.Constant) and isinstance(row.value, bool) else None


def narrowings(
    tree: ast.Module, functions: frozenset[str], dead: Callable[[str | None, str], bool], value: bool
) -> Iterator[Narrowing]:
    """The tests of `tree` to narrow to `value`, the answer the retired checks now give."""
    for qualified, test, owner in test_functions(tree):
        names = _answer_names(test, owner, functions, dead)
        if len(names) != 1:
            continue
        parameter = names.pop()
        found = _feeding(test, owner is not None, parameter)
        if found is None:
            continue
        decorator, column, rows, alone, ddt = found
        cells = [_cell(row, column) for row in rows]
        if any(cell is None for cell in cells):
            continue
        keep = tuple(i for i, cell in enumerate(cells) if cell == value)
        first = min([test.lineno, *(d.lineno for d in test.decorator_list)])
        yield Narrowing(qualified, first, parameter, decorator.lineno, column, keep, alone, value, ddt)


def _feeding(
    test: ast.FunctionDef | ast.AsyncFunctionDef, method: bool, parameter: str
) -> tuple[ast.Call, int | None, list[ast.expr], bool, bool] | None:
    """The decorator whose rows give `parameter`, its column, the rows, whether it gives that
    parameter alone, and whether it is ddt's."""
    unpack = any(_name(d).endswith("unpack") for d in test.decorator_list)
    params = positional(test, method)
    for decorator in test.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        found = _rows(decorator)
        if found is not None and parameter in found[0]:
            names, rows = found
            column = None if len(names) == 1 else names.index(parameter)
            return decorator, column, rows, len(names) == 1, False
        if _name(decorator.func).rsplit(".", 1)[-1] == "data" and decorator.args and parameter in params:
            if unpack:
                return decorator, params.index(parameter), list(decorator.args), False, True
            if params[0] == parameter:
                return decorator, None, list(decorator.args), True, True
    return None


class _Narrow(cst.CSTTransformer):
    """Apply narrowings to the decorators (rows and names) of their tests."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, plans: Sequence[Narrowing]) -> None:
        super().__init__()
        self.plans = {plan.decorator: plan for plan in plans}
        self.done: set[int] = set()

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator | cst.RemovalSentinel:
        line = self.get_metadata(PositionProvider, original_node).start.line
        plan = self.plans.get(line)
        call = updated_node.decorator
        if plan is None or not isinstance(call, cst.Call):
            return updated_node
        self.done.add(line)
        if plan.alone:
            return cst.RemoveFromParent()
        if plan.ddt:
            args = [call.args[i] for i in plan.keep]
            kept = _unique([a.with_changes(value=_without(a.value, plan.column)) for a in args])
            kept[-1] = kept[-1].with_changes(comma=call.args[-1].comma)
            return updated_node.with_changes(decorator=call.with_changes(args=kept))
        names_arg, rows_arg = call.args[0], call.args[1]
        container = rows_arg.value
        assert isinstance(container, (cst.List, cst.Tuple))
        elements: list[cst.BaseElement] = [container.elements[i] for i in plan.keep]
        names = _names_without(names_arg.value, plan.column)
        single = names is not None and names[1] == 1
        rows = _unique([e.with_changes(value=_without(e.value, plan.column, single)) for e in elements])
        rows[-1] = rows[-1].with_changes(comma=container.elements[-1].comma)
        new_args = [
            names_arg.with_changes(value=names[0]) if names is not None else names_arg,
            rows_arg.with_changes(value=container.with_changes(elements=rows)),
            *call.args[2:],
        ]
        return updated_node.with_changes(decorator=call.with_changes(args=new_args))


def _unique(items: list[cst.CSTNodeT]) -> list[cst.CSTNodeT]:
    seen: set[str] = set()
    kept = []
    for item in items:
        code = cst.Module([]).code_for_node(item.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        if code not in seen:
            seen.add(code)
            kept.append(item)
    return kept


def _without(row: cst.BaseExpression, column: int | None, single: bool = False) -> cst.BaseExpression:
    """A row without its `column` element; with `single`, the one element left itself."""
    if column is None or not isinstance(row, (cst.Tuple, cst.List)):
        return row
    elements = [e for i, e in enumerate(row.elements) if i != column]
    if single and len(elements) == 1:
        return elements[0].value
    if elements:
        last = row.elements[-1].comma
        keep_comma = isinstance(row, cst.Tuple) and len(elements) == 1
        elements[-1] = elements[-1].with_changes(comma=cst.Comma() if keep_comma else last)
    return row.with_changes(elements=elements)


def _names_without(names: cst.BaseExpression, column: int | None) -> tuple[cst.BaseExpression, int] | None:
    """The argument names of a parametrize without the `column`th, and how many are left."""
    if column is None:
        return None
    if isinstance(names, cst.SimpleString):
        text = names.evaluated_value
        if not isinstance(text, str):
            return None
        parts = [p.strip() for p in text.split(",") if p.strip()]
        del parts[column]
        quote = names.quote
        return names.with_changes(value=f"{names.prefix}{quote}{','.join(parts)}{quote}"), len(parts)
    if isinstance(names, (cst.List, cst.Tuple)):
        elements = [e for i, e in enumerate(names.elements) if i != column]
        if elements:
            elements[-1] = elements[-1].with_changes(comma=names.elements[-1].comma)
        return names.with_changes(elements=elements), len(elements)
    return None


def narrow(path: str, tree: cst.Module, plans: Sequence[Narrowing], notes: list[Note]) -> cst.Module | None:
    """`tree` with `plans` applied (rows, then each parameter dropped and its reads folded as the
    kept value); None when one of them cannot be applied (the file is left as it was)."""
    from flaglint.engine.scan import parse
    from flaglint.fix.parameters import drop_parameter

    narrowed = cst.MetadataWrapper(tree).visit(_Narrow(plans))
    for plan in plans:
        rewrite = drop_parameter(path, narrowed, plan.test.rsplit(".", 1)[-1], plan.parameter, repr(plan.value))
        if not rewrite.changed:
            notes.extend(rewrite.notes)
            return None
        again = parse(path, rewrite.code or rewrite.tree.code)
        if not isinstance(again, cst.Module):
            return None
        narrowed = again
    return narrowed
