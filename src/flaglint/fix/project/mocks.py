"""Tests that mock the function answering a retired flag's checks.

`mock.patch("waffle.flag_is_active", return_value=False)`, `patch.object(waffle,
"flag_is_active", ...)`, `mocker.patch(...)` and `monkeypatch.setattr(..., lambda *a: False)` make
every check through that function answer one value. Once the checks are gone, such a test may
assert behaviour the code no longer has. Every one is listed for review (but one that answers
what the retired checks now say); a test that makes the
function answer the retired flag's discarded value and names that flag (its key or a constant of
its key) and no other flag tests only the discarded path: it goes with `--unsafe-fixes`, like a
test that pins the flag to its discarded value. A mock that answers what the checks now say, in a
module whose rewrite no longer calls the function, patches nothing the code uses: its statement
goes, or (a decorator) the decorator with the parameter it fills and the statements that set its
answer (then the import it held goes too).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import libcst as cst

from flaglint.engine.mentions import quiet_parse
from flaglint.fix.base import Note, is_test_file
from flaglint.fix.imports import drop_new_unused_imports
from flaglint.fix.project.narrow_mocks import Narrowing, narrow, narrowings
from flaglint.fix.project.patch_decorators import DropPatchDecorators, PatchDecorator, patch_decorators
from flaglint.fix.project.patchers import patched_module, patcher, target, test_functions
from flaglint.fix.texts import Texts
from flaglint.model import Problem

_ANSWERS = ("return_value", "new", "side_effect")


@dataclass(frozen=True)
class Mock:
    """A mock of a check function in a test file: where, which function, the test it belongs to
    (`test_x` or `TestX.test_x`; None outside a test), and the constant it makes the function
    answer (None when it is not one constant)."""

    path: str
    line: int
    function: str
    test: str | None
    answer: bool | None
    test_line: int = 0
    module: str | None = None  # where a dotted target patches it (`"app.views.is_active"`: app.views)
    decorator: PatchDecorator | None = None  # a patch given as a decorator, and what goes with it


def find_mocks(
    files: Iterable[tuple[str, str]], functions: AbstractSet[str]
) -> list[tuple[Mock, ast.FunctionDef | ast.AsyncFunctionDef | None]]:
    """Every mock of one of `functions` in the test files among `files` ((file, text)), with the
    test function that holds it (its decorators count as its own)."""
    found: list[tuple[Mock, ast.FunctionDef | ast.AsyncFunctionDef | None]] = []
    for rel, text in files:
        if not is_test_file(rel) or not any(name in text for name in functions):
            continue
        tree = quiet_parse(text)
        if tree is None:
            continue
        tests = {name: test for name, test, _ in test_functions(tree)}
        calls = {
            id(node): function
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and patcher(node.func) is not None
            and (function := target(node, functions)) is not None
        }
        decorators = {d.line: d for d in patch_decorators(tree, calls)} if calls else {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) not in calls:
                continue
            test = next(((name, t) for name, t in tests.items() if _inside(node, t)), None)
            first = min([test[1].lineno, *(d.lineno for d in test[1].decorator_list)]) if test else 0
            decorator = decorators.get(node.lineno)
            answer = _answer(node) if decorator is None else decorator.answer
            mock = Mock(
                rel, node.lineno, calls[id(node)], test and test[0], answer, first, patched_module(node), decorator
            )
            found.append((mock, test and test[1]))
    return found


def _inside(node: ast.AST, test: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = min([test.lineno, *(d.lineno for d in test.decorator_list)])
    return first <= getattr(node, "lineno", 0) <= (test.end_lineno or test.lineno)


def _answer(call: ast.Call) -> bool | None:
    """The one boolean the mock makes the function answer: `return_value=False`, or a replacement
    (`new=`, `side_effect=` or the last positional argument of `setattr`) that is a lambda
    returning a boolean literal. None for anything else (a key-dependent answer, a MagicMock)."""
    given: list[ast.expr] = [k.value for k in call.keywords if k.arg in _ANSWERS]
    named = bool(call.args) and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    position = 1 if named else 2  # patch("m.f", new) / setattr("m.f", new); patch.object(m, "f", new)
    if len(call.args) > position:
        given.append(call.args[position])
    answers = set()
    for value in given:
        if isinstance(value, ast.Lambda):
            value = value.body
        if not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
            return None
        answers.add(value.value)
    return answers.pop() if len(answers) == 1 else None


def _names(test: ast.AST) -> tuple[set[str], set[str]]:
    """The strings and the identifiers (names, attribute names) a test spells."""
    strings: set[str] = set()
    words: set[str] = set()
    for node in ast.walk(test):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add(node.value)
        elif isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
    return strings, words


@dataclass(frozen=True)
class Flagged:
    """What the pass knows of the flags: per retired key the answer its checks now give (None for a
    value flag) and the constants that spell it; every other key the project checks."""

    kept: Mapping[str, bool | None]
    spellings: Mapping[str, AbstractSet[str]]
    others: AbstractSet[str]


def _doomed(test: ast.FunctionDef | ast.AsyncFunctionDef, mock: Mock, flagged: Flagged) -> str | None:
    """The retired key a mocked test exercises only in its discarded state, or None: the mock
    answers the discarded value, and the test names that flag (its key as a string, a constant of
    it, or its own name spells the key: `test_old_banner_off` for 'old-banner') and no other."""
    if mock.answer is None:
        return None
    strings, words = _names(test)
    if strings & set(flagged.others):
        return None  # it names another flag too: it tests more than the discarded path
    for key, kept in flagged.kept.items():
        if kept is None or mock.answer == kept:
            continue
        spelt = re.sub(r"\W+", "_", key.lower()).strip("_")
        titled = bool(spelt) and re.search(rf"(?:^|_){re.escape(spelt)}(?:_|$)", test.name.lower()) is not None
        if titled or key in strings or words & set(flagged.spellings.get(key, ())):
            return key
    return None


def tests_mocking_checks(
    texts: Texts,
    functions: AbstractSet[str],
    flagged: Flagged,
    unsafe: bool,
    notes: list[Note],
    elsewhere: Mapping[str, str],
    rewritten: Mapping[str, str],
) -> set[str]:
    """List every test that mocks one of `functions`; remove (unsafe) or offer to remove those
    that exercise only a retired flag's discarded state. Returns the files it changed. A mock
    patched in one of the modules `elsewhere` (module -> file: the project's modules that hold
    none of the retired checks) answers other flags' checks only, and is left out, unless that
    module defines the function (then every caller gets the mock). A mock of the answer the
    checks now give, patched in one of the modules `rewritten` (module -> file) that no longer
    calls the function, goes (a statement of its own: `mocker.patch("m.f", return_value=True)`)."""
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import remove_definitions

    if not functions:
        return set()
    doomed: dict[str, dict[str, tuple[Mock, str]]] = {}
    reasons: dict[tuple[str, str], str] = {}  # (file, test) -> why it goes, when not its answer
    dead: dict[str, list[Mock]] = {}
    calls = functools.cache(functools.partial(_calls, texts))  # (file, function): each file read once

    def uncalled(module: str | None, function: str) -> bool:
        home = rewritten.get(module or "")
        return home is not None and not calls(home, function)

    narrowed = _narrowed_tests(texts, frozenset(functions), flagged, uncalled, unsafe, notes)
    for mock, test in find_mocks(((rel, text) for rel, text, _ in texts.everywhere(sorted(functions))), functions):
        split = _split_patch(mock, flagged, uncalled(mock.module, mock.function))
        if split is not None:
            kept_patch, discarded = split
            retired = next(iter(flagged.kept))
            for method, line, why in discarded:
                entry = dataclasses.replace(mock, test=method, test_line=line, answer=not kept_patch.answer)
                doomed.setdefault(mock.path, {}).setdefault(method, (entry, retired))
                if why:
                    reasons[(mock.path, method)] = why
            if unsafe and kept_patch.injected:  # with those tests gone, it answers the kept value to the rest
                dead.setdefault(mock.path, []).append(
                    dataclasses.replace(mock, decorator=kept_patch, answer=kept_patch.answer)
                )
            continue
        if mock.answer is not None and all(mock.answer == kept for kept in flagged.kept.values()):
            if uncalled(mock.module, mock.function):
                dead.setdefault(mock.path, []).append(mock)
            continue  # it makes the function answer what the checks now say: it tests what the code does
        if (
            mock.module is not None
            and mock.module in elsewhere
            and not _defines(texts, elsewhere[mock.module], mock.function)
        ):
            continue  # patched where no retired check is: it answers other flags
        key = _doomed(test, mock, flagged) if test is not None and mock.test is not None else None
        if key is None or mock.test is None:
            message = f"this test mocks `{mock.function}`, which answered the retired flag: check what it still tests"
            notes.append(Note(mock.path, mock.line, None, "review", message))
            continue
        doomed.setdefault(mock.path, {}).setdefault(mock.test, (mock, key))
    changed = narrowed | _without_dead_mocks(texts, dead, notes)
    for rel, tests in sorted(doomed.items()):
        whys = {name: reasons.get((rel, name)) or _why(mock, key, flagged) for name, (mock, key) in tests.items()}
        found = texts.text(rel)
        tree = parse(rel, found[0]) if unsafe and not isinstance(found, Problem) else None
        if not isinstance(tree, cst.Module) or isinstance(found, Problem):
            for name, (mock, key) in sorted(tests.items()):
                message = f"would remove `{name}` (--unsafe-fixes): {whys[name]}"
                notes.append(Note(rel, mock.test_line, key, "unsafe-skipped", message))
            continue
        new, removed = remove_definitions(tree, sorted(tests), imports=True)
        for name in removed:
            mock, key = tests[name]
            notes.append(Note(rel, mock.test_line, key, "unsafe-applied", f"removed `{name}`: {whys[name]}"))
        if removed:
            texts.edits[rel] = (new.code, found[1])
            changed.add(rel)
    return changed


def _split_patch(
    mock: Mock, flagged: Flagged, uncalled: bool
) -> tuple[PatchDecorator, list[tuple[str, int, str]]] | None:
    """A patch decorator whose tests use its mock differently, in a module that no longer calls
    the function: the patch as it reaches the tests that make it answer the kept value, and the
    tests (name, line, why) that test only the retired path: they make it answer the discarded
    value, or assert that the check is made. None when a test's answer is not one boolean."""
    patch = mock.decorator
    answers = set(flagged.kept.values())
    if patch is None or patch.answer is not None or not patch.per_test or not uncalled:
        return None
    if len(answers) != 1 or None in answers:
        return None
    kept = bool(answers.pop())
    staying: set[str] = set()
    going: list[tuple[str, int, str]] = []
    for name, line, answer, asserts in patch.per_test:
        if asserts:
            going.append((name, line, f"it asserts that `{mock.function}`, which answered the retired flag, is called"))
        elif answer is None:
            return None
        elif answer == kept:
            staying.add(name)
        else:
            going.append((name, line, ""))
    injected = tuple(i for i in patch.injected if i.test in staying)
    return dataclasses.replace(patch, injected=injected, answer=kept, per_test=()), going


def _narrowed_tests(
    texts: Texts,
    functions: frozenset[str],
    flagged: Flagged,
    uncalled: Callable[[str | None, str], bool],
    unsafe: bool,
    notes: list[Note],
) -> set[str]:
    """Narrow the tests parametrized over the answer of a mock that patches nothing any more
    (unsafe: their rows of the discarded answer go), or say they would be; the files changed."""
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import remove_definitions

    answers = set(flagged.kept.values())
    if len(answers) != 1 or None in answers:
        return set()
    value = bool(answers.pop())
    key = next(iter(flagged.kept)) if len(flagged.kept) == 1 else None
    changed: set[str] = set()
    for rel, text, _ in texts.everywhere(sorted(functions)):
        if not is_test_file(rel) or "return_value" not in text:
            continue
        tree = quiet_parse(text)
        plans = list(narrowings(tree, functions, uncalled, value)) if tree is not None else []
        if not plans:
            continue
        if not unsafe:
            for plan in plans:
                why = f"would narrow `{plan.test}` to the kept answer (--unsafe-fixes): {_narrow_why(plan)}"
                notes.append(Note(rel, plan.line, key, "unsafe-skipped", why))
            continue
        found = texts.text(rel)
        module = parse(rel, text)
        if isinstance(found, Problem) or not isinstance(module, cst.Module):
            continue
        whole = sorted(plan.test for plan in plans if not plan.keep)
        rows = [plan for plan in plans if plan.keep]
        new = narrow(rel, module, rows, notes) if rows else module
        if new is None:
            continue
        new, removed = remove_definitions(new, whole, imports=True) if whole else (new, [])
        for plan in plans:
            if plan.keep or plan.test in removed:
                action = f"narrowed `{plan.test}`" if plan.keep else f"removed `{plan.test}`"
                notes.append(Note(rel, plan.line, key, "unsafe-applied", f"{action}: {_narrow_why(plan)}"))
        texts.edits[rel] = (new.code, found[1])
        changed.add(rel)
    return changed


def _narrow_why(plan: Narrowing) -> str:
    if not plan.keep:
        return f"every row makes its mock answer the discarded value through `{plan.parameter}`"
    return f"its rows that make the mock answer the discarded value go, and `{plan.parameter}` is {plan.value}"


def _calls(texts: Texts, rel: str, function: str) -> bool:
    """Whether the module (as rewritten) reads `function` anywhere: an import, or the fallback an
    optional import binds (`except ImportError: is_enabled = None`), is no read (a file that
    cannot be read or parsed is taken to)."""
    found = texts.text(rel)
    tree = None if isinstance(found, Problem) or function not in found[0] else quiet_parse(found[0])
    if tree is None:
        return isinstance(found, Problem) or function in found[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == function and not isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.Attribute) and node.attr == function:
            return True
    return False


class _DropMocks(DropPatchDecorators):
    """Remove the patch decorators (with what goes with them), and the simple statements that
    start on `lines` and are one call of a patcher, in one visit (so positions are the file's)."""

    def __init__(
        self,
        lines: AbstractSet[int],
        decorators: AbstractSet[int],
        parameters: Mapping[str, AbstractSet[str]],
        settings: AbstractSet[int],
    ) -> None:
        super().__init__(decorators, parameters, settings)
        self.mock_lines = lines

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        line = self._line(original_node)
        body = original_node.body
        if line not in self.mock_lines or len(body) != 1 or not isinstance(body[0], cst.Expr):
            return super().leave_SimpleStatementLine(original_node, updated_node)
        call = body[0].value
        func = call.func if isinstance(call, cst.Call) else None
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name not in ("patch", "setattr", "object"):  # the patcher's own call, nothing wrapping it
            return updated_node
        self.removed.append(line)
        return cst.RemoveFromParent()


def _without_dead_mocks(texts: Texts, dead: Mapping[str, list[Mock]], notes: list[Note]) -> set[str]:
    """Remove the mocks in `dead` (file -> mocks) that are statements of their own; the files changed."""
    from flaglint.engine.scan import parse

    changed: set[str] = set()
    for rel, mocks in sorted(dead.items()):
        found = texts.text(rel)
        tree = None if isinstance(found, Problem) else parse(rel, found[0])
        if not isinstance(tree, cst.Module) or isinstance(found, Problem):
            continue
        decorated = [mock.decorator for mock in mocks if mock.decorator is not None]
        parameters: dict[str, set[str]] = {}
        for decorator in decorated:
            for injected in decorator.injected:
                parameters.setdefault(injected.test, set()).add(injected.parameter)
        settings = {line for d in decorated for injected in d.injected for line in injected.settings}
        statements = {mock.line for mock in mocks if mock.decorator is None}
        dropper = _DropMocks(statements, {d.line for d in decorated}, parameters, settings)
        new = cst.MetadataWrapper(tree, unsafe_skip_copy=True).visit(dropper)
        if decorated and dropper.removed:  # `from unittest import mock` may serve no patch now
            new = drop_new_unused_imports(tree.code, new, new.code)
        for mock in mocks:
            if mock.line in dropper.removed:
                where = mock.module or "its module"
                message = f"removed a mock of `{mock.function}` answering {mock.answer}: `{where}` no longer calls it"
                notes.append(Note(rel, mock.line, None, "mock", message))
        if dropper.removed:
            texts.edits[rel] = (new.code, found[1])
            changed.add(rel)
    return changed


def _defines(texts: Texts, rel: str, function: str) -> bool:
    """Whether the file defines `function` (a file that cannot be read is taken to)."""
    found = texts.text(rel)
    if isinstance(found, Problem):
        return True
    return re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(function)}\b", found[0], re.M) is not None


def _why(mock: Mock, key: str, flagged: Flagged) -> str:
    state = "on" if not flagged.kept[key] else "off"
    return f"it mocks `{mock.function}` to answer {mock.answer}: it tests flag {key!r} {state}, a state retired"


def flagged(values: Mapping[str, str | None], symbols: Iterable[tuple[str, str]], keys: Sequence[str]) -> Flagged:
    """The `Flagged` of a retirement: `values` (key -> literal or None for off), `symbols` (key,
    constant) of the checks, and every key the project checks."""
    kept: dict[str, bool | None] = {}
    for key, literal in values.items():
        kept[key] = False if literal is None else {"True": True, "False": False}.get(literal.strip())
    spellings: dict[str, set[str]] = {}
    for key, symbol in symbols:
        spellings.setdefault(key, set()).add(symbol.rsplit(".", 1)[-1])
    return Flagged(kept, spellings, frozenset(keys) - set(values))
