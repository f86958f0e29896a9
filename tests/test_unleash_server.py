"""Against a real Unleash 8 server (scripts/unleash-up): seed flags in every state, then
`flaglint registry pull` and `flaglint check` / `report` must classify each one correctly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.unleash_seed import EXPECTED, SEED, UNREFERENCED, Server, seed

pytestmark = pytest.mark.slow  # real servers, editors or many subprocesses

# The server dates everything now: ages and "for N days" are counted from the real day.
TODAY = dt.datetime.now(dt.timezone.utc).date().isoformat()


@pytest.fixture(scope="module")
def server(unleash: Server) -> Server:
    seed(unleash)
    return unleash


def flaglint(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("flaglint")
    assert exe
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def project(root: Path, url: str) -> None:
    calls = "\n".join(f'    client.is_enabled("{key}")' for key in SEED if key not in UNREFERENCED)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [tool.flaglint.registry.unleash]
            url = "{url}"
            projects = ["default"]
            production = ["production"]
            token-env = "TEST_UNLEASH_TOKEN"
            timeout = 5
            """
        ),
        encoding="utf-8",
    )
    (root / "app.py").write_text(f"import UnleashClient\n\n\ndef f(client):\n{calls}\n", encoding="utf-8")


def test_pull_show_and_classify(server: Server, tmp_path: Path) -> None:
    project(tmp_path, server.url)
    env = {**os.environ, "TEST_UNLEASH_TOKEN": server.token}
    pulled = flaglint("registry", "pull", cwd=tmp_path, env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert f"unleash {server.url}: {len(SEED)} flags" in pulled.stderr
    stored = json.loads((tmp_path / ".flaglint_cache/registry.json").read_text())
    assert server.token not in json.dumps(stored)

    shown = flaglint("registry", "show", "--format", "json", cwd=tmp_path, env=env)
    flags = {f["key"]: f for f in json.loads(shown.stdout)["flags"]}
    assert {key: (f["state"], f["value"]) for key, f in flags.items()} == EXPECTED
    assert flags["marked-stale"]["stale"] is True
    assert flags["potentially-stale"]["potentially_stale"] is True
    assert flags["kept"]["lifecycle"] == "completed"
    assert flags["constrained"]["type"] == "experiment"
    assert dict(map(tuple, flags["half-rollout"]["environments"])) == {"production": "partial"}

    one = flaglint("registry", "show", "half-rollout", cwd=tmp_path, env=env)
    assert one.returncode == 0, one.stderr
    assert "half-rollout" in one.stdout
    assert "production=partial" in one.stdout
    assert "rolled-out" not in one.stdout
    unknown = flaglint("registry", "show", "nope", cwd=tmp_path, env=env)
    assert unknown.returncode == 2
    assert "flag 'nope' is not in the registry" in unknown.stderr

    check = flaglint("check", "--today", TODAY, "--format", "json", "--fail-on", "never", cwd=tmp_path, env=env)
    assert check.returncode == 0, check.stderr
    codes: dict[str, set[str]] = {}
    for finding in json.loads(check.stdout)["findings"]:
        codes.setdefault(finding["key"], set()).add(finding["code"])
    assert codes == {
        "rolled-out": {"FL003"},
        "default-strategy-on": {"FL003"},
        "switched-off-long-ago": {"FL004"},
        "enabled-without-strategy": {"FL003"},
        "kept": {"FL003"},
        "discarded": {"FL004"},
        "archived": {"FL002"},
        "marked-stale": {"FL005"},
        "potentially-stale": {"FL005"},
        "stale-in-development": {"FL005"},  # never released: stale, not dead
        "kept-variant": {"FL003"},
        "live-unseen": {"FL009"},
    }  # in development (never live: also disabled-in-production), settling, switched off lately: kept
    messages = {f["key"]: f["message"] for f in json.loads(check.stdout)["findings"]}
    assert "on for everyone in production for 60 days" in messages["rolled-out"]
    off = "off in every production environment for 60 days, past the 40-day lifetime"
    assert off in messages["switched-off-long-ago"]
    assert "no SDK has evaluated it for 45 days" in messages["live-unseen"]

    live = lifecycle_rows(flaglint("report", "--today", TODAY, "--format", "json", cwd=tmp_path, env=env))
    offline = lifecycle_rows(
        flaglint("report", "--offline", "--today", TODAY, "--format", "json", cwd=tmp_path, env={**os.environ})
    )
    assert live == offline  # the snapshot carries stage, dates and last seen
    assert live["in-development"][:2] == ("in development", "pre-live")
    assert live["in-development"][3] == {"development"}
    assert live["just-rolled-out"][0] == "settling"
    assert "on for everyone in production for 0 days; removable once unchanged for 7 days" in live["just-rolled-out"][2]
    assert live["switched-off-recently"][0] == "off"
    assert "dead after 40 days" in live["switched-off-recently"][2]
    assert live["kept-variant"][:3] == ("rolled out", "completed", "completed in the registry: kept")
    assert live["rolled-out"][:2] == ("rolled out", "live")
    assert live["rolled-out"][3] == {"production"}
    assert "no reference in this repository, but evaluated in production" in live["evaluated-elsewhere"][2]

    # The server goes away: check falls back to the snapshot and says so once.
    (tmp_path / "pyproject.toml").write_text(
        (tmp_path / "pyproject.toml").read_text().replace(server.url, "http://127.0.0.1:9"), encoding="utf-8"
    )
    flaglint("registry", "pull", cwd=tmp_path, env=env)  # fails: must not touch the stored snapshot
    again = flaglint("check", "--today", TODAY, "--format", "json", "--fail-on", "never", cwd=tmp_path, env=env)
    assert again.returncode == 2  # the snapshot belongs to another server name: nothing to fall back on
    assert "is not reachable and no snapshot was pulled" in again.stderr


def lifecycle_rows(done: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str | None, str, set[str]]]:
    """key -> (status, stage, why, environments seen in) from a JSON report."""
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["flags"]
    return {r["key"]: (r["status"], r["stage"], r["why"], set(r["last_seen"])) for r in rows}


def test_offline_uses_the_snapshot_without_the_network(server: Server, tmp_path: Path) -> None:
    project(tmp_path, server.url)
    env = {**os.environ, "TEST_UNLEASH_TOKEN": server.token}
    assert flaglint("registry", "pull", cwd=tmp_path, env=env).returncode == 0
    offline = flaglint("report", "--offline", "--today", TODAY, "--format", "json", cwd=tmp_path, env={**os.environ})
    assert offline.returncode == 0, offline.stderr
    assert offline.stderr.count("offline: using the registry snapshot") == 1
    states = {row["key"]: row["state"] for row in json.loads(offline.stdout)["flags"]}
    assert states["archived"] == "archived"


def test_wrong_token_and_wrong_project(server: Server, tmp_path: Path) -> None:
    project(tmp_path, server.url)
    bad = flaglint("registry", "pull", cwd=tmp_path, env={**os.environ, "TEST_UNLEASH_TOKEN": "*:*.wrong"})
    assert bad.returncode == 2
    assert "the token was refused (401); check $TEST_UNLEASH_TOKEN" in bad.stderr
    assert "*:*.wrong" not in bad.stderr
    assert not (tmp_path / ".flaglint_cache/registry.json").exists()
    missing = flaglint("registry", "pull", cwd=tmp_path, env={**os.environ})
    assert missing.returncode == 2
    assert "set $TEST_UNLEASH_TOKEN" in missing.stderr


def test_a_misspelled_production_environment_is_named_not_called_off(server: Server, tmp_path: Path) -> None:
    project(tmp_path, server.url)
    config = tmp_path / "pyproject.toml"
    config.write_text(config.read_text().replace('production = ["production"]', 'production = ["prodution"]'))
    env = {**os.environ, "TEST_UNLEASH_TOKEN": server.token}
    done = flaglint("registry", "pull", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "no environment named 'prodution' (the server has: " in done.stderr
    assert "production" in done.stderr.split("the server has: ")[1]
    assert not (tmp_path / ".flaglint_cache/registry.json").exists()
