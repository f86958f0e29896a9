"""Scanning whole projects: key resolution across modules, file discovery, bad input, cache, workers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flaglint.engine.config import Config, load_config
from flaglint.engine.workspace import Workspace, module_name, scan_project
from flaglint.model import KeySource

MakeProject = Callable[[dict[str, str]], Path]

FLAGS_MODULE = """
    import enum
    from enum import Enum, StrEnum, auto

    NEW_CHECKOUT = "new-checkout"
    OTHER: str = "other-flag"

    class Feature(str, Enum):
        DARK = "dark-mode"
        PRICING = "dynamic-pricing"

    class Toggle(StrEnum):
        LOUD_BANNER = auto()

    class Flags:
        SEARCH = "search-v2"

    class Plain(enum.Enum):
        RENAMED = "the-value-differs"
    """


def keys(root: Path, **kwargs: Any) -> list[tuple[str, str | None, KeySource]]:
    result = scan_project(Config(root=root), **kwargs)
    return [(f"{r.path}:{r.span.line}", r.key, r.key_source) for r in result.refs]


def test_keys_resolve_through_constants_enums_and_imports(make_project: MakeProject) -> None:
    root = make_project(
        {
            "app/__init__.py": "",
            "app/flags.py": FLAGS_MODULE,
            "app/keys/__init__.py": "from app.flags import NEW_CHECKOUT as RENAMED_CHECKOUT\nfrom .more import LATE\n",
            "app/keys/more.py": 'LATE = "late-flag"\n',
            "app/views.py": """
                import UnleashClient
                from app import flags
                from app.flags import NEW_CHECKOUT, Feature, Flags, Plain, Toggle
                from app.keys import LATE, RENAMED_CHECKOUT
                from .flags import OTHER
                LOCAL = "local-flag"

                def view(client):
                    client.is_enabled(NEW_CHECKOUT)
                    client.is_enabled(Feature.DARK.value)
                    client.is_enabled(Feature.PRICING)
                    client.is_enabled(Flags.SEARCH)
                    client.is_enabled(Plain.RENAMED.value)
                    client.is_enabled(Plain.RENAMED.name)
                    client.is_enabled(Toggle.LOUD_BANNER)
                    client.is_enabled(flags.OTHER)
                    client.is_enabled(OTHER)
                    client.is_enabled(LOCAL)
                    client.is_enabled(RENAMED_CHECKOUT)
                    client.is_enabled(LATE)
                    client.is_enabled(flags.MISSING)
                """,
        }
    )
    found = [(key, source) for _, key, source in keys(root)]
    assert found == [
        ("new-checkout", KeySource.CONSTANT),
        ("dark-mode", KeySource.ENUM),
        ("dynamic-pricing", KeySource.ENUM),
        ("search-v2", KeySource.CONSTANT),
        ("the-value-differs", KeySource.ENUM),
        ("RENAMED", KeySource.ENUM),
        ("loud_banner", KeySource.ENUM),
        ("other-flag", KeySource.CONSTANT),
        ("other-flag", KeySource.CONSTANT),
        ("local-flag", KeySource.CONSTANT),
        ("new-checkout", KeySource.CONSTANT),
        ("late-flag", KeySource.CONSTANT),
        (None, KeySource.DYNAMIC),
    ]


def test_keys_resolve_from_a_src_layout_and_an_unscanned_module(make_project: MakeProject) -> None:
    root = make_project(
        {
            "pyproject.toml": "[tool.flaglint]\nsrc = ['src']\n",
            "src/pkg/__init__.py": "",
            "src/pkg/names.py": 'KEY = "from-src"\n',
            "src/pkg/use.py": "import UnleashClient\nfrom pkg.names import KEY\nc.is_enabled(KEY)\n",
        }
    )
    config = load_config(root / "pyproject.toml", root)
    # Only use.py is scanned (as a pre-commit hook would pass it); names.py is still read for its constant.
    result = scan_project(config, [root / "src/pkg/use.py"])
    assert [r.key for r in result.refs] == ["from-src"]
    assert not result.covers_root


TOGGLES = {
    "app/__init__.py": "from .toggles import LOG_REQUESTS as LOGGING\n",
    "app/toggles.py": """
        import logging

        from edx_toggles.toggles import WaffleFlag, WaffleSwitch

        NEW_PAGE = WaffleSwitch("app.new_page", module_name=__name__)
        LOG_REQUESTS: WaffleFlag = WaffleFlag(name="app.log_requests", module_name=__name__)
        log = logging.getLogger(__name__)
        """,
    "app/views.py": """
        from app import LOGGING, toggles
        from app.toggles import NEW_PAGE as PAGE, log
        from django.conf import settings

        def view(request, switch):
            PAGE.is_enabled()
            toggles.NEW_PAGE.is_enabled()
            LOGGING.is_enabled()
            log.is_enabled()
            settings.AUDIT.is_enabled()
            switch.is_enabled()
        """,
}


def test_flag_objects_resolve_through_imports_aliases_and_reexports(make_project: MakeProject) -> None:
    root = make_project(TOGGLES)
    found = keys(root)
    assert found == [
        ("app/toggles.py:6", "app.new_page", KeySource.LITERAL),
        ("app/toggles.py:7", "app.log_requests", KeySource.LITERAL),
        ("app/views.py:7", "app.new_page", KeySource.OBJECT),
        ("app/views.py:8", "app.new_page", KeySource.OBJECT),
        ("app/views.py:9", "app.log_requests", KeySource.OBJECT),
    ]  # a logger, Django settings and a parameter are no flag objects flaglint can follow
    # Only views.py is scanned (a pre-commit hook on one file): toggles.py is read for its objects.
    result = scan_project(Config(root=root), [root / "app/views.py"], use_cache=False)
    assert [r.key for r in result.refs] == ["app.new_page", "app.new_page", "app.log_requests"]


def test_module_names_follow_src_folders() -> None:
    assert module_name("src/pkg/mod.py", (".", "src")) == ("pkg.mod", "pkg")
    assert module_name("src/pkg/__init__.py", (".", "src")) == ("pkg", "pkg")
    assert module_name("app/views.py", (".", "src")) == ("app.views", "app")
    assert module_name("top.py", (".",)) == ("top", "")


def test_discovery_skips_gitignored_excluded_and_virtualenv_files(make_project: MakeProject) -> None:
    use = 'import UnleashClient\nc.is_enabled("x")\n'
    root = make_project(
        {
            ".gitignore": "generated/\n*_pb2.py\n",
            "pyproject.toml": "[tool.flaglint]\nexclude = ['migrations/', 'legacy_*.py']\n",
            "app/main.py": use,
            "app/sub/.gitignore": "local.py\n",
            "app/sub/local.py": use,
            "app/sub/kept.py": use,
            "generated/a.py": use,
            "app/api_pb2.py": use,
            "app/migrations/0001.py": use,
            "app/legacy_views.py": use,
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/x.py": use,
            ".venv/lib/y.py": use,
            "lib/site-packages/z.py": use,
            "node_modules/w.py": use,
        }
    )
    config = load_config(root / "pyproject.toml", root)
    result = scan_project(config)
    assert sorted({r.path for r in result.refs}) == ["app/main.py", "app/sub/kept.py"]


def test_explicit_files_still_honour_configured_excludes(make_project: MakeProject) -> None:
    root = make_project(
        {
            "pyproject.toml": "[tool.flaglint]\nexclude = ['migrations/']\n",
            "app/migrations/0001.py": 'import UnleashClient\nc.is_enabled("x")\n',
        }
    )
    config = load_config(root / "pyproject.toml", root)
    assert scan_project(config, [root / "app/migrations/0001.py"]).refs == ()


def test_bad_files_are_reported_and_the_scan_goes_on(make_project: MakeProject) -> None:
    root = make_project(
        {
            "a_broken.py": "import UnleashClient\ndef f(:\n    c.is_enabled('x')\n",
            "b_ok.py": 'import UnleashClient\nc.is_enabled("ok")\n',
        }
    )
    (root / "c_latin1.py").write_bytes(b'import UnleashClient\nc.is_enabled("caf\xe9")\n')
    (root / "d_cookie.py").write_bytes(b'# -*- coding: latin-1 -*-\nimport UnleashClient\nc.is_enabled("caf\xe9")\n')
    (root / "e_bom.py").write_bytes(b'\xef\xbb\xbfimport UnleashClient\nc.is_enabled("bom")\n')
    result = scan_project(Config(root=root), use_cache=False)
    assert [str(p) for p in result.problems] == [
        "a_broken.py:2:7: syntax error: invalid syntax",
        "c_latin1.py:2:18: cannot decode as utf-8: invalid byte 0xe9",
    ]
    assert [(r.path, r.key) for r in result.refs] == [("b_ok.py", "ok"), ("d_cookie.py", "café"), ("e_bom.py", "bom")]


def test_missing_path_is_a_problem(make_project: MakeProject) -> None:
    root = make_project({"a.py": ""})
    result = scan_project(Config(root=root), [root / "nope"])
    assert [p.message for p in result.problems] == ["no such file or directory"]


def test_warm_cache_skips_unchanged_files_and_notices_changes(make_project: MakeProject) -> None:
    root = make_project(
        {
            "app/__init__.py": "",
            "app/keys.py": 'K = "first"\n',
            "app/use.py": "import UnleashClient\nfrom app.keys import K\nc.is_enabled(K)\n",
            "app/other.py": "x = 1\n",
        }
    )
    config = Config(root=root)
    cold = scan_project(config)
    assert (cold.parsed, cold.from_cache) == (1, 0)
    warm = scan_project(config)
    assert (warm.parsed, warm.from_cache) == (0, 4)
    assert warm.refs == cold.refs
    assert any((root / ".flaglint_cache").glob("scan-*.json"))

    keys_file = root / "app/keys.py"
    keys_file.write_text('K = "second"\n', encoding="utf-8")
    os.utime(keys_file, ns=(1, 1))
    changed = scan_project(config)
    assert [r.key for r in changed.refs] == ["second"]

    # Same content, new mtime: the content hash lets the entry be reused without parsing.
    use = root / "app/use.py"
    os.utime(use, ns=(2, 2))
    again = scan_project(config)
    assert again.parsed == 0
    assert [r.key for r in again.refs] == ["second"]


def test_the_layout_a_rewrite_cuts_by_comes_back_from_the_cache(make_project: MakeProject) -> None:
    root = make_project({"use.py": "import UnleashClient\n\n\ndef f():\n    return c.is_enabled('k')\n"})
    cold = Workspace(Config(root=root))
    cold.scan()
    warm = Workspace(Config(root=root))
    warm.scan()
    assert warm.from_cache == 1
    assert warm.scans["use.py"].layout == cold.scans["use.py"].layout == ((1, 1), (4, 5))


def test_corrupt_cache_is_ignored(make_project: MakeProject) -> None:
    root = make_project({"a.py": 'import UnleashClient\nc.is_enabled("x")\n'})
    scan_project(Config(root=root))
    for file in (root / ".flaglint_cache").glob("scan-*.json"):
        file.write_text("{not json", encoding="utf-8")
    assert [r.key for r in scan_project(Config(root=root)).refs] == ["x"]


PADDING = '"""' + "x" * 120_000 + '"""\n'  # large enough files to be worth a process pool


def test_parallel_workers_give_the_same_result_as_one(make_project: MakeProject) -> None:
    body = "\n".join(f"def f{i}(c):\n    return c.is_enabled('flag-{i}')\n" for i in range(20))
    root = make_project({f"m{n}.py": PADDING + "import UnleashClient\n" + body for n in range(4)})
    single = scan_project(Config(root=root), jobs=1, use_cache=False)
    several = scan_project(Config(root=root), jobs=2, use_cache=False)
    assert len(single.refs) == 80
    assert several.refs == single.refs


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_is_reported_up_to_the_total(make_project: MakeProject, jobs: int) -> None:
    root = make_project({f"m{n}.py": PADDING + "import UnleashClient\nc.is_enabled('a')\n" for n in range(3)})
    seen: list[tuple[int, int]] = []
    scan_project(Config(root=root), jobs=jobs, use_cache=False, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1]


def test_a_projects_own_flag_object_class_is_a_pattern_of_kind_object(make_project: MakeProject) -> None:
    root = make_project(
        {
            "pyproject.toml": """
                [tool.flaglint]
                sdks = []

                [[tool.flaglint.patterns]]
                kind = "object"
                name = "lms.waffle_utils.CourseWaffleFlag"
                check = ["is_enabled", "is_enabled_without_course_context"]
                """,
            "lms/__init__.py": "",
            "lms/waffle_utils.py": "class CourseWaffleFlag:\n    pass\n",
            "lms/toggles.py": """
                from lms.waffle_utils import CourseWaffleFlag

                RELATIVE_DATES = CourseWaffleFlag("course_experience.relative_dates", __name__)
                """,
            "lms/views.py": """
                from lms.toggles import RELATIVE_DATES

                def dates(course_key):
                    if RELATIVE_DATES.is_enabled(course_key):
                        return "relative"
                    return "absolute" if RELATIVE_DATES.is_enabled_without_course_context() else "none"
                """,
        }
    )
    config = load_config(root / "pyproject.toml", root)
    result = scan_project(config, use_cache=False)
    assert [(r.path, r.span.line, r.kind.value, r.key) for r in result.refs] == [
        ("lms/toggles.py", 4, "declaration", "course_experience.relative_dates"),
        ("lms/views.py", 5, "check", "course_experience.relative_dates"),
        ("lms/views.py", 7, "check", "course_experience.relative_dates"),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('kind = "object"\nname = "Flag"', "name must be the dotted name of the class"),
        ('kind = "object"\nname = "app.Flag"\ncheck = 3', "check is a method name, or a list of them"),
        ('kind = "object"\nname = "app.Flag"\nmatch = "x*"', "unknown field 'match' for kind = 'object'"),
    ],
)
def test_a_bad_object_pattern_is_one_clear_line(make_project: MakeProject, entry: str, message: str) -> None:
    from flaglint.engine.config import ConfigError

    root = make_project({"pyproject.toml": f"[tool.flaglint]\n\n[[tool.flaglint.patterns]]\n{entry}\n"})
    with pytest.raises(ConfigError) as raised:
        load_config(root / "pyproject.toml", root)
    assert message in str(raised.value)
    assert "pyproject.toml:" in str(raised.value)
