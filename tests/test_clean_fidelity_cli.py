"""Issue 27's later rules through the console script, on runnable projects in real git repositories:
the project's own test suite passes before `clean` and still passes (and collects) after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_clean_cli import REPO, flaglint, make_repo, write
from tests.test_clean_uses import pytest_in

pytestmark = pytest.mark.slow  # many subprocesses

# A stand-in for pyramid's decorators, so the project runs here: the keyword patterns name them.
PYRAMID = {
    "pyramid/__init__.py": "",
    "pyramid/config.py": """
        def not_(value):
            return ("not", value)
        """,
    "pyramid/view.py": """
        def view_defaults(**settings):
            def apply(cls):
                cls.__view_defaults__ = settings
                return cls

            return apply


        def view_config(**settings):
            def apply(function):
                function.__view_config__ = settings
                return function

            return apply
        """,
}

GROUPS = {
    **PYRAMID,
    "pyproject.toml": """
        [[tool.flaglint.patterns]]
        kind = "keyword"
        name = "pyramid.view.view_defaults"
        key-keyword = "feature"
        negate = "pyramid.config.not_"
        """,
    "app/__init__.py": "",
    "app/views.py": """
        from pyramid.config import not_
        from pyramid.view import view_config, view_defaults


        @view_defaults(route_name="group_create", feature=not_("new_group_form"))
        class LegacyCreateController:
            def __init__(self, request):
                self.request = request

            @view_config(request_method="GET")
            def get(self):
                return {"legacy": True}


        @view_defaults(route_name="group_create", feature="new_group_form")
        class CreateController:
            def __init__(self, request):
                self.request = request

            @view_config(request_method="GET")
            def get(self):
                return {}
        """,
    "tests/__init__.py": "",
    "tests/test_views.py": """
        import pytest

        from app import views


        class TestLegacyCreateController:
            def test_get(self, controller):
                assert controller.get() == {"legacy": True}

            @pytest.fixture
            def controller(self):
                return views.LegacyCreateController(object())


        class TestCreateController:
            def test_get(self):
                assert views.CreateController(object()).get() == {}
        """,
}


def test_tests_of_a_view_only_the_discarded_path_registered_go_with_it(tmp_path: Path) -> None:
    """The legacy view's registration asks for the flag off, so it goes (unsafe); its test class
    names it and goes too; safe mode refuses the flag and says why; the suite passes after."""
    root = tmp_path / "groups"
    write(root, GROUPS)
    make_repo(root)
    assert pytest_in(root).returncode == 0

    safe = flaglint("clean", "--flag", "new_group_form=on", cwd=root)
    assert "would remove `LegacyCreateController` (--unsafe-fixes)" in safe.stderr
    assert "LegacyCreateController" in (root / "app/views.py").read_text()

    done = flaglint("clean", "--flag", "new_group_form=on", "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (
        "tests/test_views.py:6: removed `TestLegacyCreateController`: it tests `LegacyCreateController`, "
        "code only the retired flag's discarded path had"
    ) in done.stderr
    tests = (root / "tests/test_views.py").read_text()
    assert "Legacy" not in tests
    assert "import pytest" not in tests
    assert "class TestCreateController" in tests
    assert "not_" not in (root / "app/views.py").read_text()
    after = pytest_in(root)
    assert after.returncode == 0, after.stdout
    assert "1 passed" in after.stdout


def test_a_helper_outside_a_test_unit_keeps_the_view_and_the_flag(tmp_path: Path) -> None:
    """A module-level helper of the tests names the legacy view: deleting test units cannot free
    it, so the flag is not retired and nothing is written."""
    files = dict(GROUPS)
    files["tests/test_views.py"] += "\n\ndef make_legacy():\n    return views.LegacyCreateController(None)\n"
    root = tmp_path / "groups"
    write(root, files)
    make_repo(root)
    before = {rel: (root / rel).read_text() for rel in ("app/views.py", "tests/test_views.py")}
    done = flaglint("clean", "--flag", "new_group_form=on", "--unsafe-fixes", cwd=root)
    assert "Not retired: new_group_form" in done.stderr
    assert "`LegacyCreateController` is still named at tests/test_views.py:" in done.stderr
    assert {rel: (root / rel).read_text() for rel in before} == before


MOCKED = {
    "pyproject.toml": """
        [[tool.flaglint.patterns]]
        kind = "function"
        name = "app.features.is_enabled"
        """,
    "app/__init__.py": "",
    "app/features.py": """
        def is_enabled(name):
            return name in {"language-filter"}
        """,
    "app/pipeline.py": """
        from app.features import is_enabled


        def _legacy_label(user):
            if is_enabled("language-filter"):
                return user.upper()
            return user


        def link(user, new):
            if is_enabled("language-filter") and not new:
                return user
            return None
        """,
    "tests/__init__.py": "",
    "tests/test_pipeline.py": """
        import unittest
        from unittest import mock

        import pytest

        from app.pipeline import link


        @mock.patch("app.pipeline.is_enabled", return_value=True)
        class LinkTests(unittest.TestCase):
            def test_link(self, _enabled):
                self.assertEqual(link("u", False), "u")


        @pytest.mark.parametrize("enabled", [True, False])
        @mock.patch("app.pipeline.is_enabled")
        def test_link_either_way(is_enabled_mock, enabled):
            is_enabled_mock.return_value = enabled
            assert link("u", False) == ("u" if enabled else None)
        """,
}


def test_mocks_of_the_check_narrow_and_go_with_the_import_they_held(tmp_path: Path) -> None:
    """A class's patch decorator of the kept answer goes from its tests, a test parametrized over
    the mock's answer keeps its kept row (unsafe), the uncalled private helper whose check folded
    goes, and the import of the check function goes once nothing patches it; the suite passes."""
    root = tmp_path / "pipeline"
    write(root, MOCKED)
    make_repo(root)
    assert pytest_in(root).returncode == 0

    safe = flaglint("clean", "--flag", "language-filter=on", "--diff", cwd=root)
    assert "would narrow `test_link_either_way` to the kept answer (--unsafe-fixes)" in safe.stderr

    done = flaglint("clean", "--flag", "language-filter=on", "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "narrowed `test_link_either_way`" in done.stderr
    assert "removed `_legacy_label`: nothing calls it, and the retired flag's check was what it held" in done.stderr
    pipeline = (root / "app/pipeline.py").read_text()
    assert "is_enabled" not in pipeline
    assert "_legacy_label" not in pipeline
    tests = (root / "tests/test_pipeline.py").read_text()
    assert "mock" not in tests
    assert "def test_link(self):" in tests
    assert "def test_link_either_way():" in tests
    after = pytest_in(root)
    assert after.returncode == 0, after.stdout
    assert "2 passed" in after.stdout


def test_tests_spelling_a_retired_declared_field_follow_it(tmp_path: Path) -> None:
    """Safe mode keeps the field the tests spell and says what --unsafe-fixes would do; with it,
    the keyword, the settings entry and the assert go, the field goes, and the suite passes."""
    root = tmp_path / "features"
    fixture = REPO / "fixtures/clean/tests-spelling-a-retired-declared-field-follow-it/before"
    files = {str(p.relative_to(fixture)): p.read_text() for p in fixture.rglob("*.py")}
    files["pyproject.toml"] = """
        [tool.flaglint.registry.code]
        declarations = ["app/features.py:Features"]

        [[tool.flaglint.patterns]]
        kind = "attribute"
        name = "app.features.features"
        match = "*"
        """
    write(root, files)
    make_repo(root)
    assert pytest_in(root).returncode == 0

    safe = flaglint("clean", "--flag", "fast_search=on", cwd=root)
    assert "would remove this test module's mentions of `Features.fast_search` (--unsafe-fixes)" in safe.stderr
    assert "fast_search: bool" in (root / "app/features.py").read_text()

    done = flaglint("clean", "--flag", "fast_search=on", "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "removed the declaration of 'fast_search' from Features" in done.stderr
    assert "fast" not in (root / "tests/test_features.py").read_text()
    after = pytest_in(root)
    assert after.returncode == 0, after.stdout
    assert "2 passed" in after.stdout


ROUND = [
    "a-class-patch-whose-tests-differ-keeps-the-kept-answer",
    "a-retired-member-leaves-the-flags-a-test-turns-on",
    "a-test-assertion-on-a-removed-entry-goes",
    "a-test-reading-the-flag-through-pytest-djangos-settings-fixture-folds",
    "an-override-that-only-answered-the-flag-is-named-only-through-its-class",
    "an-uncalled-private-function-that-held-the-check-goes",
    "a-test-parametrized-over-a-mocked-answer-is-narrowed",
]


@pytest.mark.parametrize("name", ROUND)
def test_this_rounds_fixtures_through_the_console_script(tmp_path: Path, name: str) -> None:
    """Each rule of this round, as its fixture shows it, through the installed `flaglint clean`
    in a git repository: the files end as the fixture's `after`, and the notes say what went."""
    import tomllib

    from tests.test_clean_fixtures import expected, setup

    case = REPO / "fixtures" / "clean" / name
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    root = tmp_path / "project"
    setup(case, spec, root)
    make_repo(root)
    flags = [part for key, value in spec["flags"].items() for part in ("--flag", f"{key}={value}")]
    unsafe = ["--unsafe-fixes"] if spec.get("unsafe") else []
    done = flaglint("clean", *flags, *unsafe, cwd=root)
    assert done.returncode == 0, done.stderr
    written = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and not {".git", ".flaglint_cache"} & set(p.parts) and p.name != "pyproject.toml"
    }
    assert written == expected(case)
    for note in spec.get("notes", []):
        assert note.split(": ", 1)[-1][:60] in done.stderr, note
