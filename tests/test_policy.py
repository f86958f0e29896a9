"""Lifecycle policy: one case per finding code, plus suppression and ignore."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

import pytest

from flaglint.engine.config import DEFAULT_LIFETIMES
from flaglint.engine.policy import evaluate
from flaglint.model import Flag, FlagRef, FlagState, FlagType, KeySource, Location, RefKind, Snapshot, Span

TODAY = dt.date(2026, 11, 21)


def ref(
    key: str | None, kind: RefKind = RefKind.CHECK, default: str | None = None, suppressed: frozenset[str] = frozenset()
) -> FlagRef:
    return FlagRef(
        path="app.py",
        span=Span(3, 5, 3, 20),
        key=key,
        key_source=KeySource.LITERAL if key else KeySource.DYNAMIC,
        key_text=repr(key) if key else "name",
        pattern="unleash.is_enabled",
        sdk="unleash",
        kind=kind,
        default=default,
        suppressed=suppressed,
    )


def flag(key: str = "k", **fields: Any) -> Flag:
    fields.setdefault("type", FlagType.RELEASE)
    fields.setdefault("state", FlagState.ACTIVE)
    return Flag(key=key, location=Location("flags.toml", 7), **fields)


def codes(refs: list[FlagRef], flags: list[Flag], **kwargs: Any) -> list[tuple[str, str | None]]:
    kwargs.setdefault("lifetimes", DEFAULT_LIFETIMES)
    findings = evaluate(refs, Snapshot(tuple(flags), "flags.toml"), TODAY, **kwargs)
    return [(f.code, f.assume) for f in findings]


CASES = {
    "FL001 unknown flag": ([ref("typo")], [flag("k")], [("FL001", None), ("FL008", None)]),
    "FL002 archived flag, check falls back to False": (
        [ref("k")],
        [flag(state=FlagState.ARCHIVED)],
        [("FL002", "False")],
    ),
    "FL002 archived flag, value falls back to the call's default": (
        [ref("k", RefKind.VALUE, default='"light"')],
        [flag(state=FlagState.ARCHIVED)],
        [("FL002", '"light"')],
    ),
    "FL003 rolled out keeps the registry value": (
        [ref("k")],
        [flag(state=FlagState.ROLLED_OUT, value="True")],
        [("FL003", "True")],
    ),
    "FL003 rolled out variant": (
        [ref("k", RefKind.VARIANT)],
        [flag(state=FlagState.ROLLED_OUT, value="'dark'")],
        [("FL003", "'dark'")],
    ),
    "FL004 off": ([ref("k")], [flag(state=FlagState.OFF)], [("FL004", "False")]),
    "FL004 off value without default is not fixable": (
        [ref("k", RefKind.VALUE)],
        [flag(state=FlagState.OFF)],
        [("FL004", None)],
    ),
    "FL005 marked stale": ([ref("k")], [flag(stale=True)], [("FL005", None)]),
    "FL005 older than its type's lifetime": (
        [ref("k")],
        [flag(type=FlagType.OPERATIONAL, created=TODAY - dt.timedelta(days=8))],
        [("FL005", None)],
    ),
    "no FL005 within the lifetime": (
        [ref("k")],
        [flag(type=FlagType.OPERATIONAL, created=TODAY - dt.timedelta(days=7))],
        [],
    ),
    "kill switches never go stale": (
        [ref("k")],
        [flag(type=FlagType.KILL_SWITCH, created=dt.date(2020, 1, 1))],
        [],
    ),
    "kill switches that are off are not dead flags": (
        [ref("k")],
        [flag(type=FlagType.KILL_SWITCH, state=FlagState.OFF)],
        [],
    ),
    "permissions rolled out stay": (
        [ref("k")],
        [flag(type=FlagType.PERMISSION, state=FlagState.ROLLED_OUT, value="True")],
        [],
    ),
    "FL006 past remove_by": ([ref("k")], [flag(remove_by=TODAY - dt.timedelta(days=1))], [("FL006", None)]),
    "no FL006 on the day itself": ([ref("k")], [flag(remove_by=TODAY)], []),
    "FL007 dynamic key": ([ref(None)], [], [("FL007", None)]),
    "FL008 unused registry flag": ([], [flag("unused")], [("FL008", None)]),
    "archived flags without references are fine": ([], [flag(state=FlagState.ARCHIVED)], []),
}


@pytest.mark.parametrize(("refs", "flags", "expected"), CASES.values(), ids=CASES.keys())
def test_policy_codes(refs: list[FlagRef], flags: list[Flag], expected: list[tuple[str, str | None]]) -> None:
    assert codes(refs, flags) == expected


def test_fl008_needs_a_whole_project_scan() -> None:
    assert codes([], [flag("unused")], whole_project=False) == []


def test_inline_suppression_and_config_ignore() -> None:
    stale = [flag(stale=True, remove_by=dt.date(2026, 1, 1))]
    assert codes([ref("k", suppressed=frozenset({"FL005"}))], stale) == [("FL006", None)]
    assert codes([ref("k", suppressed=frozenset({"*"}))], stale) == []
    assert codes([ref("k")], stale, ignore=frozenset({"FL006"})) == [("FL005", None)]


def test_custom_lifetime() -> None:
    lifetimes = {**DEFAULT_LIFETIMES, FlagType.RELEASE: 400}
    assert codes([ref("k")], [flag(created=dt.date(2026, 1, 1))], lifetimes=lifetimes) == []


def test_unknown_flag_suggests_the_nearest_key() -> None:
    findings = evaluate(
        [ref("new-chekout")], Snapshot((flag("new-checkout"),), "x"), TODAY, lifetimes=DEFAULT_LIFETIMES
    )
    assert "did you mean 'new-checkout'?" in findings[0].message


def test_without_a_registry_only_dynamic_keys_are_findings() -> None:
    findings = evaluate([ref("k"), ref(None)], None, TODAY, lifetimes=DEFAULT_LIFETIMES)
    assert [f.code for f in findings] == ["FL007"]


def test_did_you_mean_in_a_registry_of_many_thousands() -> None:
    from flaglint.engine.policy import Nearest

    keys = [f"{team}-{feature}-{n}" for n in range(400) for team, feature in [("search", "ranking"), ("pay", "wallet")]]
    keys += [f"flag-{n:06}" for n in range(20_000)] + ["checkout-redesign-2026"]
    nearest = Nearest(keys)
    assert nearest("checkout-redesing-2026") == "checkout-redesign-2026"
    assert nearest("serch-ranking-17") == "search-ranking-17"
    assert nearest("nothing-like-it") is None
    for typo in ["flag-0123456", "flag-01234", "pay-walet-399", "search-ranking-1000", "flga-000042"]:
        brute = difflib.get_close_matches(typo, keys, n=1, cutoff=0.8)  # every key compared
        found = nearest(typo)
        assert found is not None, typo
        assert ratio(typo, found) == ratio(typo, brute[0]), (typo, found, brute)  # as close as the best
    small = Nearest(["new-checkout", "old-search"])
    assert small("new-chekout") == "new-checkout"


def ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, b, a).ratio()


# --- the lifecycle: one function over one model, whatever the source ---------------------------

DAYS = dt.timedelta(days=1)
NOW = dt.datetime.combine(TODAY, dt.time(12), dt.timezone.utc)

LIFECYCLE = {
    "initial and switched on everywhere: in development, never rolled out": (
        flag(state=FlagState.ROLLED_OUT, value="True", lifecycle="initial", created=TODAY),
        ("in development", None),
    ),
    "pre-live and off in production (on in development only): not dead": (
        flag(state=FlagState.OFF, lifecycle="pre-live", created=TODAY, stage_since=TODAY),
        ("in development", None),
    ),
    "marked stale but never released: stale, not dead": (
        flag(state=FlagState.OFF, lifecycle="pre-live", stale=True, created=TODAY),
        ("in development", "FL005"),
    ),
    "in development past its lifetime, counted from creation": (
        flag(state=FlagState.OFF, lifecycle="pre-live", created=TODAY - 41 * DAYS),
        ("in development", "FL005"),
    ),
    "completed and kept": (
        flag(state=FlagState.ROLLED_OUT, value="True", lifecycle="completed"),
        ("rolled out", "FL003"),
    ),
    "completed and discarded": (flag(state=FlagState.OFF, lifecycle="completed"), ("dead", "FL004")),
    "live, on for everyone for 3 days: settling": (
        flag(state=FlagState.ROLLED_OUT, value="True", lifecycle="live", changed=TODAY - 3 * DAYS),
        ("settling", None),
    ),
    "live, on for everyone for 52 days: rolled out": (
        flag(state=FlagState.ROLLED_OUT, value="True", lifecycle="live", changed=TODAY - 52 * DAYS),
        ("rolled out", "FL003"),
    ),
    "live, switched off 10 days ago: off, not yet dead": (
        flag(state=FlagState.OFF, lifecycle="live", changed=TODAY - 10 * DAYS),
        ("off", None),
    ),
    "live, switched off 41 days ago: past a release flag's 40 days, dead": (
        flag(state=FlagState.OFF, lifecycle="live", changed=TODAY - 41 * DAYS),
        ("dead", "FL004"),
    ),
    "no stage and no dates (a hand-kept flags.toml): the declared state decides": (
        flag(state=FlagState.OFF),
        ("dead", "FL004"),
    ),
    "a kill switch stays whatever its state": (
        flag(type=FlagType.KILL_SWITCH, state=FlagState.OFF, lifecycle="live", changed=TODAY - 400 * DAYS),
        ("permanent", None),
    ),
}


@pytest.mark.parametrize("name", LIFECYCLE)
def test_lifecycle_verdicts(name: str) -> None:
    from flaglint.engine.policy import verdict

    subject, (status, code) = LIFECYCLE[name]
    judged = verdict(subject, TODAY, DEFAULT_LIFETIMES, settle_days=7)
    assert (judged.status, judged.code) == (status, code), judged.why


def test_the_verdict_says_why_in_days() -> None:
    from flaglint.engine.policy import verdict

    settled = flag(state=FlagState.ROLLED_OUT, value="True", lifecycle="live", changed=TODAY - 52 * DAYS)
    assert verdict(settled, TODAY, DEFAULT_LIFETIMES).why == "on for everyone in production for 52 days"
    settling = flag(state=FlagState.ROLLED_OUT, value="True", lifecycle="live", changed=TODAY - 1 * DAYS)
    why = verdict(settling, TODAY, DEFAULT_LIFETIMES, settle_days=14).why
    assert why == "on for everyone in production for 1 day; removable once unchanged for 14 days"
    assert codes([ref("k")], [settled], settle_days=60) == []  # a longer settling period: not yet


def test_unreferenced_flag_evaluated_in_production_lately_is_not_safe_to_archive() -> None:
    seen = flag(last_seen=(("production", NOW - dt.timedelta(hours=3)),), environments=(("production", "on"),))
    old = flag("old", last_seen=(("production", NOW - 60 * DAYS),))
    never = flag("never")
    found = evaluate([], Snapshot((seen, old, never), "flags.toml"), TODAY, lifetimes=DEFAULT_LIFETIMES, now=NOW)
    messages = {f.key: f.message for f in found}
    assert messages["k"] == (
        "flag 'k' has no reference in this repository, but was evaluated in production 3 h ago: "
        "another service uses it, do not archive"
    )
    assert messages["old"] == "flag 'old' has no reference in the code: safe to archive"
    assert messages["never"] == "flag 'never' has no reference in the code: safe to archive"


def test_a_live_flag_no_sdk_evaluates_is_worth_a_line() -> None:
    unseen = flag(lifecycle="live", last_seen=(("production", NOW - 45 * DAYS), ("staging", NOW - 31 * DAYS)))
    fresh = flag("fresh", lifecycle="live", last_seen=(("production", NOW - 2 * DAYS),))
    refs = [ref("k"), ref("fresh")]
    found = evaluate(refs, Snapshot((unseen, fresh), "flags.toml"), TODAY, lifetimes=DEFAULT_LIFETIMES, now=NOW)
    assert [(f.code, f.key, f.message) for f in found] == [
        ("FL009", "k", "flag 'k' is live but no SDK has evaluated it for 31 days: is this code deployed?")
    ]


def test_a_flag_object_nothing_checks_is_unused_without_a_registry() -> None:
    made = ref("k", RefKind.DECLARATION)
    findings = evaluate([made], None, TODAY, lifetimes=DEFAULT_LIFETIMES)
    assert [(f.code, f.assume, f.span) for f in findings] == [("FL008", "False", made.span)]
    assert evaluate([made], None, TODAY, lifetimes=DEFAULT_LIFETIMES, whole_project=False) == []
    assert evaluate([made, ref("k")], None, TODAY, lifetimes=DEFAULT_LIFETIMES) == []


def test_a_flag_objects_lifecycle_findings_go_on_its_checks() -> None:
    made, check = ref("k", RefKind.DECLARATION), ref("k")
    assert codes([made, check], [flag(state=FlagState.OFF)]) == [("FL004", "False")]
    # a made object of a key the registry lacks is named, and nothing checks it
    assert codes([ref("typo", RefKind.DECLARATION)], []) == [("FL001", None), ("FL008", "False")]


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        (FlagType.EXPERIMENT, "an experiment flag"),
        (FlagType.OPERATIONAL, "an operational flag"),
        (FlagType.RELEASE, "a release flag"),
    ],
)
def test_the_why_puts_the_right_article_before_the_type(kind: FlagType, said: str) -> None:
    from flaglint.engine.policy import verdict

    old = flag(type=kind, created=TODAY - 400 * DAYS)
    assert said in verdict(old, TODAY, DEFAULT_LIFETIMES).why


def test_fl003_says_which_path_a_flag_rolled_out_at_false_keeps() -> None:
    rolled = flag(state=FlagState.ROLLED_OUT, value="False")
    snapshot = Snapshot((rolled,), "flags.toml")
    (finding,) = evaluate([ref("k")], snapshot, TODAY, lifetimes=DEFAULT_LIFETIMES)
    assert finding.code == "FL003"
    assert finding.message.endswith("remove the check, keep the path for its value False")
