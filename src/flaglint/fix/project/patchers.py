"""How a test spells a mock of a function: the patcher calls (`mock.patch`, `patch.object`,
`mocker.patch`, `monkeypatch.setattr`), what they replace and where, and the tests that hold them.
Shared by the mocks pass, the patch decorators and the narrowing of parametrized tests."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

PATCHERS = frozenset({"patch", "patch.object", "setattr"})  # mock.patch, mocker.patch, monkeypatch.setattr

Test = ast.FunctionDef | ast.AsyncFunctionDef


def patcher(func: ast.expr) -> str | None:
    """The patcher a call's function spells (`patch`, `patch.object`, `setattr`), or None."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    if not parts:
        return None  # `make()(...)`: nothing a patcher is spelt as
    name = ".".join(reversed(parts[:2]))
    return name if name in PATCHERS or parts[0] in PATCHERS else None


def target(call: ast.Call, functions: AbstractSet[str]) -> str | None:
    """The function a patcher call replaces, when it is one of `functions`: the last part of a
    dotted string (`"waffle.flag_is_active"`) or the attribute name (`patch.object(waffle, "f")`)."""
    strings = [a.value for a in call.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return next((s.rsplit(".", 1)[-1] for s in strings if s.rsplit(".", 1)[-1] in functions), None)


def patched_module(call: ast.Call) -> str | None:
    """The module a dotted patch target replaces the function in (`patch("app.views.is_active")`)."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and "." in first.value:
        return first.value.rsplit(".", 1)[0]
    return None


def test_functions(tree: ast.Module) -> Iterator[tuple[str, Test, ast.ClassDef | None]]:
    """The module's test functions and its classes' test methods: (qualified name, test, class)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node.name, node, None
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and member.name.startswith("test"):
                    yield f"{node.name}.{member.name}", member, node


def positional(test: Test, method: bool) -> list[str]:
    """The names a test takes by position (without `self` for a method)."""
    names = [a.arg for a in (*test.args.posonlyargs, *test.args.args)]
    return names[1:] if method else names
