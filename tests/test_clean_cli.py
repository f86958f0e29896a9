"""`flaglint clean` end to end: the installed console script on real files in real git repositories."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import git
import pytest

pytestmark = pytest.mark.slow  # real servers, editors or many subprocesses

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-21"


def flaglint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("flaglint")
    assert exe, "the flaglint console script is not installed (pip install -e .)"
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def make_repo(root: Path) -> git.Repo:
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    repo.git.add("-A")
    repo.git.commit("-m", "initial")
    return repo


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


APP = {
    "pyproject.toml": "[tool.flaglint]\n",
    "app.py": """
        import UnleashClient


        def steps(client):
            if client.is_enabled("new-checkout"):
                return ["pay"]
            return ["cart", "pay"]
        """,
    "other.py": "x = 1\n",
}


def test_demo_shop_from_registry_in_a_git_repo(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(REPO / "fixtures/demo-shop", root, ignore=shutil.ignore_patterns(".flaglint_cache", "__pycache__"))
    repo = make_repo(root)
    done = flaglint("clean", "--from-registry", "--today", TODAY, "--update-registry", "--branch", "retire", cwd=root)
    assert done.returncode == 0, done.stderr
    assert repo.active_branch.name == "retire"
    messages = [c.message.strip() for c in repo.iter_commits("retire", max_count=4)]
    assert sorted(messages) == [
        "Remove flag 'ENABLE_GIFT_CARDS' (always on)",
        "Remove flag 'dynamic-pricing' (always off)",
        "Remove flag 'new-checkout' (always on)",
        "Remove flag 'recs-ml' (always off)",
    ]
    assert not repo.is_dirty(untracked_files=True)
    assert "4 flags, 7 files changed, 47 lines removed" in done.stderr
    # The shop's own tests still pass, and nothing retired is left for the policy to find.
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=root)
    assert tests.returncode == 0
    check = flaglint("check", "--today", TODAY, "--format", "json", "--fail-on", "never", cwd=root)
    codes = {f["code"] for f in __import__("json").loads(check.stdout)["findings"]}
    assert codes.isdisjoint({"FL002", "FL003", "FL004"})
    assert "new-checkout" not in (root / "flags.toml").read_text(encoding="utf-8")
    # Idempotent: a second run has nothing to do.
    again = flaglint("clean", "--from-registry", "--today", TODAY, "--check", cwd=root)
    assert again.returncode == 0, again.stderr


def test_diff_and_check_write_nothing(tmp_path: Path) -> None:
    write(tmp_path, APP)
    make_repo(tmp_path)
    before = (tmp_path / "app.py").read_bytes()
    diff = flaglint("clean", "--flag", "new-checkout=on", "--diff", cwd=tmp_path)
    assert diff.returncode == 0
    assert '-    if client.is_enabled("new-checkout"):' in diff.stdout
    assert "+++ b/app.py" in diff.stdout
    check = flaglint("clean", "--flag", "new-checkout=on", "--check", cwd=tmp_path)
    assert check.returncode == 1
    assert "Would remove flag 'new-checkout' (always on): 1 file changed, 2 lines removed" in check.stderr
    assert (tmp_path / "app.py").read_bytes() == before


def test_writes_in_place_and_leaves_other_files_alone(tmp_path: Path) -> None:
    write(tmp_path, APP)
    make_repo(tmp_path)
    other = tmp_path / "other.py"
    os.utime(other, ns=(1_000_000_000, 1_000_000_000))
    done = flaglint("clean", "--flag", "new-checkout=on", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app.py").read_text() == 'import UnleashClient\n\n\ndef steps(client):\n    return ["pay"]\n'
    assert other.stat().st_mtime_ns == 1_000_000_000


def test_refuses_files_with_uncommitted_changes(tmp_path: Path) -> None:
    write(tmp_path, APP)
    make_repo(tmp_path)
    (tmp_path / "app.py").write_text((tmp_path / "app.py").read_text() + "# work in progress\n")
    refused = flaglint("clean", "--flag", "new-checkout=on", cwd=tmp_path)
    assert refused.returncode == 2
    assert "uncommitted changes in app.py" in refused.stderr
    assert "# work in progress" in (tmp_path / "app.py").read_text()
    allowed = flaglint("clean", "--flag", "new-checkout=on", "--allow-dirty", cwd=tmp_path)
    assert allowed.returncode == 0
    assert "# work in progress" in (tmp_path / "app.py").read_text()
    assert "is_enabled" not in (tmp_path / "app.py").read_text()


def test_outside_git_it_says_so_once_and_goes_on(tmp_path: Path) -> None:
    write(tmp_path, APP)
    done = flaglint("clean", "--flag", "new-checkout=on", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.count("not a git repository") == 1
    assert "is_enabled" not in (tmp_path / "app.py").read_text()


PYRAMID = {
    "pyproject.toml": """
        [tool.flaglint]
        sdks = []

        [[tool.flaglint.patterns]]
        kind = "method"
        name = "feature"
        receiver = "request"

        [[tool.flaglint.patterns]]
        kind = "keyword"
        name = "pyramid.view.view_defaults"
        key-keyword = "feature"
        negate = "pyramid.config.not_"

        [[tool.flaglint.patterns]]
        kind = "function"
        name = "tests.helpers.toggle_switch"
        flag-kind = "test-override"
        pin-arg = 1
        """,
    "views.py": """
        from pyramid.config import not_
        from pyramid.view import view_defaults


        @view_defaults(route_name="groups", feature=not_("new-form"))
        class LegacyGroupViews:
            pass


        @view_defaults(route_name="groups", feature="new-form")
        class GroupViews:
            pass


        def js_settings(request):
            return {"features": {"new_form": request.feature("new-form")}}
        """,
    "tests/test_views.py": """
        from tests.helpers import toggle_switch


        class GroupTests:
            def setUp(self):
                super().setUp()
                toggle_switch("new-form", True)

            def test_form(self):
                pass
        """,
}


def test_keyword_flags_pin_helpers_and_carried_entries_through_the_cli(tmp_path: Path) -> None:
    write(tmp_path, PYRAMID)
    scanned = json.loads(flaglint("scan", "--format", "json", cwd=tmp_path).stdout)["references"]
    assert sorted((r["path"], r["line"], r["kind"], r["pinned"]) for r in scanned) == [
        ("tests/test_views.py", 7, "test-override", "True"),
        ("views.py", 5, "predicate", "False"),
        ("views.py", 10, "predicate", "True"),
        ("views.py", 16, "check", None),
    ]
    safe = flaglint("clean", "--flag", "new-form=on", "--diff", cwd=tmp_path)
    assert "would remove `LegacyGroupViews` (--unsafe-fixes): it only applies while flag 'new-form' is off" in (
        safe.stderr
    )
    assert "would remove entry \"new_form\", which only carried flag 'new-form' to its readers" in safe.stderr
    done = flaglint("clean", "--flag", "new-form=on", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "views.py").read_text() == textwrap.dedent(
        """\
        from pyramid.view import view_defaults


        @view_defaults(route_name="groups")
        class GroupViews:
            pass


        def js_settings(request):
            return {"features": {}}
        """
    )
    assert (tmp_path / "tests" / "test_views.py").read_text() == textwrap.dedent(
        """\
        class GroupTests:
            def test_form(self):
                pass
        """
    )
    assert flaglint("clean", "--flag", "new-form=on", "--unsafe-fixes", "--check", cwd=tmp_path).returncode == 0


SPAM_TESTS = {
    "pyproject.toml": '[tool.flaglint]\nsdks = ["waffle"]\n',
    "spam/forms.py": """
        from waffle import flag_is_active


        def checking(request, text):
            found = "spam" in text
            if flag_is_active(request, "spam-checks"):
                print("checked", found)
            return found
        """,
    "spam/tests/conftest.py": """
        import pytest
        from waffle.testutils import override_flag


        @pytest.fixture
        def spam_checks_on(db):
            with override_flag("spam-checks", True):
                yield


        @pytest.fixture
        def rf():
            return object()
        """,
    "spam/tests/test_forms.py": """
        import pytest

        from ..forms import checking


        @pytest.fixture
        def spam_request(spam_checks_on, rf):
            return rf


        def test_checks(spam_request):
            assert checking(spam_request, "spam")


        @pytest.mark.usefixtures("spam_checks_on")
        class TestChecked:
            def test_one(self):
                assert checking(None, "spam")


        class TestMixed:
            def test_checked(self, spam_checks_on):
                assert checking(None, "spam")

            def test_plain(self, rf):
                assert rf is not None


        def test_unrelated(rf):
            assert rf
        """,
    "other/test_other.py": """
        def test_elsewhere(spam_checks_on):
            pass
        """,
}


def test_tests_that_request_a_removed_fixture_go_with_it(tmp_path: Path) -> None:
    files = {k: v for k, v in SPAM_TESTS.items() if not k.startswith("other/")}
    write(tmp_path, files)
    done = flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "removed `spam_checks_on`: it tests flag 'spam-checks' in its discarded state" in done.stderr
    assert "removed `test_checks`: it requests fixture `spam_request`, removed with its flag" in done.stderr
    assert (tmp_path / "spam/tests/conftest.py").read_text() == textwrap.dedent(
        """\
        import pytest


        @pytest.fixture
        def rf():
            return object()
        """
    )
    assert (tmp_path / "spam/tests/test_forms.py").read_text() == textwrap.dedent(
        """\
        class TestMixed:
            def test_plain(self, rf):
                assert rf is not None


        def test_unrelated(rf):
            assert rf
        """
    )
    assert flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", "--check", cwd=tmp_path).returncode == 0


def test_a_fixture_still_requested_out_of_reach_is_kept(tmp_path: Path) -> None:
    write(tmp_path, SPAM_TESTS)  # other/test_other.py requests it where the conftest does not reach
    tests = {rel: (tmp_path / rel).read_text() for rel in SPAM_TESTS if "test" in rel}
    done = flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {rel: (tmp_path / rel).read_text() for rel in tests} == tests
    assert (
        "spam/tests/conftest.py: left unchanged: removing `spam_checks_on` would leave it named in other/test_other.py"
    ) in done.stderr
    assert "removed `test_checks`" not in done.stderr
    assert "flag_is_active" not in (tmp_path / "spam/forms.py").read_text()


HELPER_TESTS = {
    "pyproject.toml": '[tool.flaglint]\nsdks = ["waffle"]\n',
    "spam/forms.py": SPAM_TESTS["spam/forms.py"],
    "spam/tests/test_views.py": """
        import pytest
        from django.test import TestCase
        from waffle import flag_is_active
        from waffle.models import Flag
        from waffle.testutils import override_flag

        from ..forms import checking


        @pytest.fixture
        def checks_on(db):
            with override_flag("spam-checks", True):
                yield


        def test_with_checks(checks_on):
            assert checking(None, "spam")


        def test_without(db):
            assert not checking(None, "ham")


        def test_follows(db, checks_wanted):
            with override_flag("spam-checks", active=checks_wanted):
                assert flag_is_active(None, "spam-checks") is checks_wanted


        class CheckingTests(TestCase):
            def enable_checks(self):
                self.flag = Flag.objects.create(name="spam-checks", everyone=True)

            def test_checked(self):
                self.enable_checks()
                assert checking(None, "spam")

            def test_plain(self):
                assert not checking(None, "ham")
        """,
}


def test_a_fixture_and_a_helper_pinning_the_discarded_value_go_with_their_tests(tmp_path: Path) -> None:
    # ...and a test whose pin stays (a fixture's value) keeps its own check of the flag.
    write(tmp_path, HELPER_TESTS)
    done = flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "flag 'spam-checks' is pinned above in this test: its check stays" in done.stderr
    assert "removed `test_with_checks`: it requests fixture `checks_on`, removed with its flag" in done.stderr
    assert (
        "removed `test_checked`: it calls `enable_checks`, removed with it:"
        " it tests flag 'spam-checks' in its discarded state"
    ) in done.stderr
    assert (tmp_path / "spam/tests/test_views.py").read_text() == textwrap.dedent(
        """\
        from django.test import TestCase
        from waffle import flag_is_active
        from waffle.testutils import override_flag

        from ..forms import checking


        def test_without(db):
            assert not checking(None, "ham")


        def test_follows(db, checks_wanted):
            with override_flag("spam-checks", active=checks_wanted):
                assert flag_is_active(None, "spam-checks") is checks_wanted


        class CheckingTests(TestCase):
            def test_plain(self):
                assert not checking(None, "ham")
        """
    )
    assert flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", "--check", cwd=tmp_path).returncode == 0


def test_a_helper_still_called_from_another_module_is_kept(tmp_path: Path) -> None:
    files = dict(HELPER_TESTS)
    files["spam/tests/test_more.py"] = """
        from .test_views import CheckingTests


        class MoreTests(CheckingTests):
            def test_more(self):
                self.enable_checks()
        """
    write(tmp_path, files)
    views = (tmp_path / "spam/tests/test_views.py").read_text()
    done = flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "spam/tests/test_views.py").read_text() == views
    assert (
        "spam/tests/test_views.py: left unchanged: removing `checks_on` would leave it named in spam/tests/test_more.py"
    ) in done.stderr
    assert "flag_is_active" not in (tmp_path / "spam/forms.py").read_text()


def test_a_fixture_requested_from_an_excluded_folder_is_kept(tmp_path: Path) -> None:
    files = {k: v for k, v in SPAM_TESTS.items() if not k.startswith("other/")}
    files["pyproject.toml"] = '[tool.flaglint]\nsdks = ["waffle"]\nexclude = ["spam/tests/legacy/"]\n'
    files["spam/tests/legacy/test_old.py"] = "def test_old(spam_checks_on):\n    pass\n"
    write(tmp_path, files)
    conftest = (tmp_path / "spam/tests/conftest.py").read_text()
    done = flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "spam/tests/conftest.py").read_text() == conftest  # pytest still runs legacy/
    assert "would leave it named in spam/tests/legacy/test_old.py" in done.stderr


def test_a_file_left_unchanged_is_named_with_the_reason(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.flaglint]\n",
        "scoped.py": """
            import UnleashClient


            def total(client):
                if client.is_enabled("new-checkout"):
                    fee = 1
                return fee
            """,
    }
    write(tmp_path, files)
    before = (tmp_path / "scoped.py").read_text()
    done = flaglint("clean", "--flag", "new-checkout=off", cwd=tmp_path)
    assert (tmp_path / "scoped.py").read_text() == before
    assert "Not rewritten:\n  scoped.py: left unchanged: removing the dead code would change the scope of `fee`" in (
        done.stderr
    )


def test_branch_needs_git_and_a_new_name(tmp_path: Path) -> None:
    write(tmp_path, APP)
    assert (
        "needs a git repository" in flaglint("clean", "--flag", "new-checkout=on", "--branch", "b", cwd=tmp_path).stderr
    )
    repo = make_repo(tmp_path)
    repo.git.branch("taken")
    taken = flaglint("clean", "--flag", "new-checkout=on", "--branch", "taken", cwd=tmp_path)
    assert taken.returncode == 2
    assert "branch 'taken' already exists" in taken.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give flags to retire with --flag"),
        (("--flag", "k"), "use KEY=on, KEY=off or KEY=VALUE"),
        (("--flag", "k=dark"), "neither on, off nor a Python literal"),
        (("--flag", "k=on", "--from-registry"), "give flags to retire"),
        (("--from-registry",), "--from-registry needs a flag registry"),
    ],
)
def test_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    write(tmp_path, APP)
    done = flaglint("clean", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_string_value_flag(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "theme.py": """
                from openfeature import api


                def css(client):
                    return "dark.css" if client.get_string_value("theme", "light") == "dark" else "light.css"
                """
        },
    )
    done = flaglint("clean", "--flag", 'theme="dark"', cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'return "dark.css"' in (tmp_path / "theme.py").read_text()
    assert "always 'dark'" in done.stderr or 'always "dark"' in done.stderr


def test_file_mode_survives(tmp_path: Path) -> None:
    write(tmp_path, APP)
    script = tmp_path / "app.py"
    script.chmod(0o750)
    assert flaglint("clean", "--flag", "new-checkout=off", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    assert "cart" in script.read_text()


PARAMETERS = {
    "pyproject.toml": "[tool.flaglint]\n",
    "app/__init__.py": "",
    "app/storage.py": """
        import UnleashClient

        client = UnleashClient.UnleashClient()


        def get_storage(*, project, build_id):
            return _scoped(project=project, build_id=build_id)


        def _scoped(*, project, build_id):
            if not client.is_enabled("scoped", {"project": project.slug}):
                return {}
            return {"token": build_id}
        """,
    "app/builds.py": """
        from app.storage import get_storage


        def upload(build):
            return get_storage(
                project=build.project,
                build_id=build.id,
            )
        """,
}


def test_parameters_the_fold_freed_are_dropped_through_the_cli(tmp_path: Path) -> None:
    write(tmp_path, PARAMETERS)
    make_repo(tmp_path)
    safe = flaglint("clean", "--flag", "scoped=on", cwd=tmp_path)
    assert safe.returncode == 0, safe.stderr
    assert "Parameters dropped:\n  app/storage.py:10: `_scoped` no longer reads `project`" in safe.stderr
    assert "`get_storage` no longer reads `project`: drop the parameter (--unsafe-fixes)" in safe.stderr
    assert "def _scoped(*, build_id):" in (tmp_path / "app" / "storage.py").read_text()
    assert "project=build.project" in (tmp_path / "app" / "builds.py").read_text()
    git.Repo(tmp_path).git.checkout("--", ".")  # once the check is gone, nothing says what it freed
    unsafe = flaglint("clean", "--flag", "scoped=on", "--unsafe-fixes", cwd=tmp_path)
    assert unsafe.returncode == 0, unsafe.stderr
    assert "Applied unsafe fixes:\n  app/storage.py:6: `get_storage` no longer reads `project`" in unsafe.stderr
    assert (tmp_path / "app" / "builds.py").read_text() == textwrap.dedent(
        """\
        from app.storage import get_storage


        def upload(build):
            return get_storage(
                build_id=build.id,
            )
        """
    )
    again = flaglint("clean", "--flag", "scoped=on", "--unsafe-fixes", "--check", cwd=tmp_path)
    assert again.returncode == 0, again.stderr


CONSTANT_PARAMETER = {
    "pyproject.toml": "[tool.flaglint]\n",
    "app/__init__.py": "",
    "app/index.py": """
        class SearchIndex:
            def handle_event(self, event, synchronous=False):
                \"\"\"Index an event.

                :param synchronous: index now
                \"\"\"
                if synchronous:
                    return "now"
                return "queued"
        """,
    "app/subscribers.py": """
        import UnleashClient

        client = UnleashClient.UnleashClient()


        def on_event(event, index):
            return index.handle_event(
                event, synchronous=client.is_enabled("sync-index")
            )
        """,
}


def test_a_parameter_every_caller_now_passes_the_same_constant_through_the_cli(tmp_path: Path) -> None:
    write(tmp_path, CONSTANT_PARAMETER)
    make_repo(tmp_path)
    safe = flaglint("clean", "--flag", "sync-index=on", "--diff", cwd=tmp_path)
    assert safe.returncode == 0, safe.stderr
    assert (
        "app/index.py:2: every call of `handle_event` passes `synchronous=True`: drop the parameter (--unsafe-fixes)"
        in safe.stderr
    )
    done = flaglint("clean", "--flag", "sync-index=on", "--unsafe-fixes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Applied unsafe fixes:\n  app/index.py:2: every call of `handle_event` passes `synchronous=True`" in (
        done.stderr
    )
    assert (tmp_path / "app" / "index.py").read_text() == textwrap.dedent(
        '''\
        class SearchIndex:
            def handle_event(self, event):
                """Index an event.
                """
                return "now"
        '''
    )
    assert "    return index.handle_event(event)\n" in (tmp_path / "app" / "subscribers.py").read_text()


EDX_FLAGS = ("demo.new_page=on", "demo.old_export=off", "demo.log_requests=off", "demo.audit=off")


def test_flag_objects_of_edx_toggles_through_the_cli(tmp_path: Path) -> None:
    # fixtures/edx-toggles: switches and flags made in code (`X = WaffleSwitch("k", ...)`), checked
    # with `X.is_enabled()` across modules, pinned in tests with override_waffle_switch(X, ...).
    root = tmp_path / "edx"
    skip = shutil.ignore_patterns(".flaglint_cache", "__pycache__")
    shutil.copytree(REPO / "fixtures/edx-toggles", root, ignore=skip)
    repo = make_repo(root)
    scanned = json.loads(flaglint("scan", "--format", "json", cwd=root).stdout)["references"]
    assert sorted((r["path"], r["line"], r["kind"], r["key"]) for r in scanned) == [
        ("app/settings.py", 6, "declaration", "demo.audit"),
        ("app/tests/test_views.py", 7, "test-override", "demo.new_page"),
        ("app/tests/test_views.py", 12, "test-override", "demo.new_page"),
        ("app/tests/test_views.py", 18, "test-override", "demo.new_page"),
        ("app/toggles.py", 10, "declaration", "demo.new_page"),
        ("app/toggles.py", 15, "declaration", "demo.log_requests"),
        ("app/toggles.py", 20, "declaration", "demo.old_export"),
        ("app/toggles.py", 25, "check", "demo.log_requests"),
        ("app/views.py", 8, "check", "demo.new_page"),
    ]
    checked = flaglint("check", cwd=root)
    unchecked = sorted(line.split(": ")[0] for line in checked.stdout.splitlines() if " FL008 " in line)
    assert unchecked == ["app/settings.py:6:9", "app/toggles.py:20:14"], checked.stdout

    safe = flaglint("clean", *(f"--flag={f}" for f in EDX_FLAGS), cwd=root)
    assert safe.returncode == 0, safe.stderr
    notes = safe.stdout + safe.stderr
    assert "removed `OLD_EXPORT`, the flag object of 'demo.old_export'" in notes
    assert "removed `LOG_REQUESTS`, the flag object of 'demo.log_requests'" in notes
    # a test still pins the discarded value (an unsafe fix), and Django settings reach AUDIT: both stay
    assert "`USE_NEW_PAGE`, the flag object of 'demo.new_page', is still named in app/tests/test_views.py:3" in notes
    assert "`AUDIT`, the flag object of 'demo.audit', is still named in app/views.py:13; kept" in notes
    assert "USE_NEW_PAGE = WaffleSwitch(" in (root / "app/toggles.py").read_text()
    assert (root / "app/settings.py").read_text() == (REPO / "fixtures/edx-toggles/app/settings.py").read_text()

    repo.git.checkout("--", ".")
    done = flaglint("clean", *(f"--flag={f}" for f in EDX_FLAGS), "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "removed `USE_NEW_PAGE`, the flag object of 'demo.new_page'" in done.stdout + done.stderr
    assert (root / "app/toggles.py").read_text() == textwrap.dedent(
        '''\
        """Toggles of the demo app, declared the Open edX way."""


        def log_requests():
            """Whether requests are logged."""
            return False
        '''
    )
    assert (root / "app/views.py").read_text() == textwrap.dedent(
        """\
        from django.conf import settings


        def page(request):
            return "new"


        def handle(request):
            if settings.AUDIT.is_enabled():
                print("audit", request)
            return page(request)
        """
    )
    assert (root / "app/tests/test_views.py").read_text() == textwrap.dedent(
        """\
        from app.views import page


        def test_new_page():
            assert page(None) == "new"


        def test_page_with_the_switch_on():
            assert page(None) == "new"
        """
    )
    again = flaglint("clean", *(f"--flag={f}" for f in EDX_FLAGS), "--unsafe-fixes", "--check", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_flag_object_keyed_by_a_namespace_constant_goes_and_the_constant_stays(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.flaglint]\nsdks = ["edx-toggles"]\n',
        "app/__init__.py": "",
        "app/toggles.py": """
            from edx_toggles.toggles import WaffleFlag

            NS = "course_experience"

            # .. toggle_name: course_experience.relative_dates
            RELATIVE_DATES = WaffleFlag(f"{NS}.relative_dates", __name__)

            # .. toggle_name: course_experience.other
            OTHER = WaffleFlag(f"{NS}.other", __name__)
            """,
        "app/views.py": """
            from app.toggles import OTHER, RELATIVE_DATES


            def dates():
                if OTHER.is_enabled() and RELATIVE_DATES.is_enabled():
                    return "relative"
                return "absolute"
            """,
    }
    write(tmp_path, files)
    make_repo(tmp_path)
    done = flaglint("clean", "--flag", "course_experience.relative_dates=on", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app/toggles.py").read_text() == textwrap.dedent(
        """\
        from edx_toggles.toggles import WaffleFlag

        NS = "course_experience"

        # .. toggle_name: course_experience.other
        OTHER = WaffleFlag(f"{NS}.other", __name__)
        """
    )
    assert "if OTHER.is_enabled():" in (tmp_path / "app/views.py").read_text()


ROUTES = {
    "pyproject.toml": '[tool.flaglint]\nsdks = ["waffle"]\n',
    "shop/__init__.py": "",
    "shop/views.py": """
        def home(request):
            return "home"


        def beta(request):
            return "the beta"
        """,
    "shop/urls.py": """
        from django.urls import path
        from waffle.decorators import waffle_flag

        from shop import views

        urlpatterns = [
            path("", views.home, name="home"),
            path("beta/", waffle_flag("beta")(views.beta), name="beta"),
        ]
        """,
    "shop/templates/home.html": "<a href=\"{% url 'shop:beta' %}\">Try the beta</a>\n",
}


def test_a_route_only_a_retired_flag_served_goes_unless_a_template_names_it(tmp_path: Path) -> None:
    # `waffle_flag("beta")(view)` in a URL conf: with beta off the route serves nothing, but a
    # template still reverses its name, so deleting it would break that page.
    root = tmp_path / "shop"
    write(root, ROUTES)
    repo = make_repo(root)
    kept = flaglint("clean", "--flag", "beta=off", "--unsafe-fixes", cwd=root)
    assert kept.returncode == 1, kept.stderr  # the flag is not retired: its check (the route) stays
    assert "Not retired: beta (shop/urls.py:8: the route 'beta' is kept, its name is used elsewhere" in kept.stderr
    assert not repo.is_dirty()

    (root / "shop/templates/home.html").write_text("<p>Home</p>\n", encoding="utf-8")
    repo.git.commit("-am", "the template stops linking the beta")
    done = flaglint("clean", "--flag", "beta=off", "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "removed the route 'beta': its view is only served while flag 'beta' is on" in done.stdout + done.stderr
    assert (root / "shop/urls.py").read_text() == textwrap.dedent(
        """\
        from django.urls import path

        from shop import views

        urlpatterns = [
            path("", views.home, name="home"),
        ]
        """
    )
    again = flaglint("clean", "--flag", "beta=off", "--unsafe-fixes", "--check", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr


LEGACY = {
    "pyproject.toml": """
        [tool.flaglint]
        sdks = []

        [[tool.flaglint.patterns]]
        kind = "membership"
        name = "web.ctx.features"

        [[tool.flaglint.patterns]]
        kind = "function"
        name = "platform.utils.multi_enabled"
        flag = "multi"

        [[tool.flaglint.patterns]]
        kind = "attribute"
        name = "django.conf.settings"
        match = "ENABLE_*"

        [[tool.flaglint.patterns]]
        kind = "subscript"
        name = "settings.FEATURES"
        flag-kind = "test-override"
        """,
    "app/__init__.py": "",
    "app/settings/base.py": """
        DEBUG = False

        # .. toggle_name: ENABLE_RECORDS
        # .. toggle_default: False
        ENABLE_RECORDS = False
        ENABLE_BANNER = True
        """,
    "app/templates/base.html": '{% if settings.ENABLE_BANNER %}<div class="banner"></div>{% endif %}\n',
    "app/pages.py": """
        import web
        from django.conf import settings

        from platform.banner import Banner

        try:
            from platform.utils import multi_enabled
        except ImportError:
            multi_enabled = None

        HELP = "The Banner shows on every page"


        class lists(web.page):
            def is_enabled(self):
                return "lists" in web.ctx.features

            def GET(self, user):
                if multi_enabled():
                    return "multi"
                context = dict(user=user, records=settings.ENABLE_RECORDS)
                if settings.ENABLE_BANNER:
                    context["banner"] = Banner()
                return context
        """,
    "tests/test_pages.py": """
        def test_lists(settings, page):
            settings.FEATURES["lists"] = True
            assert page(settings.FEATURES["lists"])
        """,
}
LEGACY_FLAGS = ("lists=on", "multi=off", "ENABLE_RECORDS=on", "ENABLE_BANNER=off")


def test_membership_named_flag_settings_and_subscript_pins_through_the_cli(tmp_path: Path) -> None:
    # The pattern kinds and removals added for issue 11's second replay round, through the console
    # script: `"k" in features`, a helper that checks one flag (and its optional import), settings
    # flags (definitions go unless a template names them), settings-fixture pins, an override whose
    # only job was the flag, and a dict(...) keyword that only carried one; then a settings-fixture
    # pin read back (a check of the flag) and an import named only in a sentence (it goes).
    root = tmp_path / "legacy"
    write(root, LEGACY)
    make_repo(root)
    scanned = json.loads(flaglint("scan", "--format", "json", cwd=root).stdout)["references"]
    assert sorted((r["path"], r["line"], r["kind"], r["key"]) for r in scanned) == [
        ("app/pages.py", 16, "check", "lists"),
        ("app/pages.py", 19, "check", "multi"),
        ("app/pages.py", 21, "check", "ENABLE_RECORDS"),
        ("app/pages.py", 22, "check", "ENABLE_BANNER"),
        ("tests/test_pages.py", 2, "test-override", "lists"),
        ("tests/test_pages.py", 3, "check", "lists"),  # the pin read back
    ]
    done = flaglint("clean", *(f"--flag={f}" for f in LEGACY_FLAGS), "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    notes = done.stdout + done.stderr
    assert "removed override `lists.is_enabled`" in notes
    assert "removed entry records, which only carried flag 'ENABLE_RECORDS' to its readers" in notes
    assert "removed setting `ENABLE_RECORDS`" in notes
    assert "setting `ENABLE_BANNER` is still named in app/templates/base.html; kept" in notes
    assert (root / "app/pages.py").read_text() == textwrap.dedent(
        """\
        import web

        HELP = "The Banner shows on every page"


        class lists(web.page):
            def GET(self, user):
                return dict(user=user)
        """
    )
    assert (root / "app/settings/base.py").read_text() == "DEBUG = False\n\nENABLE_BANNER = True\n"
    assert (root / "tests/test_pages.py").read_text() == "def test_lists(settings, page):\n    assert page(True)\n"
    again = flaglint("clean", *(f"--flag={f}" for f in LEGACY_FLAGS), "--unsafe-fixes", "--check", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr
