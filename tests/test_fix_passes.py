"""The passes of a file's rewrite that run on their own, each a table of (before, after) pairs.

The retire pass is shown by the fixtures under fixtures/clean/; the passes below follow it in
`cascade.REWRITE` and take the module as the fold left it (`folded`), judged against the module
as it was (`before`).
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from flaglint.fix.cascade import AFTER_SUBSTITUTION, REWRITE
from flaglint.fix.dataflow import DropUnreadLocals, newly_unread_locals, scope_changes
from flaglint.fix.imports import drop_new_unused_imports
from flaglint.fix.reduce import positions_of

UNUSED_IMPORTS = [
    pytest.param(
        "import waffle\nimport os\n\n\ndef f(r):\n    if waffle.flag_is_active(r, 'k'):\n        return os.sep\n",
        "import waffle\nimport os\n\n\ndef f(r):\n    return os.sep\n",
        "import os\n\n\ndef f(r):\n    return os.sep\n",
        id="an-import-the-fold-left-unused-goes",
    ),
    pytest.param(
        "import json\nimport waffle\n\n\ndef f(r):\n    return waffle.flag_is_active(r, 'k')\n",
        "import json\nimport waffle\n\n\ndef f(r):\n    return True\n",
        "import json\n\n\ndef f(r):\n    return True\n",
        id="an-import-unused-before-stays",
    ),
    pytest.param(
        "from app import flags\n\n\ndef f():\n    '''Uses flags.NEW.'''\n    return flags.NEW\n",
        "from app import flags\n\n\ndef f():\n    '''Uses flags.NEW.'''\n    return 1\n",
        "def f():\n    '''Uses flags.NEW.'''\n    return 1\n",
        id="a-docstring-is-no-use",
    ),
]


@pytest.mark.parametrize(("before", "folded", "after"), UNUSED_IMPORTS)
def test_unused_imports_pass(before: str, folded: str, after: str) -> None:
    assert drop_new_unused_imports(before, cst.parse_module(folded), folded).code == after


UNREAD_LOCALS = [
    pytest.param(
        "def f(r):\n    p = load(r)\n    if flag:\n        return p\n    return 0\n",
        "def f(r):\n    p = load(r)\n    return 0\n",
        "def f(r):\n    load(r)\n    return 0\n",
        id="a-call-stays-as-a-statement",
    ),
    pytest.param(
        "def f(r):\n    p = r.user\n    if flag:\n        return p\n    return 0\n",
        "def f(r):\n    p = r.user\n    return 0\n",
        "def f(r):\n    return 0\n",
        id="a-pure-value-goes",
    ),
    pytest.param(
        "def f(r):\n    p = r.user\n    if flag:\n        return locals()\n    return p\n",
        "def f(r):\n    p = r.user\n    return p\n",
        "def f(r):\n    p = r.user\n    return p\n",
        id="a-local-still-read-stays",
    ),
]


@pytest.mark.parametrize(("before", "folded", "after"), UNREAD_LOCALS)
def test_unread_locals_pass(before: str, folded: str, after: str) -> None:
    old, new = cst.parse_module(before), cst.parse_module(folded)
    unread = newly_unread_locals(old, new, before, folded)
    result = new.visit(DropUnreadLocals(unread)) if unread else new
    assert result.code == after


SCOPES = [
    pytest.param(
        "x = 1\n\n\ndef f():\n    if flag:\n        x = 2\n    return x\n",
        "x = 1\n\n\ndef f():\n    return x\n",
        ["`x` in `f`"],
        id="the-last-binding-of-a-local-goes",
    ),
    pytest.param(
        "def f():\n    x = 1\n    if flag:\n        x = 2\n    return x\n",
        "def f():\n    x = 1\n    return x\n",
        [],
        id="another-binding-stays",
    ),
]


@pytest.mark.parametrize(("before", "folded", "changes"), SCOPES)
def test_scope_check_pass(before: str, folded: str, changes: list[str]) -> None:
    assert scope_changes(cst.parse_module(before), cst.parse_module(folded)) == changes


def test_the_cascades_are_declared_in_order() -> None:
    # The order is data: the first pass of a rewrite substitutes and folds, unused imports go
    # last, and what follows another pass's substitution folds before it checks scopes.
    assert REWRITE[0].name.startswith("retire")
    assert REWRITE[-1].name == "unused imports"
    assert [p.name for p in AFTER_SUBSTITUTION] == ["fold", "scope check", "unused imports"]


MOCKS = [
    pytest.param(
        '@mock.patch("waffle.flag_is_active", return_value=False)\ndef test_a(m): ...', False, id="patch-return-value"
    ),
    pytest.param(
        '@patch.object(waffle, "flag_is_active", return_value=True)\ndef test_a(m): ...', True, id="patch-object"
    ),
    pytest.param(
        'def test_a():\n    with mock.patch("w.flag_is_active", new=lambda *a: False): ...', False, id="new-lambda"
    ),
    pytest.param(
        'def test_a(mocker):\n    mocker.patch("w.flag_is_active", side_effect=lambda r, k: True)', True, id="mocker"
    ),
    pytest.param(
        'def test_a(monkeypatch):\n    monkeypatch.setattr(waffle, "flag_is_active", lambda *a: False)',
        False,
        id="setattr-object",
    ),
    pytest.param(
        'def test_a(monkeypatch):\n    monkeypatch.setattr("w.flag_is_active", lambda *a: True)',
        True,
        id="setattr-dotted",
    ),
    pytest.param(
        '@mock.patch("waffle.flag_is_active")\ndef test_a(active): ...', None, id="a-magic-mock-answers-nothing-fixed"
    ),
    pytest.param(
        'def test_a(mocker):\n    mocker.patch("w.flag_is_active", side_effect=lambda r, k: k == "x")',
        None,
        id="by-key",
    ),
]


@pytest.mark.parametrize(("source", "answer"), MOCKS)
def test_mocks_of_a_check_function_and_the_answer_they_fix(source: str, answer: bool | None) -> None:
    from flaglint.fix.project.mocks import find_mocks

    found = find_mocks([("tests/test_a.py", source)], {"flag_is_active"})
    assert [(m.function, m.test, m.answer) for m, _ in found] == [("flag_is_active", "test_a", answer)]


PATCHED = [
    pytest.param(
        "@mock.patch('m.flag_is_active')\ndef test_a(flag_mock, db):\n    flag_mock.return_value = True\n",
        "flag_mock",
        id="pytest-function-first",
    ),
    pytest.param(
        "class T(TestCase):\n    @ddt.data((1, 2))\n    @ddt.unpack\n"
        "    @mock.patch('m.flag_is_active')\n    def test_a(self, a, b, flag_mock):\n"
        "        flag_mock.return_value = True\n",
        "flag_mock",
        id="testcase-method-last",
    ),
    pytest.param(
        "class TestT(Helpers):\n    @mock.patch('m.flag_is_active')\n    def test_a(self, db, flag_mock):\n"
        "        flag_mock.return_value = True\n",
        None,
        id="unknown-runner-conventions-disagree",
    ),
    pytest.param(
        "class TestT(Helpers):\n    @mock.patch('m.flag_is_active')\n    def test_a(self, flag_mock):\n"
        "        flag_mock.return_value = True\n",
        "flag_mock",
        id="unknown-runner-conventions-agree",
    ),
]


@pytest.mark.parametrize(("source", "parameter"), PATCHED)
def test_the_parameter_a_patch_decorator_fills(source: str, parameter: str | None) -> None:
    """Where a decorator's mock lands follows unittest.mock and the runner; when the runner
    cannot be told and the two conventions pick different parameters, nothing is decided."""
    from flaglint.fix.project.mocks import find_mocks

    found = find_mocks([("tests/test_a.py", source)], {"flag_is_active"})
    decorator = found[0][0].decorator
    got = decorator.injected[0].parameter if decorator is not None else None
    assert got == parameter


FIXTURE_SOURCES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "clean").glob("*/*.py"))


@pytest.mark.parametrize("path", FIXTURE_SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_positions_of_a_statement_are_libcst_positions(path: Path) -> None:
    """The retire pass's positions (computed without LibCST's empty batched visit) are exactly
    what `MetadataWrapper.resolve(PositionProvider)` gives, node for node."""
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert dict(positions_of(module)) == dict(expected)


NARROWED = [
    pytest.param('@pytest.mark.parametrize("on", [True, False])\n', (0,), id="plain"),
    pytest.param('@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])\n', None, id="ids-would-mismatch"),
    pytest.param('@pytest.mark.parametrize("on", [True, False], indirect=True)\n', None, id="indirect-to-a-fixture"),
    pytest.param('@pytest.mark.parametrize("on", [True, pytest.param(False)])\n', None, id="a-row-not-a-literal"),
]


@pytest.mark.parametrize(("decorator", "keep"), NARROWED)
def test_which_parametrized_tests_are_narrowed(decorator: str, keep: tuple[int, ...] | None) -> None:
    """A test parametrized over a mock's answer is narrowed only when its rows are literals that
    nothing else (ids, fixtures) depends on."""
    import ast

    from flaglint.fix.project.narrow_mocks import narrowings

    source = decorator + 'def test_a(mocker, on):\n    mocker.patch("m.is_on", return_value=on)\n'
    found = list(narrowings(ast.parse(source), frozenset({"is_on"}), lambda module, function: True, True))
    assert [plan.keep for plan in found] == ([keep] if keep is not None else [])
