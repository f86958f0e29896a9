"""Flags declared in the project's own code (`[tool.flaglint.registry.code]`): read as a registry
source, so FL001 and FL008 work without a flag server; their removal by `clean` is in the
fixture cases (fixtures/clean/declared-*).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from flaglint.model import Problem
from flaglint.registry.code import declared_in

MODULE = textwrap.dedent(
    """\
    import enum


    def _(text):
        return text


    FEATURES = {
        "dark-mode": "Dark colour scheme",
        "new-search": _("Search with the new ranking"),
    }
    PENDING = ("old-one", "older-one")


    class Feature:
        NEW_CART = "new-cart"
        FAST_PAY = "fast-pay"
        FEATURES = (
            (NEW_CART, _("The new cart")),
            (FAST_PAY, "One-click payment"),
        )


    class Settings:
        superfast: bool
        retries: int = 3
        stats: bool = True


    class Flag(enum.Enum):
        BETA = "beta"
    """
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("FEATURES", [("dark-mode", 9, "Dark colour scheme"), ("new-search", 10, "Search with the new ranking")]),
        ("PENDING", [("old-one", 12, ""), ("older-one", 12, "")]),
        ("Feature.FEATURES", [("new-cart", 19, "The new cart"), ("fast-pay", 20, "One-click payment")]),
        ("Feature", [("new-cart", 16, ""), ("fast-pay", 17, "")]),
        ("Settings", [("superfast", 25, ""), ("stats", 27, "")]),
        ("Flag", [("beta", 31, "")]),
        ("Feature.NEW_CART", [("new-cart", 16, "")]),  # a constant declares its one key
    ],
)
def test_declared_flags_are_read(name: str, expected: list[tuple[str, int, str]]) -> None:
    found = declared_in(MODULE, name, "app/flags.py")
    assert not isinstance(found, Problem)
    assert [(d.key, d.line, d.description) for d in found] == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("MISSING", "app/flags.py:1: declares no 'MISSING'"),
        ("Settings.retries", "app/flags.py:26: 'Settings.retries' is not a dict, list, tuple, class or string"),
    ],
)
def test_a_declaration_that_is_not_there_is_one_line(name: str, message: str) -> None:
    found = declared_in(MODULE, name, "app/flags.py")
    assert isinstance(found, Problem)
    assert str(found).startswith(message)


def _flaglint(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flaglint", *args], cwd=root, capture_output=True, text=True, check=False
    )


# A project whose flags are declared in a dict, checked through `request.feature(KEY)`.
DECLARED = {
    "pyproject.toml": """
        [tool.flaglint]
        [tool.flaglint.registry.code]
        declarations = ["app/features.py:FEATURES"]

        [[tool.flaglint.patterns]]
        kind = "method"
        name = "feature"
        receiver = "request"
    """,
    "app/features.py": """
        FEATURES = {
            "dark-mode": "Dark colour scheme",
            "new-search": "Search with the new ranking",
        }
    """,
}


def test_declarations_are_the_registry_for_check(make_project: Callable[[dict[str, str]], Path]) -> None:
    root = make_project(
        {
            **DECLARED,
            "app/views.py": """
                def search(request):
                    if request.feature("new-serch"):
                        return "ranked"
                    return request.feature("dark-mode")
            """,
        }
    )
    done = _flaglint(root, "check", "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "app/features.py:4:1: FL008 flag 'new-search' has no reference in the code: safe to archive",
        "app/views.py:3:8: FL001 unknown flag 'new-serch': not in the registry; did you mean 'new-search'?",
    ]
    shown = _flaglint(root, "registry", "show", "new-search", "--format", "json")
    assert '"description": "Search with the new ranking"' in shown.stdout


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('declarations = "app/f.py:X"', "registry.code.declarations must list 'file.py:NAME' strings"),
        ('declarations = ["app/f.py"]', "'app/f.py' is not 'path/to/module.py:NAME'"),
        ('declarations = ["../outside.py:X"]', "'../outside.py:X' is not 'path/to/module.py:NAME'"),
        ('declarations = ["app/f.py:X"]\nextra = 1', "registry.code takes one setting, declarations"),
    ],
)
def test_bad_declaration_settings_are_one_line_and_exit_2(
    make_project: Callable[[dict[str, str]], Path], table: str, message: str
) -> None:
    root = make_project({"pyproject.toml": f"[tool.flaglint]\n[tool.flaglint.registry.code]\n{table}\n"})
    done = _flaglint(root, "check")
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_declared_module_is_one_line(make_project: Callable[[dict[str, str]], Path]) -> None:
    root = make_project(
        {"pyproject.toml": '[tool.flaglint]\n[tool.flaglint.registry.code]\ndeclarations = ["app/gone.py:FLAGS"]\n'}
    )
    done = _flaglint(root, "check")
    assert done.returncode == 2
    assert "app/gone.py: cannot read declared flags" in done.stderr
    assert "Traceback" not in done.stderr


def test_clean_removes_the_declaration_through_the_cli(make_project: Callable[[dict[str, str]], Path]) -> None:
    root = make_project(
        {
            **DECLARED,
            "app/views.py": """
                def search(request):
                    if request.feature("new-search"):
                        return "ranked"
                    return "plain"
            """,
        }
    )
    done = _flaglint(root, "clean", "--flag", "new-search=on", "--allow-dirty")
    assert done.returncode == 0, done.stderr
    assert (
        "Declarations removed:\n  app/features.py: removed the declaration of 'new-search' from FEATURES" in done.stderr
    )
    assert (root / "app" / "features.py").read_text() == '\nFEATURES = {\n    "dark-mode": "Dark colour scheme",\n}\n'
    assert (root / "app" / "views.py").read_text() == '\ndef search(request):\n    return "ranked"\n'
    assert _flaglint(root, "clean", "--flag", "new-search=on", "--allow-dirty", "--check").returncode == 0


def test_a_declaration_re_assigned_later_is_read_from_its_literal() -> None:
    # readthedocs: `FEATURES = (...)` then `FEATURES = sorted(FEATURES, key=...)` in the class body.
    text = textwrap.dedent(
        """\
        class Feature:
            OLD = "old_builds"
            NEW = "new_builds"
            FEATURES = (
                (OLD, "Old builds"),
                (NEW, "New builds"),
            )
            FEATURES = sorted(FEATURES, key=lambda pair: pair[1])
        """
    )
    found = declared_in(text, "Feature.FEATURES", "app/models.py")
    assert not isinstance(found, Problem)
    assert sorted(d.key for d in found) == ["new_builds", "old_builds"]
