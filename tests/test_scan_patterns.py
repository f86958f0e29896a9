"""Which code is a flag reference: one (source, expected) table per SDK and per custom kind."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from flaglint.engine.detect import scan_source
from flaglint.engine.patterns import BUILTIN_PATTERNS, Pattern, custom_pattern
from flaglint.model import ModuleName

MODULE = ModuleName("app.views", "app")


def refs(source: str, patterns: Sequence[Pattern] = BUILTIN_PATTERNS) -> list[tuple[Any, ...]]:
    scan = scan_source("app/views.py", textwrap.dedent(source), MODULE, patterns)
    assert not scan.problems
    return [(r.key or r.key_symbol or f"<{r.key_text}>", r.kind.value, r.pattern, r.default) for r in scan.refs]


SDK_CASES = {
    "unleash is_enabled on an UnleashClient": (
        """
        from UnleashClient import UnleashClient
        client = UnleashClient(url="u", app_name="a")
        if client.is_enabled("new-checkout", {"userId": "1"}):
            pass
        """,
        [("new-checkout", "check", "unleash.is_enabled", None)],
    ),
    "unleash keyword key and get_variant": (
        """
        import UnleashClient
        unleash.is_enabled(feature_name="a")
        unleash.get_variant("b")
        """,
        [("a", "check", "unleash.is_enabled", None), ("b", "variant", "unleash.get_variant", None)],
    ),
    "openfeature typed getters with defaults": (
        """
        from openfeature import api
        client = api.get_client()
        client.get_boolean_value("a", False)
        client.get_string_value(flag_key="b", default_value="light")
        client.get_integer_value("c", 3)
        client.get_float_value("d", 0.5)
        client.get_object_value("e", {})
        client.get_boolean_details("f", True)
        """,
        [
            ("a", "check", "openfeature.get_boolean_value", "False"),
            ("b", "variant", "openfeature.get_string_value", '"light"'),
            ("c", "value", "openfeature.get_integer_value", "3"),
            ("d", "value", "openfeature.get_float_value", "0.5"),
            ("e", "value", "openfeature.get_object_value", "{}"),
            ("f", "check", "openfeature.get_boolean_details", "True"),
        ],
    ),
    "launchdarkly variation through ldclient.get()": (
        """
        import ldclient
        ldclient.get().variation("a", context, False)
        ldclient.get().variation_detail("b", context, default="x")
        """,
        [("a", "value", "launchdarkly.variation", "False"), ("b", "value", "launchdarkly.variation_detail", '"x"')],
    ),
    "flagsmith flags object": (
        """
        from flagsmith import Flagsmith
        flags = Flagsmith(environment_key="k").get_environment_flags()
        flags.is_feature_enabled("a")
        flags.get_feature_value("b")
        """,
        [("a", "check", "flagsmith.is_feature_enabled", None), ("b", "value", "flagsmith.get_feature_value", None)],
    ),
    "growthbook is_on, is_off, values": (
        """
        from growthbook import GrowthBook
        gb = GrowthBook()
        gb.is_on("a")
        gb.is_off("b")
        gb.get_feature_value("c", "blue")
        gb.eval_feature("d")
        """,
        [
            ("a", "check", "growthbook.is_on", None),
            ("b", "check", "growthbook.is_off", None),
            ("c", "value", "growthbook.get_feature_value", '"blue"'),
            ("d", "value", "growthbook.eval_feature", None),
        ],
    ),
    "posthog module functions and client methods": (
        """
        import posthog
        from posthog import Posthog, get_feature_flag
        posthog.feature_enabled("a", "user")
        get_feature_flag("b", "user")
        Posthog("key").get_feature_flag_payload("c", "user")
        """,
        [
            ("a", "check", "posthog.feature_enabled", None),
            ("b", "variant", "posthog.get_feature_flag", None),
            ("c", "value", "posthog.get_feature_flag_payload", None),
        ],
    ),
    "waffle checks, decorators and test helpers": (
        """
        import waffle
        from waffle import switch_is_active, sample_is_active
        from waffle.decorators import waffle_flag, waffle_switch
        from waffle.testutils import override_flag, override_switch, override_sample

        @waffle_flag("a")
        def view(request):
            return waffle.flag_is_active(request, "b") and switch_is_active("c") and sample_is_active("d")

        @waffle_switch("e")
        def other(request): ...

        @override_flag("f", active=True)
        def test_x():
            with override_switch("g", active=False), override_sample("h", True):
                pass
        """,
        [
            ("a", "decorator", "waffle.waffle_flag", None),
            ("b", "check", "waffle.flag_is_active", None),
            ("c", "check", "waffle.switch_is_active", None),
            ("d", "check", "waffle.sample_is_active", None),
            ("e", "decorator", "waffle.waffle_switch", None),
            ("f", "test-override", "waffle.override_flag", None),
            ("g", "test-override", "waffle.override_switch", None),
            ("h", "test-override", "waffle.override_sample", None),
        ],
    ),
    "an aliased import still matches": (
        """
        from waffle import flag_is_active as active
        active(request, "a")
        """,
        [("a", "check", "waffle.flag_is_active", None)],
    ),
}


@pytest.mark.parametrize(("source", "expected"), SDK_CASES.values(), ids=SDK_CASES.keys())
def test_sdk_patterns(source: str, expected: list[tuple]) -> None:
    assert refs(source) == expected


NEGATIVE_CASES = {
    "is_enabled on an unrelated object with no SDK import": """
        def setup(plugin):
            return plugin.is_enabled("search")
        """,
    "variation with a dynamic key and no SDK import": """
        def pick(design, name):
            return design.variation(name)
        """,
    "a method without the key argument": """
        import UnleashClient
        button.is_enabled()
        """,
    "a local function that shadows the waffle name": """
        def flag_is_active(request, name):
            return True
        flag_is_active(None, "x")
        """,
    "the SDK's name inside a string or comment": """
        # client.is_enabled("a")
        text = 'client.is_enabled("b")'
        """,
    "a name that only contains a pattern's name": """
        import UnleashClient
        client.is_enabled_for("a")
        """,
}


@pytest.mark.parametrize("source", NEGATIVE_CASES.values(), ids=NEGATIVE_CASES.keys())
def test_not_flag_references(source: str) -> None:
    assert refs(source) == []


def test_a_flag_like_receiver_with_a_literal_key_is_a_reference() -> None:
    # No SDK import in this file: the receiver's name and the literal key together decide.
    assert refs('feature_flags.is_enabled("a")') == [("a", "check", "unleash.is_enabled", None)]


def test_a_flag_like_receiver_with_a_dynamic_key_is_not() -> None:
    assert refs("def f(key):\n    feature_flags.is_enabled(key)\n") == []


def custom(*entries: dict) -> tuple:
    return tuple(custom_pattern(entry, number) for number, entry in enumerate(entries))


CUSTOM_CASES = {
    "function by qualified name, key by position": (
        {"kind": "function", "name": "app.flags.is_feature_flag_active"},
        """
        from app.flags import is_feature_flag_active
        from other import is_feature_flag_active as elsewhere
        is_feature_flag_active("a")
        elsewhere("not-ours")
        """,
        [("a", "check", "custom.app.flags.is_feature_flag_active", None)],
    ),
    "function by bare name, key by keyword": (
        {"kind": "function", "name": "flag_on", "key-keyword": "flag"},
        """
        flag_on(user, flag="a")
        flag_on(flag="b")
        """,
        [("a", "check", "custom.flag_on", None), ("b", "check", "custom.flag_on", None)],
    ),
    "method on any receiver, with a default": (
        {"kind": "method", "name": "feature", "default": 1},
        """
        request.feature("a", False)
        self.request.feature("b")
        """,
        [("a", "check", "custom.feature", "False"), ("b", "check", "custom.feature", None)],
    ),
    "method on a named receiver only": (
        {"kind": "method", "name": "has_feature", "receiver": "project"},
        """
        project.has_feature("a")
        self.project.has_feature("b")
        team.has_feature("c")
        """,
        [("a", "check", "custom.has_feature", None), ("b", "check", "custom.has_feature", None)],
    ),
    "method on receivers named by a glob": (
        {"kind": "method", "name": "has_feature", "receiver": "*project"},
        """
        project.has_feature("a")
        self.instance.main_project.has_feature("b")
        parent_project.has_feature("c")
        team.has_feature("d")
        """,
        [
            ("a", "check", "custom.has_feature", None),
            ("b", "check", "custom.has_feature", None),
            ("c", "check", "custom.has_feature", None),
        ],
    ),
    "method narrowed by match": (
        {"kind": "method", "name": "enabled", "match": "ff-*"},
        """
        request.enabled("ff-new-search")
        request.enabled("permission-admin")
        request.enabled(name)
        """,
        [("ff-new-search", "check", "custom.enabled", None)],
    ),
    "decorator": (
        {"kind": "decorator", "name": "feature_flagged_view"},
        """
        @feature_flagged_view("a")
        def view(request): ...

        @feature_flagged_view
        def no_key(request): ...
        """,
        [("a", "decorator", "custom.feature_flagged_view", None)],
    ),
    "attribute read: the attribute name is the key": (
        {"kind": "attribute", "name": "django.conf.settings", "match": "ENABLE_*"},
        """
        from django.conf import settings
        if settings.ENABLE_X and settings.DEBUG:
            settings.ENABLE_Y = True
        """,
        [("ENABLE_X", "check", "custom.django.conf.settings", None)],
    ),
    "subscript read with a glob over keys": (
        {"kind": "subscript", "name": "app.config", "match": "FF_*"},
        """
        if app.config["FF_X"] and app.config["SECRET_KEY"]:
            app.config["FF_Y"] = False
        """,
        [("FF_X", "check", "custom.app.config", None)],
    ),
    "variant kind on a custom method": (
        {"kind": "method", "name": "variant_of", "flag-kind": "variant"},
        """
        experiments.variant_of("a")
        """,
        [("a", "variant", "custom.variant_of", None)],
    ),
}


@pytest.mark.parametrize(("entry", "source", "expected"), CUSTOM_CASES.values(), ids=CUSTOM_CASES.keys())
def test_custom_patterns(entry: dict, source: str, expected: list[tuple]) -> None:
    assert refs(source, custom(entry)) == expected


def test_dynamic_keys_are_reported_never_guessed() -> None:
    source = """
        from UnleashClient import UnleashClient
        client = UnleashClient()
        def f(name, kind):
            key = "local-but-variable"
            client.is_enabled(name)
            client.is_enabled(f"feature-{kind}")
            client.is_enabled(key)
            client.is_enabled(make_key())
        """
    found = refs(source)
    assert [r[0] for r in found] == ["<name>", '<f"feature-{kind}">', "<key>", "<make_key()>"]


def test_positions_are_one_based_and_cover_the_call() -> None:
    scan = scan_source("m.py", 'import UnleashClient\nx = (\n    c.is_enabled("a")\n)\n', MODULE, BUILTIN_PATTERNS)
    (ref,) = scan.refs
    assert (ref.span.line, ref.span.column, ref.span.end_line, ref.span.end_column) == (3, 5, 3, 22)


def test_suppression_comment_lists_codes() -> None:
    source = "import UnleashClient\n" + 'c.is_enabled("a")  # flaglint: ignore[FL005, FL006]\n'
    source += 'c.is_enabled("b")  # flaglint: ignore\n'
    scan = scan_source("m.py", source, MODULE, BUILTIN_PATTERNS)
    assert [sorted(r.suppressed) for r in scan.refs] == [["FL005", "FL006"], ["*"]]


def test_syntax_error_is_a_problem_with_position() -> None:
    scan = scan_source("bad.py", "def f(:\n    pass\n", MODULE, BUILTIN_PATTERNS)
    (problem,) = scan.problems
    assert (problem.path, problem.line) == ("bad.py", 1)
    assert problem.message.startswith("syntax error")


def test_a_key_named_only_by_keyword_is_read_from_that_keyword_only() -> None:
    # django_dynamic_fixture.get(Model, feature_id="k"): `get(Project)` is no reference at all
    # (it once fell back to position 0 and became a dynamic key).
    pattern = custom_pattern({"kind": "function", "name": "django_dynamic_fixture.get", "key-keyword": "feature_id"}, 0)
    source = """
        from django_dynamic_fixture import get
        get(Project)
        get(Feature, feature_id="new-search")
        """
    assert [key for key, *_ in refs(source, (pattern,))] == ["new-search"]


def test_a_row_whose_match_refuses_a_call_gives_way_to_the_next() -> None:
    """Two `get` patterns on one config mapping, told apart by `match`: each takes its own keys."""
    enabled = custom_pattern(
        {"kind": "method", "name": "get", "receiver": "*config", "key": 0, "match": "*_ENABLED"}, 0
    )
    flags = custom_pattern({"kind": "method", "name": "get", "receiver": "*config", "key": 0, "match": "FF_*"}, 1)
    source = """
        from flask import current_app
        a = current_app.config.get("REDIS_ENABLED")
        b = current_app.config.get("FF_ANNUAL_LIMIT", False)
        c = current_app.config.get("SECRET_KEY")
        """
    assert [(key, kind) for key, kind, _, _ in refs(source, [enabled, flags])] == [
        ("REDIS_ENABLED", "check"),
        ("FF_ANNUAL_LIMIT", "check"),
    ]


def test_match_also_narrows_keys_named_by_constants(tmp_path: Path) -> None:
    """`config[REGISTRY_KEY]` is no `ENABLE_*` setting once REGISTRY_KEY resolves to "registry";
    `config[FLAG]` with FLAG = "ENABLE_MODEL" is one (through the console script)."""
    from tests.test_clean_cli import flaglint, write

    settings = (
        '[tool.flaglint]\n[[tool.flaglint.patterns]]\nkind = "subscript"\nname = "app.config"\nmatch = "ENABLE_*"\n'
    )
    module = """
        from flask import current_app as app

        REGISTRY_KEY = "registry"
        FLAG = "ENABLE_MODEL"


        def view():
            registry = app.config[REGISTRY_KEY]
            if app.config[FLAG]:
                return registry
            return app.config["ENABLE_PER_CAPITA"]
        """
    write(tmp_path, {"pyproject.toml": settings, "app/__init__.py": "", "app/views.py": module})
    done = flaglint("scan", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    keys = [line.split(": ")[1].split(" ")[0] for line in done.stdout.splitlines() if line.startswith("app/")]
    assert keys == ["ENABLE_MODEL", "ENABLE_PER_CAPITA"]
