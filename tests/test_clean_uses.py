"""`clean` never breaks a program: the measured cases of issue 24 through the console script.

Each project is a real git repository in a temp folder; after `clean`, the project's modules are
imported in a fresh interpreter, so a deletion that leaves a name dangling fails the test the way
it failed the user (`AttributeError`, `ImportError`, `NameError`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from flaglint.engine.uses import gone
from tests.test_clean_cli import flaglint, make_repo, write

DECLARED = {
    "pyproject.toml": """
        [tool.flaglint.registry.code]
        declarations = ["app/flags.py:Flag"]

        [[tool.flaglint.patterns]]
        kind = "method"
        name = "enabled"
        receiver = "flags"
        """,
    "app/__init__.py": "",
    "app/flags.py": """
        import enum


        class Flag(enum.Enum):
            NEW_UPLOAD = "new-upload"
            OLD_BANNER = "old-banner"
        """,
    "app/views.py": """
        from app.flags import Flag

        LABELS = {Flag.OLD_BANNER: "banner", Flag.NEW_UPLOAD: "upload"}


        def upload(request):
            if request.flags.enabled(Flag.OLD_BANNER):
                return "banner"
            return "plain"
        """,
}


def imports(root: Path, *modules: str) -> subprocess.CompletedProcess[str]:
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    return subprocess.run(
        [sys.executable, "-c", code, *modules], cwd=root, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_declared_member_still_named_elsewhere_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    write(root, DECLARED)
    make_repo(root)
    done = flaglint("clean", "--flag", "old-banner=off", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "kept `Flag.OLD_BANNER`: still named at app/views.py:3" in done.stderr
    assert (root / "app/flags.py").read_text() == textwrap.dedent(DECLARED["app/flags.py"]).lstrip()
    assert "enabled" not in (root / "app/views.py").read_text()
    assert imports(root, "app.flags", "app.views").returncode == 0

    # Once nothing else names it, the member goes with the next run.
    views = (root / "app/views.py").read_text().replace('Flag.OLD_BANNER: "banner", ', "")
    (root / "app/views.py").write_text(views)
    again = flaglint("clean", "--flag", "old-banner=off", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "OLD_BANNER" not in (root / "app/flags.py").read_text()
    assert imports(root, "app.flags", "app.views").returncode == 0


CHECK_ONLY = """
    from app.flags import Flag


    def upload(request):
        if request.flags.enabled(Flag.OLD_BANNER):
            return "banner"
        return "plain"
    """


def test_a_file_of_newer_syntax_still_names_what_it_spells(tmp_path: Path) -> None:
    """A module this interpreter cannot parse (PEP 758's `except A, B:`, which LibCST reads) is
    read as words by the use index: the declared member it names stays, and an import it does
    not reach (it names no module of the import's file) still goes."""
    root = tmp_path / "shop"
    files = dict(DECLARED)
    files["app/views.py"] = CHECK_ONLY
    files["app/labels.py"] = """
        from app.flags import Flag

        LABELS = {Flag.OLD_BANNER: "banner", Flag.NEW_UPLOAD: "upload"}


        def label(flag):
            try:
                return LABELS[flag]
            except KeyError, TypeError:
                return ""
        """
    write(root, files)
    make_repo(root)
    done = flaglint("clean", "--flag", "old-banner=off", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "kept `Flag.OLD_BANNER`: still named at app/labels.py:3" in done.stderr
    assert "OLD_BANNER" in (root / "app/flags.py").read_text()
    assert (root / "app/views.py").read_text() == 'def upload(request):\n    return "plain"\n'


def test_an_import_a_file_of_newer_syntax_takes_from_the_module_stays(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    files = dict(DECLARED)
    files["app/views.py"] = CHECK_ONLY
    files["app/menu.py"] = """
        from app.views import (
            Flag,
            upload,
        )


        def entries():
            try:
                return [Flag.NEW_UPLOAD, upload]
            except KeyError, TypeError:
                return []
        """
    write(root, files)
    make_repo(root)
    done = flaglint("clean", "--flag", "old-banner=off", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "kept `Flag`: still named at app/menu.py:1" in done.stderr
    assert (root / "app/views.py").read_text().startswith("from app.flags import Flag\n")


def test_what_a_rewrite_of_newer_syntax_deletes_is_known() -> None:
    before = (
        "import waffle\n\n\ndef legacy():\n    return 1\n\n\nclass Limits:\n    OLD = 1\n    NEW = 2\n\n"
        "    def pick(self):\n        value = 3\n        return value\n\n\n"
        "def view(r):\n    try:\n        pass\n    except KeyError, ValueError:\n        pass\n"
    )
    after = before.replace("def legacy():\n    return 1\n\n\n", "").replace("    OLD = 1\n", "")
    after = after.replace("        value = 3\n        return value", "        return 3")
    assert [(d.name, d.line, d.kind) for d in gone("app/views.py", before, after)] == [
        ("Limits.OLD", 9, "member"),
        ("legacy", 4, "global"),
    ]
    imports = "from app.flags import (\n    A,\n    B as C,\n)\nimport os.path, json as j\n\n\n"
    fewer = "from app.flags import (\n    A,\n)\nimport os.path\n\n\n"
    assert [(d.name, d.kind) for d in gone("app/views.py", imports + before, fewer + before)] == [
        ("C", "import"),
        ("j", "import"),
    ]


HALF = {
    "pyproject.toml": "[tool.flaglint]\n",
    "search/__init__.py": "",
    "search/views.py": """
        from waffle import flag_is_active

        max_page = 10


        def search(request):
            if flag_is_active(request, "hybrid-search"):
                max_page = 20
                return max_page
            return max_page
        """,
    "tests/test_search.py": """
        from waffle.testutils import override_flag

        from search.views import search


        @override_flag("hybrid-search", active=False)
        def test_keyword(rf):
            assert search(rf.get("/")) == 10
        """,
}


def test_a_flag_whose_check_cannot_be_rewritten_is_not_retired_at_all(tmp_path: Path) -> None:
    # Removing the dead branch would turn `max_page` from a local into the global: the check
    # stays, so its test pins must stay too, and the run says so with exit code 1.
    root = tmp_path / "search"
    write(root, HALF)
    repo = make_repo(root)
    done = flaglint("clean", "--flag", "hybrid-search=off", cwd=root)
    assert done.returncode == 1, done.stderr
    assert "Not retired: hybrid-search (search/views.py:7: left unchanged: removing the dead code" in done.stderr
    assert not repo.is_dirty()
    check = flaglint("clean", "--flag", "hybrid-search=off", "--check", cwd=root)
    assert check.returncode == 1
    assert "Not retired: hybrid-search" in check.stderr


MOCKED = {
    "pyproject.toml": "[tool.flaglint]\n",
    "search/__init__.py": "",
    "search/views.py": """
        import waffle


        def search(request):
            if waffle.flag_is_active(request, "hybrid-search"):
                return "hybrid"
            return "keyword"
        """,
    "tests/test_mocked.py": """
        from unittest import mock

        import waffle

        from search.views import search


        @mock.patch("waffle.flag_is_active", return_value=False)
        def test_keyword_when_off(_, rf):
            assert search(rf.get("/")) == "keyword"


        def test_hybrid(monkeypatch, rf):
            monkeypatch.setattr(waffle, "flag_is_active", lambda *args: True)
            assert search(rf.get("/")) == "hybrid"
        """,
    "search/admin.py": """
        from waffle import flag_is_active


        def panel(request):
            return "new" if flag_is_active(request, "new-panel") else "old"
        """,
    "tests/test_admin.py": """
        from unittest import mock

        from search.admin import panel


        @mock.patch("search.admin.flag_is_active", return_value=False)
        def test_old_panel(_, rf):
            assert panel(rf.get("/")) == "old"
        """,
}


def test_tests_that_mock_the_flag_sdk_are_listed(tmp_path: Path) -> None:
    root = tmp_path / "search"
    write(root, MOCKED)
    make_repo(root)
    done = flaglint("clean", "--flag", "hybrid-search=on", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "search/views.py").read_text() == 'def search(request):\n    return "hybrid"\n'
    assert "tests/test_mocked.py:8: this test mocks `flag_is_active`" in done.stderr
    # a mock that answers what the retired checks now say tests what the code does: not listed
    assert "tests/test_mocked.py:14: this test mocks" not in done.stderr
    # nor one patched in a module that holds none of the retired checks: it answers other flags
    assert "tests/test_admin.py" not in done.stderr


TEMPLATE = {
    "pyproject.toml": "[tool.flaglint]\n",
    "shop/__init__.py": "",
    "shop/views.py": """
        from django.shortcuts import render
        from waffle import flag_is_active


        def home(request):
            return render(request, "home.html", {"beta_link": flag_is_active(request, "beta"), "user": request.user})
        """,
    "shop/templates/home.html": '{% if beta_link %}<a href="/beta/">Try the beta</a>{% endif %}\n',
}


def test_a_context_key_a_template_reads_keeps_the_flag(tmp_path: Path) -> None:
    # With --unsafe-fixes the entry that only carried the flag goes; here a template still reads
    # it, so deleting it would silently hide the link: the flag is not retired, nothing changes.
    root = tmp_path / "shop"
    write(root, TEMPLATE)
    repo = make_repo(root)
    done = flaglint("clean", "--flag", "beta=on", "--unsafe-fixes", cwd=root)
    assert done.returncode == 1, done.stderr
    assert 'Not retired: beta (`"beta_link"` is still named at shop/templates/home.html:1)' in done.stderr
    assert not repo.is_dirty()

    (root / "shop/templates/home.html").write_text("<p>Home</p>\n")
    gone = flaglint("clean", "--flag", "beta=on", "--unsafe-fixes", "--allow-dirty", "--diff", cwd=root)
    assert gone.returncode == 0, gone.stderr
    assert '+    return render(request, "home.html", {"user": request.user})' in gone.stdout


def test_the_use_index_reads_each_file_once_and_keeps_it_in_the_cache(tmp_path: Path) -> None:
    """What a file says is read once per content: a second plan (another run: a new workspace on
    the same cache folder) parses no file for its uses and reaches the same verdict; a file
    that changed is read again; a broken cache file is ignored."""
    from flaglint.engine.config import load_config
    from flaglint.engine.workspace import Workspace
    from flaglint.fix.clean import plan

    root = tmp_path / "shop"
    write(root, DECLARED)
    config = load_config(root / "pyproject.toml", root)

    def planned() -> tuple[int, tuple[str, ...]]:
        workspace = Workspace(config)
        step = plan(config, {"old-banner": None}, workspace=workspace)
        return workspace.mentions.parsed, tuple(n.message for n in step.notes if n.message.startswith("kept"))

    parsed, kept = planned()
    assert parsed >= 1
    assert kept == ("kept `Flag.OLD_BANNER`: still named at app/views.py:3",)
    assert (config.cache_path / "uses.json").exists()
    assert planned() == (0, kept)

    views = (root / "app/views.py").read_text() + "\nOTHER = Flag.NEW_UPLOAD\n"
    (root / "app/views.py").write_text(views)
    assert planned() == (1, kept)

    uses = json.loads((config.cache_path / "uses.json").read_text())
    uses["files"] = {key: [1, "two"] for key in uses["files"]}  # entries of a foreign shape
    (config.cache_path / "uses.json").write_text(json.dumps(uses))
    parsed, again = planned()
    assert again == kept
    assert parsed >= 1
    (config.cache_path / "uses.json").write_text("{not json")
    assert planned()[1] == kept


RUNNABLE_MOCKS = {
    "pyproject.toml": '[tool.flaglint]\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "waffle.py": """
        def flag_is_active(request, name):
            return False
        """,
    "search/__init__.py": "",
    "search/views.py": MOCKED["search/views.py"],
    "tests/test_search.py": """
        from unittest import mock

        import waffle

        from search.views import search


        @mock.patch("waffle.flag_is_active", return_value=False)
        def test_hybrid_search_off_gives_keywords(_active):
            assert search(None) == "keyword"


        @mock.patch("waffle.flag_is_active", return_value=True)
        def test_hybrid_search_on_gives_hybrid(_active):
            assert search(None) == "hybrid"


        def test_every_flag_off_still_answers(monkeypatch):
            monkeypatch.setattr(waffle, "flag_is_active", lambda *args: False)
            assert search(None) in ("keyword", "hybrid")
        """,
}


def pytest_in(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_test_that_mocks_the_check_to_the_discarded_answer_goes_with_unsafe_fixes(tmp_path: Path) -> None:
    """A test that mocks the SDK to answer the discarded value and is named for the flag tests
    only the retired path: safe mode lists it as an unsafe fix (the suite would fail on it),
    `--unsafe-fixes` removes it, and the project's own suite passes afterwards."""
    root = tmp_path / "search"
    write(root, RUNNABLE_MOCKS)
    make_repo(root)
    assert pytest_in(root).returncode == 0

    safe = flaglint("clean", "--flag", "hybrid-search=on", "--diff", cwd=root)
    assert safe.returncode == 0, safe.stderr
    assert (
        "tests/test_search.py:8: would remove `test_hybrid_search_off_gives_keywords` (--unsafe-fixes): "
        "it mocks `flag_is_active` to answer False: it tests flag 'hybrid-search' off, a state retired"
    ) in safe.stderr
    assert "tests/test_search.py:19: this test mocks `flag_is_active`" in safe.stderr  # listed, kept
    assert "tests/test_search.py:13: this test mocks" not in safe.stderr  # it answers the kept value

    done = flaglint("clean", "--flag", "hybrid-search=on", "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    tests = (root / "tests/test_search.py").read_text()
    assert "def test_hybrid_search_off_gives_keywords" not in tests
    assert "def test_hybrid_search_on_gives_hybrid" in tests
    assert "def test_every_flag_off_still_answers" in tests
    assert (root / "search/views.py").read_text() == 'def search(request):\n    return "hybrid"\n'
    after = pytest_in(root)
    assert after.returncode == 0, after.stdout
    assert "2 passed" in after.stdout


SESSION = {
    "pyproject.toml": """
        [tool.flaglint]

        [[tool.flaglint.patterns]]
        kind = "function"
        name = "app.flags.is_enabled"

        [[tool.flaglint.patterns]]
        kind = "function"
        name = "app.flags.value_for"
        on-keyword = "on"
        off-keyword = "off"
        """,
    "app/__init__.py": "",
    "app/flags.py": """
        def is_enabled(key):
            return False


        def value_for(key, on, off):
            return on if is_enabled(key) else off
        """,
    "app/views.py": """
        from app.flags import is_enabled, value_for


        def _fast_path():
            return "fast"


        def page():
            title = value_for("fast-page", on="Fast", off="Slow")
            if is_enabled("fast-page"):
                return title, _fast_path()
            return title, "slow"
        """,
    "tests/test_views.py": """
        from unittest import mock

        from app.views import page


        @mock.patch("app.views.is_enabled", return_value=False)
        def test_page(enabled):
            assert page() == ("Slow", "slow")
        """,
}


def test_helpers_value_select_calls_and_an_import_a_test_patches_through_the_console_script(tmp_path: Path) -> None:
    # Off: the value-select call answers its `off` argument, the helper only the discarded
    # branch called goes; the test's decorator patched the kept answer into a module that no
    # longer calls the function, so it goes with its parameter, and then the import it held.
    root = tmp_path / "site"
    write(root, SESSION)
    make_repo(root)
    done = flaglint("clean", "--flag", "fast-page=off", cwd=root)
    assert done.returncode == 0, done.stderr
    views = (root / "app/views.py").read_text()
    assert 'title = "Slow"' in views
    assert "_fast_path" not in views
    assert "value_for" not in views
    assert "is_enabled" not in views
    assert "Helpers removed:" in done.stderr
    assert "removed `_fast_path`: the retired flag's branch was its only caller" in done.stderr
    assert "removed a mock of `is_enabled` answering False: `app.views` no longer calls it" in done.stderr
    assert "def test_page():" in (root / "tests/test_views.py").read_text()
    assert imports(root, "app.views").returncode == 0
    after = pytest_in(root)
    assert after.returncode == 0, after.stdout


HELD = {
    "pyproject.toml": """
        [tool.flaglint]
        sdks = []

        [[tool.flaglint.patterns]]
        kind = "function"
        name = "app.flags.is_active"
        """,
    "app/__init__.py": "",
    "app/settings.py": """
        import os

        NEW_CART_FLAG_KEY = os.environ.get("NEW_CART_FLAG_KEY", "new-cart")
        """,
    "app/flags.py": """
        def is_active(key, user):
            return bool(user)
        """,
    "app/views.py": """
        from app import settings
        from app.flags import is_active


        def cart(user):
            if is_active(settings.NEW_CART_FLAG_KEY, user):
                return "new"
            return "old"
        """,
    "app/gates.py": """
        from app.flags import is_active


        def gate(flag, user):
            if is_active(flag, user):
                return "on"
            return "off"
        """,
}


def test_a_flag_whose_key_a_setting_holds_is_named_by_that_setting(tmp_path: Path) -> None:
    """The key is read from the environment at run time (dynamic to the scan): the flag is named
    as the code spells its key, and its checks go like any other."""
    root = tmp_path / "held"
    write(root, HELD)
    make_repo(root)
    done = flaglint("clean", "--flag", "settings.NEW_CART_FLAG_KEY=on", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "2 files changed" in done.stderr
    views = (root / "app/views.py").read_text()
    assert views == 'def cart(user):\n    return "new"\n'
    # the setting that held the key is named nowhere else now: it goes, with the import it needed
    assert "removed setting `NEW_CART_FLAG_KEY`" in done.stderr
    assert "NEW_CART_FLAG_KEY" not in (root / "app/settings.py").read_text()
    imported = subprocess.run(
        [sys.executable, "-c", "import app.views"], cwd=root, capture_output=True, text=True, check=False
    )
    assert imported.returncode == 0, imported.stderr
    # a key held by a parameter may be any flag: a flag that happens to share its name is not it
    untouched = (root / "app/gates.py").read_text()
    done = flaglint("clean", "--flag", "flag=on", "--allow-dirty", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "app/gates.py").read_text() == untouched


def test_a_setting_that_held_a_key_stays_while_the_docs_name_it(tmp_path: Path) -> None:
    """The setting goes only once nothing names it: a docs page telling how to set it keeps it."""
    root = tmp_path / "held"
    write(root, {**HELD, "docs/setup.md": "Set NEW_CART_FLAG_KEY in the environment to name the cart flag.\n"})
    make_repo(root)
    done = flaglint("clean", "--flag", "settings.NEW_CART_FLAG_KEY=on", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "kept `NEW_CART_FLAG_KEY`: still named at docs/setup.md:1" in done.stderr
    assert "NEW_CART_FLAG_KEY = " in (root / "app/settings.py").read_text()
    assert (root / "app/views.py").read_text() == 'def cart(user):\n    return "new"\n'


FOLDED = {
    "pyproject.toml": "[tool.flaglint]\n",
    "queues/__init__.py": "",
    "queues/serializers.py": """
        import waffle


        def validate(request, row):
            if request:
                limits = waffle.flag_is_active(request, "queue-limit")
                if row.limit and not limits:
                    raise ValueError("queue limits are off")
            return row
        """,
    "tests/__init__.py": "",
    "tests/test_queues.py": """
        from django.test import TestCase
        from waffle.models import Flag


        class QueueTests(TestCase):
            def enable_limits(self):
                Flag.objects.create(name="queue-limit", everyone=True)

            def test_limit_checked(self):
                self.enable_limits()
                assert True

            def test_plain(self):
                assert True
        """,
}


def test_a_local_in_a_block_an_emptied_if_and_a_pin_helper_through_the_console_script(tmp_path: Path) -> None:
    """A local bound once inside an `if` is inlined there, the `if` the fold emptied goes, and
    (unsafe, flag off) a test helper pinning the discarded value goes with the test calling it."""
    root = tmp_path / "queues"
    write(root, FOLDED)
    make_repo(root)
    done = flaglint("clean", "--flag", "queue-limit=on", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "queues/serializers.py").read_text() == "def validate(request, row):\n    return row\n"
    imported = subprocess.run(
        [sys.executable, "-c", "import queues.serializers"], cwd=root, capture_output=True, text=True, check=False
    )
    assert imported.returncode == 0, imported.stderr

    root = tmp_path / "queues-off"
    write(root, FOLDED)
    make_repo(root)
    done = flaglint("clean", "--flag", "queue-limit=off", "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    tests = (root / "tests/test_queues.py").read_text()
    assert "enable_limits" not in tests
    assert "def test_limit_checked" not in tests
    assert "def test_plain" in tests


def test_a_mock_of_the_kept_answer_goes_with_the_import_it_held(tmp_path: Path) -> None:
    """`mocker.patch("app.tasks.is_feature_enabled", return_value=True)` answers what the checks
    now say, in a module that no longer calls the function: the statement goes, and so does the
    import it held. A mock the test keeps in a name, or that answers the discarded value, stays."""
    root = tmp_path / "tasks"
    write(
        root,
        {
            "pyproject.toml": """
                [[tool.flaglint.patterns]]
                kind = "function"
                name = "app.posthog.is_feature_enabled"
                key = 0
                """,
            "app/__init__.py": "",
            "app/posthog.py": """
                def is_feature_enabled(key):
                    return False
                """,
            "app/tasks.py": """
                from app.posthog import is_feature_enabled


                def submit(url):
                    if is_feature_enabled("wayback-tasks"):
                        return "submitted " + url
                    return None
                """,
            "tests/__init__.py": "",
            "tests/test_tasks.py": """
                from app.tasks import submit


                def test_submit(mocker):
                    mocker.patch("app.tasks.is_feature_enabled", return_value=True)
                    assert submit("u") == "submitted u"


                def test_submit_counts(mocker):
                    checked = mocker.patch("app.tasks.is_feature_enabled", return_value=True)
                    submit("u")
                    assert checked.call_count == 1
                """,
        },
    )
    make_repo(root)
    done = flaglint("clean", "--flag", "wayback-tasks=on", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Mocks removed:" in done.stderr
    tests = (root / "tests/test_tasks.py").read_text()
    assert tests.count("mocker.patch") == 1  # the one kept in a name stays (it counts calls)
    assert 'checked = mocker.patch("app.tasks.is_feature_enabled", return_value=True)' in tests
    tasks = (root / "app/tasks.py").read_text()
    assert "is_feature_enabled" in tasks  # still patched by the test that counts calls: held
    assert 'return "submitted " + url' in tasks

    # Without the test that counts calls, nothing names the import any more: it goes too.
    subprocess.run(["git", "checkout", "--", "."], cwd=root, check=True)
    original = (root / "tests/test_tasks.py").read_text()
    assert original.count("mocker.patch") == 2
    (root / "tests/test_tasks.py").write_text(original.split("\n\n\ndef test_submit_counts")[0] + "\n")
    subprocess.run(["git", "commit", "-qam", "one test"], cwd=root, check=True)
    again = flaglint("clean", "--flag", "wayback-tasks=on", cwd=root)
    assert again.returncode == 0, again.stderr
    assert (root / "app/tasks.py").read_text() == 'def submit(url):\n    return "submitted " + url\n'
    assert "mocker.patch" not in (root / "tests/test_tasks.py").read_text()


def test_a_word_in_a_file_cpython_cannot_parse_is_no_keyword_of_a_removed_test(tmp_path: Path) -> None:
    """A Python 2 script that spells `client` does not keep the parameter of a test that goes
    with --unsafe-fixes: only `client=` in a file that spells the test's name would."""
    root = tmp_path / "site"
    write(
        root,
        {
            "pyproject.toml": "[tool.flaglint]\n",
            "app/__init__.py": "",
            "app/views.py": """
                from waffle import flag_is_active


                def home(request):
                    if flag_is_active(request, "spam-checks"):
                        return "checked"
                    return "plain"
                """,
            "tests/__init__.py": "",
            "tests/test_views.py": """
                from waffle.testutils import override_flag

                from app.views import home


                def test_plain(client):
                    assert home(client) == "plain"


                @override_flag("spam-checks", active=True)
                def test_checked(client):
                    assert home(client) == "checked"
                """,
            "scripts/clone.py": """
                print "client"
                """,
        },
    )
    make_repo(root)
    done = flaglint("clean", "--flag", "spam-checks=off", "--unsafe-fixes", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Not retired" not in done.stderr
    assert "test_checked" not in (root / "tests/test_views.py").read_text()


MIXIN = {
    "pyproject.toml": """
        [[tool.flaglint.patterns]]
        kind = "subscript"
        name = "django.conf.settings.FEATURE_FLAGS"
        """,
    "app/__init__.py": "",
    "app/views.py": """
        from django.conf import settings
        from django.http import Http404


        class FlagMixin:
            def dispatch(self, *args, **kwargs):
                if not settings.FEATURE_FLAGS["CONTACT_ON"]:
                    raise Http404()
                return super().dispatch(*args, **kwargs)


        class ContactView(FlagMixin):
            template_name = "contact.html"
        """,
}


def test_an_override_reached_through_its_own_class_stays(tmp_path: Path) -> None:
    """An override left only calling super() goes, with the mixin it empties, unless something
    calls it through its own class (`FlagMixin.dispatch(view)`): the parent's method answers
    `view.dispatch()`, not that."""
    root = tmp_path / "site"
    write(root, MIXIN)
    make_repo(root)
    done = flaglint("clean", "--flag", "CONTACT_ON=on", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "FlagMixin" not in (root / "app/views.py").read_text()

    subprocess.run(["git", "checkout", "--", "."], cwd=root, check=True)
    direct = "from app.views import FlagMixin\n\n\ndef run(view):\n    return FlagMixin.dispatch(view)\n"
    (root / "app/direct.py").write_text(direct)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "direct"], cwd=root, check=True)
    again = flaglint("clean", "--flag", "CONTACT_ON=on", cwd=root)
    assert "def dispatch" in (root / "app/views.py").read_text()
    assert "FlagMixin.dispatch` is still named at app/direct.py:5" in again.stderr


def test_a_docstring_sentence_about_the_retired_flag_goes_through_the_console_script(tmp_path: Path) -> None:
    root = tmp_path / "menu"
    write(
        root,
        {
            "pyproject.toml": "[tool.flaglint]\n",
            "app/__init__.py": "",
            "app/menu.py": '''
                from waffle import switch_is_active


                def update(page):
                    """
                    Update the menu when a page's title changes.
                    This is currently behind the switch
                    editable-urls.
                    """
                    if not switch_is_active("editable-urls"):
                        return None
                    return page.title
                ''',
        },
    )
    make_repo(root)
    done = flaglint("clean", "--flag", "editable-urls=on", cwd=root)
    assert done.returncode == 0, done.stderr
    menu = (root / "app/menu.py").read_text()
    assert 'Update the menu when a page\'s title changes.\n    """' in menu
    assert "editable-urls" not in menu
    assert "currently behind" not in menu
