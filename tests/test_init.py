"""`flaglint init` through the console script: on a small project with its own flag API (an enum
of keys, a wrapper method, a test helper that pins, a settings mapping tests assign into and a
settings toggle), the proposal is valid TOML, shows its evidence, and a scan with it finds exactly
the project's flag checks and nothing else; `--write` never replaces settings without the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.test_clean_cli import flaglint, make_repo, write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHOP = {
    "pyproject.toml": '[project]\nname = "shop"\n',
    "shop/__init__.py": "",
    "shop/flags.py": """
        import enum


        class Feature(enum.Enum):
            NEW_CHECKOUT = "new-checkout"
            DARK_MODE = "dark-mode"
            LEGACY_EXPORT = "legacy-export"


        class Flags:
            def __init__(self, store):
                self.store = store

            def enabled(self, feature):
                return self.store.get(feature.value, False)
        """,
    "shop/views.py": """
        from django.conf import settings

        from shop.flags import Feature


        def checkout(request):
            if request.flags.enabled(Feature.NEW_CHECKOUT):
                return "new"
            return "old"


        def page(request):
            theme = "dark" if request.flags.enabled(Feature.DARK_MODE) else "light"
            if settings.ENABLE_GIFT_CARDS:
                theme += "+gifts"
            return theme


        def export(request, rows):
            if request.flags.enabled(Feature.LEGACY_EXPORT):
                return list(rows)
            return sorted(rows)


        def labels(rows):
            return {row.get("id"): row.get("name") for row in rows}
        """,
    "shop/settings.py": """
        ENABLE_GIFT_CARDS = True
        DEBUG = False
        """,
    "tests/__init__.py": "",
    "tests/helpers.py": """
        def override_feature(feature, active):
            def wrap(test):
                return test

            return wrap
        """,
    "tests/test_views.py": """
        from shop.flags import Feature
        from shop.views import checkout
        from tests.helpers import override_feature


        @override_feature(Feature.NEW_CHECKOUT, True)
        def test_new_checkout(rf):
            assert checkout(rf) == "new"


        @override_feature(Feature.DARK_MODE, False)
        def test_light_page(rf):
            assert rf
        """,
}

EXPECTED = {
    ("shop/views.py", 7, "new-checkout", "check"),
    ("shop/views.py", 13, "dark-mode", "check"),
    ("shop/views.py", 14, "ENABLE_GIFT_CARDS", "check"),
    ("shop/views.py", 20, "legacy-export", "check"),
    ("tests/test_views.py", 6, "new-checkout", "test-override"),
    ("tests/test_views.py", 11, "dark-mode", "test-override"),
}


def adopted(root: Path, files: dict[str, str]) -> list[dict[str, object]]:
    """Write the project, run `flaglint init` in it and adopt what it proposes: its patterns."""
    write(root, files)
    done = flaglint("init", cwd=root)
    assert done.returncode == 0, done.stderr
    (root / "pyproject.toml").write_text(files["pyproject.toml"] + done.stdout, encoding="utf-8")
    patterns: list[dict[str, object]] = tomllib.loads(done.stdout)["tool"]["flaglint"].get("patterns", [])
    return patterns


def found(root: Path) -> set[tuple[str, int, str, str]]:
    import json

    done = flaglint("scan", "--format", "json", "--no-cache", cwd=root)
    assert done.returncode == 0, done.stderr
    return {(r["path"], r["line"], r["key"], r["kind"]) for r in json.loads(done.stdout)["references"]}


def test_init_proposes_settings_that_find_every_check_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    write(root, SHOP)
    make_repo(root)
    assert found(root) == set()  # the built-in SDK tables know nothing of the shop's own API

    first = flaglint("scan", cwd=root)
    assert "`flaglint init` proposes the settings" in first.stderr

    shown = flaglint("init", cwd=root)
    assert shown.returncode == 0, shown.stderr
    proposal = tomllib.loads(shown.stdout)["tool"]["flaglint"]
    assert proposal["registry"]["code"]["declarations"] == ["shop/flags.py:Feature"]
    patterns = {(p["kind"], p["name"]) for p in proposal["patterns"]}
    assert ("method", "enabled") in patterns
    assert ("function", "tests.helpers.override_feature") in patterns
    assert ("attribute", "django.conf.settings") in patterns
    assert "# flags.enabled(…): 3 matches in 1 file, 3 naming a known key" in shown.stdout
    assert "#   e.g. shop/views.py:7, shop/views.py:13, shop/views.py:20" in shown.stdout
    helper = next(p for p in proposal["patterns"] if p["name"] == "tests.helpers.override_feature")
    assert helper["flag-kind"] == "test-override"
    assert helper["pin-arg"] == 1
    assert not (root / "pyproject.toml").read_text().count("tool.flaglint")  # printed, not written

    written = flaglint("init", "--write", cwd=root)
    assert written.returncode == 0, written.stderr
    assert "wrote the proposal into pyproject.toml" in written.stderr
    text = (root / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "shop"\n')
    assert found(root) == EXPECTED

    # Settings are there now: init shows the diff and writes nothing without --force.
    (root / "pyproject.toml").write_text(text.replace("pin-arg = 1", "pin-arg = 1\n# mine"))
    again = flaglint("init", "--write", cwd=root)
    assert again.returncode == 1
    assert "-# mine" in again.stdout
    assert "nothing written" in again.stderr
    assert "# mine" in (root / "pyproject.toml").read_text()
    forced = flaglint("init", "--write", "--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    assert "# mine" not in (root / "pyproject.toml").read_text()
    assert found(root) == EXPECTED


def test_init_on_a_project_without_flags_proposes_nothing_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write(root, {"app.py": "def add(a, b):\n    return {'a': a}.get('a', b)\n"})
    done = flaglint("init", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "0 patterns, 0 declarations; 0 flag references found with them" in done.stderr
    assert tomllib.loads(done.stdout)["tool"]["flaglint"] == {}


def test_key_sets_are_named_for_flags_and_a_dict_of_lists_groups_them() -> None:
    from flaglint.infer.keysets import key_sets

    source = """
import enum

FEATURES = {"dev": ["new-search", "dark-mode"], "prod": ["dark-mode"]}
FLAGS = ("beta-page", "new-nav")
NEW_CHECKOUT_FLAG = "new-checkout"
COLOURS = ("red", "blue")


class Feature(enum.Enum):
    A = "a-flag"
    B = "b-flag"


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"
    GREEN = "green"
"""
    found = {s.name: s.keys for s in key_sets("app/flags.py", source)}
    assert found == {
        "FEATURES": {"new-search", "dark-mode"},
        "FLAGS": {"beta-page", "new-nav"},
        "NEW_CHECKOUT_FLAG": {"new-checkout"},
        "Feature": {"a-flag", "b-flag"},
        "flags": {"new-checkout"},
    }


RULES = {
    "app/__init__.py": "",
    "app/features.py": """
        class Features:
            NEW_TREE = False
        """,
    "app/models.py": """
        class FeaturePrompt:
            objects = None
        """,
    "app/views.py": """
        from django.conf import settings
        from weni.flags import is_feature_active

        from app.features import Features


        def tree(project):
            if Features.NEW_TREE:
                return 1
            if is_feature_active(settings.PIN_ROOMS_FEATURE_FLAG_KEY, project):
                return 2
            if not is_feature_active(settings.AUDIT_FEATURE_FLAG_KEY, project):
                return 3
            return 0
        """,
    "tests/test_prompts.py": """
        from app.models import FeaturePrompt


        def test_prompts():
            FeaturePrompt.objects.create(feature="summary", prompt="a")
            FeaturePrompt.objects.create(feature="history", prompt="b")
        """,
}


def test_init_reads_flag_settings_and_flag_classes_but_not_fields_named_feature(tmp_path: Path) -> None:
    """Three rules: a setting named for a flag passed to a call is its (dynamic) key; attributes of
    a class named for flags read as conditions are flags; a keyword argument named `feature` takes
    only keys the project declares, so model rows with a `feature` field are no flag pins."""
    root = tmp_path / "rules"
    write(root, RULES)
    done = flaglint("init", cwd=root)
    assert done.returncode == 0, done.stderr
    patterns = {(p["kind"], p["name"]) for p in tomllib.loads(done.stdout)["tool"]["flaglint"].get("patterns", [])}
    assert patterns == {("function", "weni.flags.is_feature_active"), ("attribute", "app.features.Features")}


def test_source_roots_are_the_folders_of_the_packages_the_code_imports() -> None:
    from flaglint.infer.propose import source_roots

    files = [
        "backend/src/shop/__init__.py",
        "backend/src/shop/flags.py",
        "enterprise/src/shop_ee/__init__.py",
        "tools/scripts/__init__.py",
        "app.py",
    ]
    texts = ["from shop.flags import Feature\n", "import shop_ee.api\n", "import os\n"]
    assert source_roots(files, texts, (".", "src")) == (".", "src", "backend/src", "enterprise/src")


def test_init_replaces_only_flaglint_tables_of_a_pyproject() -> None:
    from flaglint.infer.render import has_settings, merged

    existing = (
        '[project]\nname = "x"\n\n[tool.flaglint]\nsrc = ["."]\n\n'
        '[[tool.flaglint.patterns]]\nkind = "method"\n\n[tool.ruff]\nline-length = 100\n'
    )
    assert has_settings(existing)
    assert not has_settings('[project]\nname = "x"\n\n[tool."flaglint-other"]\n')
    assert merged(existing, "[tool.flaglint]\n") == (
        '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n\n[tool.flaglint]\n'
    )


GATES = {
    "pyproject.toml": '[project]\nname = "notify"\n',
    "notify/__init__.py": "",
    "notify/limits.py": """
        from flask import current_app

        from notify.licensing import LicenseHandler

        AUDIT_LOG = "audit_log"


        def remaining(service):
            if current_app.config.get("FF_ANNUAL_LIMIT", False):
                return service.annual_limit
            if LicenseHandler.workspace_has_feature(AUDIT_LOG, service):
                return service.audit_limit
            return None


        def billable(service):
            return current_app.config.get("FF_BILLABLE_UNITS", False) and service.units


        def audited(service):
            return LicenseHandler.workspace_has_feature(AUDIT_LOG, service) or service.open
        """,
    "notify/licensing.py": """
        class LicenseHandler:
            @staticmethod
            def workspace_has_feature(feature, workspace):
                return feature in workspace.features
        """,
    "notify/errors.py": """
        class SsoErrorCode:
            FEATURE_NOT_ACTIVE = "feature-not-active"
            UNKNOWN = "unknown"


        def fail(code):
            return {"error": code}


        def denied():
            return fail(SsoErrorCode.FEATURE_NOT_ACTIVE)


        def refused():
            return fail(SsoErrorCode.FEATURE_NOT_ACTIVE)
        """,
    "tests/test_limits.py": """
        def test_limit(app):
            app.config["FF_ANNUAL_LIMIT"] = True


        def test_units(app):
            app.config["FF_BILLABLE_UNITS"] = False
        """,
    "tests/conftest.py": """
        from contextlib import contextmanager


        @contextmanager
        def set_config(app, name, value):
            old = app.config.get(name)
            app.config[name] = value
            yield
            app.config[name] = old
        """,
    "tests/test_remaining.py": """
        from tests.conftest import set_config


        def test_remaining_with_the_limit(app):
            with set_config(app, "FF_ANNUAL_LIMIT", True):
                assert app


        def test_remaining_without_it(app):
            with set_config(app, "FF_ANNUAL_LIMIT", False):
                assert app


        def test_debug(app):
            with set_config(app, "DEBUG", True):
                assert app
        """,
}


def test_init_reads_flag_keys_of_a_config_mapping_and_leaves_licences_and_error_codes(tmp_path: Path) -> None:
    """A flag-shaped key of a settings mapping (`current_app.config.get("FF_X")`, pinned in tests
    with `app.config["FF_X"] = True`) is a flag; what a licence allows is not, nor is an error
    code that happens to say feature."""
    patterns = adopted(tmp_path / "gates", GATES)
    shapes = sorted((p["kind"], p["name"], p.get("match"), p.get("flag-kind")) for p in patterns)
    assert shapes == [
        ("function", "tests.conftest.set_config", "FF_*", "test-override"),
        ("method", "get", "FF_*", None),
        ("subscript", "app.config", "FF_*", "test-override"),
    ]
    helper = next(p for p in patterns if p["name"] == "tests.conftest.set_config")
    assert (helper["key"], helper["pin-arg"]) == (1, 2)  # set_config(app, "FF_X", True)
    assert found(tmp_path / "gates") == {
        ("notify/limits.py", 9, "FF_ANNUAL_LIMIT", "check"),
        ("notify/limits.py", 17, "FF_BILLABLE_UNITS", "check"),
        ("tests/test_limits.py", 2, "FF_ANNUAL_LIMIT", "test-override"),
        ("tests/test_limits.py", 6, "FF_BILLABLE_UNITS", "test-override"),
        ("tests/test_remaining.py", 5, "FF_ANNUAL_LIMIT", "test-override"),
        ("tests/test_remaining.py", 10, "FF_ANNUAL_LIMIT", "test-override"),
    }


FLOW = {
    "pyproject.toml": '[project]\nname = "flow"\n',
    "flow/__init__.py": "",
    "flow/flags.py": """
        import enum


        class FeatureFlag(str, enum.Enum):
            CASE_TASKS = "case-tasks"
            GIT_SYNC = "git-sync"
        """,
    "flow/config.py": """
        FEATURE_FLAGS: set = set()
        """,
    "flow/gates.py": """
        from flow import config
        from flow.flags import FeatureFlag


        def is_feature_enabled(flag):
            return flag in config.FEATURE_FLAGS


        def tasks():
            if is_feature_enabled(FeatureFlag.CASE_TASKS):
                return ["task"]
            return []


        def sync():
            return "git" if is_feature_enabled(FeatureFlag.GIT_SYNC) else None
        """,
    "tests/__init__.py": "",
    "tests/test_gates.py": """
        from flow import config
        from flow.flags import FeatureFlag
        from flow.gates import sync, tasks


        def test_tasks():
            config.FEATURE_FLAGS.add(FeatureFlag.CASE_TASKS)
            assert tasks() == ["task"]


        def test_sync():
            config.FEATURE_FLAGS.add(FeatureFlag.GIT_SYNC)
            assert sync() == "git"
        """,
}


def test_init_takes_a_test_adding_a_key_to_a_set_of_flags_for_a_pin(tmp_path: Path) -> None:
    """`config.FEATURE_FLAGS.add(FeatureFlag.X)` in tests turns the flag on: a test-override that
    pins on; the same call in the code under test (or on a set not named for flags) is no pin."""
    patterns = adopted(tmp_path / "flow", FLOW)
    pins = [p for p in patterns if p.get("flag-kind") == "test-override"]
    assert pins == [
        {"kind": "function", "name": "flow.config.FEATURE_FLAGS.add", "flag-kind": "test-override", "pin": True}
    ]
    assert not [p for p in patterns if p["kind"] == "attribute"]  # FEATURE_FLAGS holds flags: it is none
    assert found(tmp_path / "flow") == {
        ("flow/gates.py", 10, "case-tasks", "check"),
        ("flow/gates.py", 16, "git-sync", "check"),
        ("tests/test_gates.py", 7, "case-tasks", "test-override"),
        ("tests/test_gates.py", 12, "git-sync", "test-override"),
    }


KEPT = {
    "pyproject.toml": '[project]\nname = "app"\n',
    "app/__init__.py": "",
    "app/feature_flags.py": """
        FLAGS = {}


        def is_enabled(flag_id, default=False):
            return FLAGS.get(flag_id, default)


        def get_setting(name):
            return FLAGS.get(name)


        def require_feature(name):
            return lambda: FLAGS.get(name, False)


        async def ais_enabled(flag_id, default=False):
            return FLAGS.get(flag_id, default)
        """,
    "app/views.py": """
        from app.feature_flags import ais_enabled, is_enabled


        def page():
            shown = is_enabled("new-ui")
            return "new" if shown else "old"


        def banner():
            with_banner = is_enabled("banner")
            if with_banner:
                return 1
            return 0


        async def search():
            if await ais_enabled("fast-search"):
                return 1
            return 0


        async def listing():
            if await ais_enabled("infinite-scroll"):
                return 2
            return 0
        """,
    "app/routes.py": """
        from fastapi import Depends

        from app.feature_flags import require_feature


        def export(ok=Depends(require_feature("exports"))):
            return ok


        def upload(ok=Depends(require_feature("uploads"))):
            return ok
        """,
    "app/logs.py": """
        from app.feature_flags import get_setting


        def level():
            quiet = get_setting("LOG_MISSING_FLAGS")
            return 10 if quiet else 20


        def verbose():
            if get_setting("AUDIT_FEATURES"):
                return 1
            return 0
        """,
}


def test_init_takes_a_check_kept_in_a_name_or_awaited_as_deciding_its_branch(tmp_path: Path) -> None:
    """A call named for flags whose keys nothing declares is taken only when it decides branches:
    also when its result is kept in a name a test then reads, when the test awaits it, and when a
    route depends on it (`Depends(require_feature("k"))`). A setting named for a set of flags
    (`LOG_MISSING_FLAGS`) is about flags, not one of them."""
    adopted(tmp_path / "app", KEPT)
    assert found(tmp_path / "app") == {
        ("app/views.py", 5, "new-ui", "check"),
        ("app/views.py", 10, "banner", "check"),
        ("app/views.py", 17, "fast-search", "check"),
        ("app/views.py", 23, "infinite-scroll", "check"),
        ("app/routes.py", 6, "exports", "check"),
        ("app/routes.py", 10, "uploads", "check"),
    }


NEWER = {
    "pyproject.toml": '[project]\nname = "site"\n',
    "site/__init__.py": "",
    "site/views.py": """
        from django.conf import settings


        def index(request):
            if settings.ENABLE_WAYBACK:
                return "archived"
            return settings.FEATURES_DEFAULT
        """,
    "site/serializers.py": """
        def describe(value):
            try:
                return value.name
            except AttributeError, TypeError:
                return ""
        """,
}


def test_init_names_the_files_it_cannot_read_and_no_setting_about_every_flag(tmp_path: Path) -> None:
    """A module of syntax newer than this Python is listed, not silently skipped; a setting
    whose name begins with a plural of flag (the default of every feature) is no flag."""
    root = tmp_path / "site"
    write(root, NEWER)
    done = flaglint("init", cwd=root)
    assert done.returncode == 0, done.stderr
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if sys.version_info < (3, 14):
        assert f"# Not read for proposals (this Python, {version}, cannot parse them" in done.stdout
        assert "#   site/serializers.py" in done.stdout
    patterns = tomllib.loads(done.stdout)["tool"]["flaglint"].get("patterns", [])
    assert [(p["name"], p["match"]) for p in patterns] == [("django.conf.settings", "ENABLE_*")]
