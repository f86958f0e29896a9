"""Mocks given as decorators: `@mock.patch("app.views.is_active")` on a test, or on a test class
(then on each of its test methods), hands the test one more argument, the mock.

Where it goes is fixed by `unittest.mock` and the runner: the mocks of one test come in the order
their patches were applied (the bottom decorator first, a class's patches last) after the
arguments the test was called with. A `unittest.TestCase` method is called with `self` (and a
data-driven decorator's values), so its mocks are its last parameters; pytest passes fixtures by
keyword, so a test function's (or a plain test class's) mocks are its first parameters. A class
whose bases do not say which (no `...TestCase` among them) is left alone unless both conventions
pick the same parameters.

A patch that makes the function answer what the retired checks now say, where the module no longer
calls the function, patches nothing: the decorator goes, with its parameter and the statements
that only set the mock's answer (`mock_f.return_value = True`). Any other use of the parameter (an
assertion on the calls) keeps it all.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from flaglint.fix.base import PadEmptyBlocks
from flaglint.fix.project.patchers import positional

_ANSWER_KEYWORDS = ("return_value", "new", "side_effect")


@dataclass(frozen=True)
class Injected:
    """What removing one patch decorator takes from one test: its parameter and the lines of the
    statements that set its answer."""

    test: str  # qualified: `test_x`, `TestX.test_y`
    parameter: str
    settings: tuple[int, ...]


@dataclass(frozen=True)
class PatchDecorator:
    """A patch decorator (its line) and, per test it reaches, what goes with it; `answer` is the
    one boolean the mock answers (its `return_value=`, or every setting in the tests), else None."""

    line: int
    owner: str  # the function or class it decorates
    injected: tuple[Injected, ...]
    answer: bool | None
    # per test it reaches (name, first line): the one boolean it makes the mock answer, and whether
    # the test asserts the mock was called (it tests that the check is made)
    per_test: tuple[tuple[str, int, bool | None, bool], ...] = ()


def _patches(decorators: Sequence[ast.expr], is_patch: frozenset[int]) -> list[ast.Call]:
    """The decorators that hand the test a mock, bottom first (the order they are applied)."""
    return [d for d in reversed(decorators) if isinstance(d, ast.Call) and id(d) in is_patch and _injects(d)]


def _injects(call: ast.Call) -> bool:
    """A patch with a replacement given (`new`, or `patch("m.f", value)`) hands no argument."""
    if any(k.arg == "new" for k in call.keywords):
        return False
    named = bool(call.args) and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    return len(call.args) <= (1 if named else 2)


def _literal(value: ast.expr) -> bool | None:
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, bool) else None


_CALL_ASSERTIONS = frozenset(
    {"assert_called", "assert_called_once", "assert_called_with", "assert_called_once_with", "assert_any_call"}
)


def _settings(
    test: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str
) -> tuple[list[int], set[bool | None], bool] | None:
    """The lines of `parameter.return_value = <value>` statements in the test, the answers they
    set, and whether the test asserts the mock was called (`mock.assert_called_once_with(...)`:
    it tests that the check is made); None when the test uses the parameter any other way."""
    lines: list[int] = []
    answers: set[bool | None] = set()
    allowed: set[int] = set()
    asserts = False
    for node in ast.walk(test):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "return_value"
                and isinstance(target.value, ast.Name)
                and target.value.id == parameter
            ):
                lines.append(node.lineno)
                answers.add(_literal(node.value))
                allowed.add(id(target.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _CALL_ASSERTIONS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == parameter
        ):
            asserts = True
            allowed.add(id(node.func.value))
    for node in ast.walk(test):
        if isinstance(node, ast.Name) and node.id == parameter and id(node) not in allowed:
            return None
    return lines, answers, asserts


def patch_decorators(tree: ast.Module, patch_calls: Mapping[int, str]) -> Iterator[PatchDecorator]:
    """Every patch decorator among `patch_calls` (id of the call -> the function it replaces) on a
    test function or test class of `tree`, with what goes with it. A decorator whose parameter
    cannot be told, or is used beyond setting its answer, is not given."""
    is_patch = frozenset(patch_calls)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield from _on_test(node, node.name, [], is_patch, unittest=False)
        elif isinstance(node, ast.ClassDef):  # a class patch reaches its `test*` methods, whatever its name
            unittest = runner_of(node)
            outer = _patches(node.decorator_list, is_patch)
            methods = [
                m
                for m in node.body
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name.startswith("test")
            ]
            for method in methods:
                yield from _on_test(method, f"{node.name}.{method.name}", outer, is_patch, unittest=unittest)
            yield from _on_class(node, outer, methods, is_patch, unittest)


def mock_parameters(
    test: ast.FunctionDef | ast.AsyncFunctionDef,
    owner_decorators: Sequence[ast.expr],
    is_patch: frozenset[int],
    unittest: bool | None,
) -> dict[int, str] | None:
    """Per patch decorator (among `is_patch`, ids of calls) reaching `test`, from its own
    decorators and its class's, the parameter its mock fills."""
    return _mock_parameters(test, _patches(owner_decorators, is_patch), is_patch, unittest)


def runner_of(cls: ast.ClassDef) -> bool | None:
    """Whether a test class's methods are called the unittest way (True: a `...TestCase` or
    `...Case` base), the pytest way (False: no base but `object`), or cannot be told (None)."""
    bases = [b for b in cls.bases if not (isinstance(b, ast.Name) and b.id == "object")]
    if not bases:
        return False
    names = [b.attr if isinstance(b, ast.Attribute) else b.id if isinstance(b, ast.Name) else "" for b in bases]
    return True if any(name.endswith("Case") for name in names) else None


def _mock_parameters(
    test: ast.FunctionDef | ast.AsyncFunctionDef,
    outer: Sequence[ast.Call],
    is_patch: frozenset[int],
    unittest: bool | None,
) -> dict[int, str] | None:
    """Per patch decorator reaching `test` (its own, then its class's), the parameter its mock
    fills; None when that cannot be told (the runner unknown and the two conventions disagree)."""
    patches = [*_patches(test.decorator_list, is_patch), *outer]
    names = positional(test, method=bool(outer) or bool(unittest) or _is_method(test))
    if len(names) < len(patches):
        return None
    last, first = names[len(names) - len(patches) :], names[: len(patches)]
    if unittest is None and last != first:
        return None
    chosen = last if unittest else first
    return {id(call): name for call, name in zip(patches, chosen, strict=True)}


def _is_method(test: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    given = [*test.args.posonlyargs, *test.args.args]
    return bool(given) and given[0].arg in ("self", "cls")


def _decorator(call: ast.Call, owner: str, injected: list[Injected], answers: set[bool | None]) -> PatchDecorator:
    given = {_literal(k.value) for k in call.keywords if k.arg in _ANSWER_KEYWORDS}
    every = given | answers
    answer = every.pop() if len(every) == 1 else None
    return PatchDecorator(call.lineno, owner, tuple(injected), answer)


def _on_test(
    test: ast.FunctionDef | ast.AsyncFunctionDef,
    name: str,
    outer: Sequence[ast.Call],
    is_patch: frozenset[int],
    unittest: bool | None,
) -> Iterator[PatchDecorator]:
    own = [d for d in test.decorator_list if isinstance(d, ast.Call) and id(d) in is_patch]
    if not own:
        return
    parameters = _mock_parameters(test, outer, is_patch, unittest) or {}
    for call in own:
        if not _injects(call):
            continue  # `new=` given: nothing handed to the test, nothing set in it
        parameter = parameters.get(id(call))
        found = _settings(test, parameter) if parameter is not None else None
        if parameter is None or found is None:
            continue
        lines, answers, asserts = found
        first = min([test.lineno, *(d.lineno for d in test.decorator_list)])
        patch = _decorator(call, name, [Injected(name, parameter, tuple(lines))], answers)
        if asserts:  # the mock is more than its answer: never a dead patch as it stands
            patch = dataclasses.replace(patch, answer=None)
        yield dataclasses.replace(patch, per_test=((name, first, patch.answer, asserts),))


def _on_class(
    cls: ast.ClassDef,
    outer: Sequence[ast.Call],
    methods: Sequence[ast.FunctionDef | ast.AsyncFunctionDef],
    is_patch: frozenset[int],
    unittest: bool | None,
) -> Iterator[PatchDecorator]:
    for call in outer:
        given = {_literal(k.value) for k in call.keywords if k.arg in _ANSWER_KEYWORDS}
        injected: list[Injected] = []
        answers: set[bool | None] = set()
        per_test: list[tuple[str, int, bool | None, bool]] = []
        for method in methods:
            parameter = (_mock_parameters(method, outer, is_patch, unittest) or {}).get(id(call))
            found = _settings(method, parameter) if parameter is not None else None
            if parameter is None or found is None:
                break
            name = f"{cls.name}.{method.name}"
            injected.append(Injected(name, parameter, tuple(found[0])))
            answers |= found[1]
            own = found[1] or given  # a test that sets the answer overrides the class's
            first = min([method.lineno, *(d.lineno for d in method.decorator_list)])
            per_test.append((name, first, next(iter(own)) if len(own) == 1 else None, found[2]))
        else:
            patch = _decorator(call, cls.name, injected, answers)
            if any(asserts for *_, asserts in per_test):
                patch = dataclasses.replace(patch, answer=None)
            yield dataclasses.replace(patch, per_test=tuple(per_test))


class DropPatchDecorators(PadEmptyBlocks):
    """Remove the decorators starting on `lines`, the parameters `parameters` names (qualified
    test -> parameter names) and the simple statements starting on `statements`."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self, lines: AbstractSet[int], parameters: Mapping[str, AbstractSet[str]], statements: AbstractSet[int]
    ):
        super().__init__()
        self.lines = lines
        self.parameters = parameters
        self.statements = statements
        self.prefix: list[str] = []
        self.removed: list[int] = []

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.prefix.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.prefix.pop()
        return updated_node.with_changes(decorators=self._kept(original_node.decorators, updated_node.decorators))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.prefix.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        qualified = ".".join(self.prefix)
        self.prefix.pop()
        decorators = self._kept(original_node.decorators, updated_node.decorators)
        dropped = self.parameters.get(qualified, frozenset())
        params = updated_node.params
        if dropped:
            kept = [p for p in params.params if p.name.value not in dropped]
            kept_posonly = [p for p in params.posonly_params if p.name.value not in dropped]
            last_kept = kept or kept_posonly
            more = isinstance(params.star_arg, (cst.Param, cst.ParamStar)) or params.kwonly_params or params.star_kwarg
            if last_kept and not more and isinstance(last_kept[-1].comma, cst.Comma):
                last_kept[-1] = last_kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            params = params.with_changes(params=kept, posonly_params=kept_posonly)
        return updated_node.with_changes(decorators=decorators, params=params)

    def _kept(self, original: Sequence[cst.Decorator], updated: Sequence[cst.Decorator]) -> list[cst.Decorator]:
        kept = []
        for old, new in zip(original, updated, strict=True):
            line = self._line(old)
            if line in self.lines:
                self.removed.append(line)
            else:
                kept.append(new)
        return kept

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if self._line(original_node) in self.statements and len(original_node.body) == 1:
            return cst.RemoveFromParent()
        return updated_node
