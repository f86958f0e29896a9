"""flags.toml and [tool.flaglint]: valid input becomes data, bad input becomes one line per problem."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flaglint.engine.config import ConfigError, load_config
from flaglint.engine.tomlpos import locate
from flaglint.model import FlagState, FlagType, Location
from flaglint.registry.flags_toml import FlagsToml, parse_flags_toml
from flaglint.registry.load import RegistryError


def test_a_full_flag_entry() -> None:
    text = textwrap.dedent(
        """
        [flags.new-checkout]
        type = "release"
        owner = "team-payments"
        created = 2026-01-05
        state = "rolled-out"
        value = true
        remove_by = 2026-03-01
        description = "One-page checkout"

        [flags."theme.colour"]
        state = "off"
        value = "light"
        stale = true
        """
    )
    flags, problems = parse_flags_toml(text, "flags.toml")
    assert problems == []
    checkout, theme = flags
    assert checkout.type is FlagType.RELEASE
    assert checkout.state is FlagState.ROLLED_OUT
    assert (checkout.value, checkout.owner) == ("True", "team-payments")
    assert (checkout.created, checkout.remove_by) == (dt.date(2026, 1, 5), dt.date(2026, 3, 1))
    assert checkout.location == Location("flags.toml", 2)
    assert (theme.key, theme.value, theme.stale, theme.type) == ("theme.colour", "'light'", True, FlagType.RELEASE)
    assert theme.location == Location("flags.toml", 11)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('type = "toggle"', "flags.toml:3: flag 'k': unknown type 'toggle' (one of release, experiment,"),
        ('state = "done"', "flags.toml:3: flag 'k': unknown state 'done' (one of active, rolled-out, off, archived)"),
        ('created = "last week"', "flags.toml:3: flag 'k': created must be a date like 2026-01-31, not 'last week'"),
        ('state = "rolled-out"', "flags.toml:2: flag 'k': a rolled-out flag needs `value`"),
        ('colour = "red"', "flags.toml:3: flag 'k': unknown field 'colour'"),
        ("stale = 1", "flags.toml:3: flag 'k': stale must be true or false"),
        ('stage = "beta"', "flags.toml:3: flag 'k': unknown stage 'beta' (one of initial, pre-live, live, completed)"),
        ('changed = "recently"', "flags.toml:3: flag 'k': changed must be a date like 2026-01-31"),
        ('last_seen = { production = "today" }', "flags.toml:3: flag 'k': last_seen.production must be a date-time"),
    ],
)
def test_bad_entries_name_file_and_line(entry: str, expected: str) -> None:
    _, problems = parse_flags_toml(f"\n[flags.k]\n{entry}\n", "flags.toml")
    assert len(problems) == 1
    assert str(problems[0]).startswith(expected)


def test_invalid_toml_names_the_line() -> None:
    _, problems = parse_flags_toml('[flags.a]\ntype = "release"\nstate = \n', "flags.toml")
    assert str(problems[0]).startswith("flags.toml:3: invalid TOML")


def test_every_bad_entry_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "flags.toml"
    path.write_text('[flags.a]\ntype = "x"\n[flags.b]\nstate = "y"\n[flags.c]\n', encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        FlagsToml(path, "flags.toml").load()
    assert [p.line for p in caught.value.problems] == [2, 4]


def test_missing_registry_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="registry file not found"):
        FlagsToml(tmp_path / "nope.toml").load()


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n\n[tool.flaglint]\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def test_config_defaults_and_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        registry = "ops/flags.toml"
        exclude = ["migrations/"]
        sdks = ["unleash", "waffle"]
        fail-on = "warning"
        ignore = ["FL007"]
        jobs = 3
        [tool.flaglint.lifetimes]
        release = 14
        operational = "never"
        """,
    )
    config = load_config(path, tmp_path)
    assert config.registry_path == tmp_path / "ops/flags.toml"
    assert config.lifetimes[FlagType.RELEASE] == 14
    assert config.lifetimes[FlagType.OPERATIONAL] is None
    assert config.lifetimes[FlagType.EXPERIMENT] == 40
    assert {p.sdk for p in config.patterns} == {"unleash", "waffle"}
    assert (config.fail_on.value, config.ignore, config.jobs) == ("warning", frozenset({"FL007"}), 3)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('colour = "red"\n', 5, "unknown setting 'colour'"),
        ('fail-on = "sometimes"\n', 5, "fail-on must be one of"),
        ('sdks = ["unleash", "flipper"]\n', 5, "unknown SDK 'flipper'"),
        ('ignore = ["FL099"]\n', 5, "unknown code 'FL099'"),
        ("settle-days = -1\n", 5, "settle-days must be a whole number of days"),
        ("[tool.flaglint.lifetimes]\nrelease = -3\n", 6, "lifetime of 'release' must be"),
        (
            '[[tool.flaglint.patterns]]\nkind = "function"\nname = "ok"\n\n'
            '[[tool.flaglint.patterns]]\nkind = "lambda"\n',
            9,
            "pattern #2: kind must be one of",
        ),
        (
            '[[tool.flaglint.patterns]]\nkind = "attribute"\nname = "settings"\n',
            5,
            "pattern #1: kind = 'attribute' needs match",
        ),
        ('[[tool.flaglint.patterns]]\nkind = "method"\nname = "f"\nkey = -1\n', 5, "key must be a non-negative"),
        (
            '[[tool.flaglint.patterns]]\nkind = "keyword"\nname = "pyramid.view.view_config"\n',
            5,
            "pattern #1: kind = 'keyword' needs key-keyword",
        ),
        (
            '[[tool.flaglint.patterns]]\nkind = "function"\nname = "f"\nnegate = "not_"\n',
            5,
            "pattern #1: negate is a dotted name and only applies to kind = 'keyword'",
        ),
        (
            '[[tool.flaglint.patterns]]\nkind = "function"\nname = "pin_it"\npin = true\n',
            5,
            "pattern #1: pin, pin-arg and pin-keyword only apply to flag-kind = 'test-override'",
        ),
        (
            '[[tool.flaglint.patterns]]\nkind = "function"\nname = "pin"\nflag-kind = "test-override"\npin = "yes"\n',
            5,
            "pattern #1: pin is true or false",
        ),
        (
            '[[tool.flaglint.patterns]]\nkind = "membership"\nname = "features"\nflag-kind = "value"\n',
            5,
            "pattern #1: kind = 'membership' is a check: it takes no flag-kind",
        ),
        (
            '[[tool.flaglint.patterns]]\nkind = "decorator"\nname = "gate"\nflag = "k"\n',
            5,
            "pattern #1: flag is the key a function or method always checks",
        ),
        (
            '[[tool.flaglint.patterns]]\nkind = "function"\nname = "multi_on"\nflag = "k"\nkey = 0\n',
            5,
            "pattern #1: flag names the key the call checks: it takes no key or key-keyword",
        ),
    ],
)
def test_config_errors_name_the_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, body), tmp_path)
    (problem,) = caught.value.problems
    assert problem.line == line
    assert message in problem.message


def test_config_with_broken_toml(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.flaglint]\nsrc = [\n\n]]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        load_config(path, tmp_path)
    assert caught.value.problems[0].line == 4


_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=12)


@given(st.lists(_KEYS, min_size=1, max_size=6, unique=True), st.data())
def test_locate_finds_every_key_of_every_table(tables: list[str], data: st.DataObject) -> None:
    lines, expected = [], {}
    for table in tables:
        lines.append(f"[flags.{table}]")
        if data.draw(st.booleans()):
            lines.append("# a comment")
        for field in data.draw(st.lists(st.sampled_from(["type", "owner", "value"]), unique=True)):
            lines.append(f'{field} = "x"')
            expected[(table, field)] = len(lines)
        lines.append("")
    text = "\n".join(lines)
    for (table, field), line in expected.items():
        assert locate(text, f"flags.{table}", field) == line


def test_a_plain_toml_config_file_holds_the_keys_at_top_level(tmp_path: Path) -> None:
    path = tmp_path / "flaglint.toml"
    path.write_text('jobs = 2\nsdks = ["waffle"]\n\n[lifetimes]\nrelease = 5\n', encoding="utf-8")
    config = load_config(path, tmp_path)
    assert (config.jobs, config.lifetimes[FlagType.RELEASE]) == (2, 5)
    path.write_text('jobs = 2\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, tmp_path)
    assert caught.value.problems[0].line == 2


def test_lifecycle_fields_in_flags_toml() -> None:
    text = """
[flags.new-search]
type = "release"
state = "rolled-out"
value = true
stage = "live"
stage_since = 2026-09-01
changed = 2026-10-01
last_seen = { production = 2026-11-20T09:30:00Z, staging = 2026-11-01 }
"""
    (flag,), problems = parse_flags_toml(text, "flags.toml")
    assert problems == []
    assert (flag.lifecycle, flag.stage_since, flag.changed) == ("live", dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    utc = dt.timezone.utc
    assert flag.last_seen == (
        ("production", dt.datetime(2026, 11, 20, 9, 30, tzinfo=utc)),
        ("staging", dt.datetime(2026, 11, 1, tzinfo=utc)),
    )
    assert flag.seen_in(["production"]) == dt.datetime(2026, 11, 20, 9, 30, tzinfo=utc)


def test_settle_days_setting(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "settle-days = 14\n"), tmp_path).settle_days == 14
    assert load_config(write(tmp_path, "settle_days = 0\n"), tmp_path).settle_days == 0
    assert load_config(write(tmp_path, ""), tmp_path).settle_days == 7


def test_flags_toml_is_read_back_from_the_cache_exactly(tmp_path: Path) -> None:
    text = """
[flags.new-search]
type = "experiment"
state = "rolled-out"
value = "blue"
owner = "team-search"
created = 2026-01-05
remove_by = 2026-03-01
description = "Ranking"
stale = true
stage = "live"
stage_since = 2026-02-01
changed = 2026-02-10
last_seen = { production = 2026-11-20T09:30:00Z }

[flags.plain]
"""
    registry = tmp_path / "flags.toml"
    registry.write_text(text, encoding="utf-8")
    cache = tmp_path / "cache"
    parsed = FlagsToml(registry, "flags.toml").load()
    first = FlagsToml(registry, "flags.toml", cache).load()  # parses, then stores
    (stored,) = cache.glob("flags-*.json")
    again = FlagsToml(registry, "flags.toml", cache).load()  # from the cache
    assert first == parsed
    assert again == parsed
    stored.write_text('{"format": "flags.toml rows 1", "flags": [[1, 2, 3]]}', encoding="utf-8")
    assert FlagsToml(registry, "flags.toml", cache).load() == parsed  # a foreign file: parsed again
