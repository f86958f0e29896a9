"""Registry sources without a server: the mapping of recorded Unleash answers, export files,
flagd files, plugins, the stored snapshot, and faults of a flag server (a local HTTP server).
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flaglint.engine.config import load_config
from flaglint.model import Flag, FlagState, FlagType, Location
from flaglint.registry.flagd import flags_from_flagd
from flaglint.registry.load import RegistryError, SourceError, load_registry, pull
from flaglint.registry.snapshot import flag_from_json, flag_to_json
from flaglint.registry.unleash import (
    UnleashClient,
    UnleashSettings,
    environment_verdict,
    flags_from_export,
    map_flag,
    verdicts_from_export,
)
from tests.unleash_seed import EXPECTED

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "unleash"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_recorded_server_answers_map_to_the_expected_states() -> None:
    features = recorded("search.json")["features"] + recorded("search-archived.json")["features"]
    stale = {f["name"] for f in recorded("search-potentially-stale.json")["features"]}
    verdicts = verdicts_from_export(recorded("export-production.json"))
    flags = {
        f["name"]: map_flag(
            f, verdicts.get(f["name"], {}), ["production"], potentially_stale=f["name"] in stale, source="s"
        )
        for f in features
    }
    assert {key: (f.state.value, f.value) for key, f in flags.items()} == EXPECTED
    assert flags["potentially-stale"].potentially_stale
    assert flags["marked-stale"].stale
    assert flags["kill-switch-off"].type is FlagType.KILL_SWITCH
    assert flags["rolled-out"].created is not None


@pytest.mark.parametrize(
    ("enabled", "strategies", "verdict"),
    [
        (True, [{"name": "default"}], "on"),
        (True, [{"name": "flexibleRollout", "parameters": {"rollout": "100"}}], "on"),
        (True, [{"name": "flexibleRollout", "parameters": {"rollout": 100}}], "on"),
        (True, [{"name": "flexibleRollout", "parameters": {"rollout": "99"}}], "partial"),
        (True, [{"name": "default", "constraints": [{"contextName": "userId"}]}], "partial"),
        (True, [{"name": "default", "segments": [3]}], "partial"),
        (True, [{"name": "userWithId", "parameters": {"userIds": "1"}}], "partial"),
        (True, [{"name": "default", "disabled": True}], "off"),
        (
            True,
            [{"name": "default", "disabled": True}, {"name": "flexibleRollout", "parameters": {"rollout": "100"}}],
            "on",
        ),
        (True, [], "off"),
        (False, [{"name": "default"}], "off"),
    ],
)
def test_environment_verdicts(enabled: bool, strategies: list, verdict: str) -> None:
    assert environment_verdict(enabled, strategies) == verdict


def test_every_production_environment_must_be_fully_on() -> None:
    feature = {"name": "k", "type": "release"}
    both = map_flag(feature, {"eu": "on", "us": "on"}, ["eu", "us"], potentially_stale=False, source="s")
    one = map_flag(feature, {"eu": "on", "us": "partial"}, ["eu", "us"], potentially_stale=False, source="s")
    dev = map_flag(feature, {"development": "on", "eu": "off"}, ["eu"], potentially_stale=False, source="s")
    assert (both.state, one.state, dev.state) == (FlagState.ROLLED_OUT, FlagState.ACTIVE, FlagState.OFF)


def test_completed_and_kept_with_a_variant() -> None:
    feature = {
        "name": "k",
        "type": "experiment",
        "lifecycle": {"stage": "completed", "status": "kept", "statusValue": "blue"},
    }
    flag = map_flag(feature, {}, ["production"], potentially_stale=False, source="s")
    assert (flag.state, flag.value) == (FlagState.ROLLED_OUT, "'blue'")


def test_export_file(tmp_path: Path) -> None:
    export = recorded("export-production.json")
    flags = {f.key: f for f in flags_from_export(export, ["production"], "export.json")}
    assert flags["rolled-out"].state is FlagState.ROLLED_OUT
    assert flags["half-rollout"].state is FlagState.ACTIVE
    assert flags["disabled-in-production"].state is FlagState.OFF
    with pytest.raises(SourceError, match="not an Unleash export"):
        flags_from_export({"flags": {}}, ["production"], "x.json")


FLAGD = {
    "flags": {
        "static-on": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"},
        "static-off": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"},
        "colour": {"state": "ENABLED", "variants": {"red": "red", "blue": "blue"}, "defaultVariant": "blue"},
        "disabled": {"state": "DISABLED", "variants": {"on": True}, "defaultVariant": "on"},
        "targeted": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"in": ["@example.com", {"var": "email"}]}, "on", None]},
        },
    }
}


def test_flagd_definitions() -> None:
    flags = {f.key: f for f in flags_from_flagd(FLAGD, "flags.json")}
    assert {k: (f.state.value, f.value) for k, f in flags.items()} == {
        "static-on": ("rolled-out", "True"),
        "static-off": ("off", "False"),
        "colour": ("rolled-out", "'blue'"),
        "disabled": ("off", None),
        "targeted": ("active", None),
    }


def write_project(root: Path, registry: str) -> None:
    (root / "pyproject.toml").write_text("[tool.flaglint.registry]\n" + textwrap.dedent(registry), encoding="utf-8")


def test_sources_combine_and_flags_toml_wins(tmp_path: Path) -> None:
    (tmp_path / "flags.json").write_text(json.dumps(FLAGD), encoding="utf-8")
    (tmp_path / "export.json").write_text(json.dumps(recorded("export-production.json")), encoding="utf-8")
    (tmp_path / "flags.toml").write_text('[flags.static-on]\nstate = "active"\nowner = "me"\n', encoding="utf-8")
    write_project(
        tmp_path,
        '[tool.flaglint.registry.flagd]\npath = "flags.json"\n'
        '[tool.flaglint.registry.unleash-export]\npath = "export.json"\n',
    )
    loaded = load_registry(load_config(tmp_path / "pyproject.toml", tmp_path), {})
    assert loaded.snapshot is not None
    static_on, colour, rolled_out = (loaded.snapshot.get(k) for k in ("static-on", "colour", "rolled-out"))
    assert static_on is not None
    assert colour is not None
    assert rolled_out is not None
    assert static_on.owner == "me"
    assert colour.value == "'blue'"
    assert rolled_out.state is FlagState.ROLLED_OUT


def test_plugin_from_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real installed-distribution layout on sys.path: importlib.metadata finds its entry point.
    site = tmp_path / "site"
    (site / "teamflags").mkdir(parents=True)
    (site / "teamflags" / "__init__.py").write_text(
        textwrap.dedent(
            """
            from flaglint.model import Flag, FlagState, FlagType, Snapshot

            class Source:
                name = "team flags"

                def __init__(self, options, root):
                    self.options = options

                def load(self):
                    flag = Flag(self.options["key"], FlagType.RELEASE, FlagState.OFF, source=self.name)
                    return Snapshot((flag,), source=self.name)
            """
        ),
        encoding="utf-8",
    )
    info = site / "teamflags-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: teamflags\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[flaglint.registries]\nteam = teamflags:Source\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    project = tmp_path / "project"
    project.mkdir()
    write_project(project, '[tool.flaglint.registry.plugins.team]\nkey = "from-plugin"\n')
    loaded = load_registry(load_config(project / "pyproject.toml", project), {})
    assert loaded.snapshot is not None
    plugged = loaded.snapshot.get("from-plugin")
    assert plugged is not None
    assert plugged.state is FlagState.OFF
    write_project(project, "[tool.flaglint.registry.plugins.missing]\n")
    with pytest.raises(RegistryError, match="no registry plugin 'missing'"):
        load_registry(load_config(project / "pyproject.toml", project), {})


FLAGS = st.builds(
    Flag,
    key=st.text(min_size=1, max_size=10),
    type=st.sampled_from(FlagType),
    state=st.sampled_from(FlagState),
    value=st.none() | st.sampled_from(["True", "'x'", "3"]),
    owner=st.none() | st.text(max_size=5),
    created=st.none() | st.dates(),
    remove_by=st.none() | st.dates(),
    description=st.text(max_size=10),
    stale=st.booleans(),
    location=st.none() | st.builds(Location, st.text(max_size=5), st.integers(1, 99)),
    potentially_stale=st.booleans(),
    lifecycle=st.none() | st.sampled_from(["initial", "live", "completed"]),
    source=st.text(max_size=5),
    environments=st.lists(st.tuples(st.text(max_size=4), st.sampled_from(["on", "off", "partial"]))).map(tuple),
    in_code_since=st.none() | st.dates(),
)


@given(FLAGS)
def test_snapshot_round_trip(flag: Flag) -> None:
    assert flag_from_json(json.loads(json.dumps(flag_to_json(flag)))) == flag


# --- a flag server that misbehaves --------------------------------------------------------------


class Behaviour:
    status = 200
    body = b'{"features": [], "total": 0}'
    delay = 0.0
    fail_first = 0
    fail_status = 503
    requests = 0


FakeServer = tuple[str, type[Behaviour]]


@pytest.fixture
def fake_server() -> Iterator[tuple[str, type[Behaviour]]]:
    behaviour: type[Behaviour] = type("B", (Behaviour,), {})

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            behaviour.requests += 1
            time.sleep(behaviour.delay)
            failing = behaviour.requests <= behaviour.fail_first
            self.send_response(behaviour.fail_status if failing else behaviour.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "2")
            self.end_headers()
            if failing:
                self.wfile.write(b"{}")
            elif self.path.startswith("/api/admin/environments") and behaviour.status == 200:
                self.wfile.write(b'{"version": 1, "environments": [{"name": "production"}]}')
            elif self.path.startswith("/api/admin/search/events") and behaviour.status == 200:
                self.wfile.write(b'{"events": [], "total": 0}')
            else:
                self.wfile.write(behaviour.body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", behaviour
    server.shutdown()
    server.server_close()


def client(url: str, retries: int = 3, timeout: float = 5.0) -> UnleashClient:
    settings = UnleashSettings(url=url, retries=retries, read_timeout=timeout, connect_timeout=1.0)
    return UnleashClient(settings, "secret-token", sleep=lambda _: None)


@pytest.mark.parametrize(
    ("status", "body", "message", "unreachable"),
    [
        (401, b"{}", "the token was refused (401); check $UNLEASH_TOKEN", False),
        (403, b"{}", "the token was refused (403)", False),
        (404, b"{}", "not found (404); check the URL and the project names", False),
        (200, b"<html>oops", "the answer is not valid JSON", False),
        (200, b'{"items": []}', "unexpected answer from the feature search", False),
        (500, b"{}", "the server answered 500", True),
    ],
)
def test_server_faults_are_one_line_errors(
    fake_server: FakeServer, status: int, body: bytes, message: str, unreachable: bool
) -> None:
    url, behaviour = fake_server
    behaviour.status, behaviour.body = status, body
    with pytest.raises(SourceError) as caught:
        client(url).search("default")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "secret-token" not in str(caught.value)
    assert caught.value.unreachable is unreachable


def test_5xx_is_retried_with_backoff(fake_server: FakeServer) -> None:
    url, behaviour = fake_server
    behaviour.fail_first = 2
    assert client(url, retries=3).search("default") == []
    assert behaviour.requests == 3


def test_429_waits_for_retry_after_then_falls_back_to_the_snapshot(fake_server: FakeServer) -> None:
    url, behaviour = fake_server
    behaviour.fail_first, behaviour.fail_status = 1, 429
    waits: list[float] = []
    settings = UnleashSettings(url=url, retries=3)
    assert UnleashClient(settings, "t", sleep=waits.append).search("default") == []
    assert waits == [2.0]
    behaviour.requests, behaviour.fail_first = 0, 99
    with pytest.raises(SourceError, match="rate limited by the server") as caught:
        UnleashClient(settings, "t", sleep=waits.append).search("default")
    assert caught.value.unreachable


def test_a_slow_server_times_out(fake_server: FakeServer) -> None:
    url, behaviour = fake_server
    behaviour.delay = 1.0
    with pytest.raises(SourceError, match="no answer within the timeout") as caught:
        client(url, retries=2, timeout=0.2).search("default")
    assert caught.value.unreachable
    assert behaviour.requests == 2


def test_a_server_that_is_down(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot connect") as caught:
        client("http://127.0.0.1:9", retries=2).search("default")
    assert caught.value.unreachable


def test_pull_writes_nothing_on_failure_and_check_falls_back(fake_server: FakeServer, tmp_path: Path) -> None:
    url, behaviour = fake_server
    write_project(tmp_path, f'[tool.flaglint.registry.unleash]\nurl = "{url}"\nretries = 1\n')
    config = load_config(tmp_path / "pyproject.toml", tmp_path)
    behaviour.status = 401
    with pytest.raises(RegistryError):
        pull(config, {"UNLEASH_TOKEN": "t"})
    assert not config.snapshot_path.exists()
    behaviour.status = 200
    behaviour.body = json.dumps({"features": [{"name": "k", "type": "release"}], "total": 1}).encode()
    pulled = pull(config, {"UNLEASH_TOKEN": "t"})
    assert [f.key for snap in pulled.values() for f in snap.flags] == ["k"]
    behaviour.status = 503
    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=5)
    loaded = load_registry(config, {"UNLEASH_TOKEN": "t"}, now=now)
    assert loaded.snapshot is not None
    assert [f.key for f in loaded.snapshot.flags] == ["k"]
    assert len(loaded.notes) == 1
    assert "the server is not reachable: using the registry snapshot" in loaded.notes[0]
    assert "5.0 hours old" in loaded.notes[0]
    behaviour.requests = 0
    offline = load_registry(config, {}, offline=True)
    assert behaviour.requests == 0
    assert offline.notes[0].startswith("offline: using the registry snapshot")
    behaviour.status = 401
    with pytest.raises(RegistryError, match="token was refused"):
        load_registry(config, {"UNLEASH_TOKEN": "t"})


def test_token_never_in_config(tmp_path: Path) -> None:
    write_project(tmp_path, '[tool.flaglint.registry.unleash]\nurl = "http://127.0.0.1:9"\ntoken = "abc"\n')
    from flaglint.engine.config import ConfigError

    with pytest.raises(ConfigError, match="never put the token in the config"):
        load_config(tmp_path / "pyproject.toml", tmp_path)


def test_file_sources_and_a_plugin_through_the_cli(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess

    site = tmp_path / "site"
    (site / "teamflags").mkdir(parents=True)
    (site / "teamflags" / "__init__.py").write_text(
        "from flaglint.model import Flag, FlagState, FlagType, Snapshot\n\n\n"
        "def source(options, root):\n"
        "    class Source:\n"
        "        name = 'team'\n\n"
        "        def load(self):\n"
        "            flag = Flag(options['key'], FlagType.RELEASE, FlagState.ARCHIVED, source='team')\n"
        "            return Snapshot((flag,), source='team')\n\n"
        "    return Source()\n",
        encoding="utf-8",
    )
    info = site / "teamflags-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: teamflags\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[flaglint.registries]\nteam = teamflags:source\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "flags.json").write_text(json.dumps(FLAGD), encoding="utf-8")
    (project / "export.json").write_text(json.dumps(recorded("export-production.json")), encoding="utf-8")
    write_project(
        project,
        '[tool.flaglint.registry.flagd]\npath = "flags.json"\n'
        '[tool.flaglint.registry.unleash-export]\npath = "export.json"\n'
        '[tool.flaglint.registry.plugins.team]\nkey = "old-banner"\n',
    )
    (project / "app.py").write_text(
        'import UnleashClient\nclient.is_enabled("static-on")\nclient.is_enabled("half-rollout")\n'
        'client.is_enabled("old-banner")\n',
        encoding="utf-8",
    )
    exe = shutil.which("flaglint")
    assert exe
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *args], cwd=project, capture_output=True, text=True, env=env, timeout=120)

    shown = run("registry", "show", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    sources = {f["key"]: f["source"] for f in json.loads(shown.stdout)["flags"]}
    assert (sources["static-on"], sources["half-rollout"], sources["old-banner"]) == (
        "flags.json",
        "export.json",
        "team",
    )
    check = run("check", "--format", "json", "--fail-on", "never", "--today", "2026-11-21")
    assert check.returncode == 0, check.stderr
    codes = {(f["key"], f["code"]) for f in json.loads(check.stdout)["findings"]}
    assert {("static-on", "FL003"), ("old-banner", "FL002")} <= codes
    assert not any(key == "half-rollout" for key, _ in codes)


def test_flagd_metadata_carries_the_lifecycle() -> None:
    data = {
        "flags": {
            "new-search": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "on",
                "metadata": {"stage": "live", "changed": "2026-10-01", "lastSeen": "2026-11-20T09:30:00Z"},
            }
        }
    }
    (flag,) = flags_from_flagd(data, "flags.json")
    assert (flag.lifecycle, flag.changed) == ("live", dt.date(2026, 10, 1))
    assert flag.last_seen == (("production", dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc)),)
