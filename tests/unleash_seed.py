"""Put flags in every state into a real Unleash server through its Admin API (and its database,
for the potentially-stale bit that Unleash itself only recomputes about once a minute).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    state: str
    pgport: str


@contextmanager
def unleash_server() -> Iterator[Server]:
    done = subprocess.run([SCRIPTS / "unleash-up"], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/unleash-up failed:\n{done.stderr}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    server = Server(
        values["FLAGLINT_UNLEASH_URL"],
        values["FLAGLINT_UNLEASH_TOKEN"],
        values["FLAGLINT_UNLEASH_STATE"],
        values["FLAGLINT_UNLEASH_PGPORT"],
    )
    try:
        yield server
    finally:
        subprocess.run([SCRIPTS / "unleash-down", server.state], timeout=60)


# key -> (type, production strategies, production enabled, extra steps)
FULL = {"name": "flexibleRollout", "parameters": {"rollout": "100", "stickiness": "default", "groupId": "g"}}
HALF = {"name": "flexibleRollout", "parameters": {"rollout": "50", "stickiness": "default", "groupId": "g"}}
CONSTRAINED = {
    "name": "default",
    "parameters": {},
    "constraints": [{"contextName": "userId", "operator": "IN", "values": ["1"]}],
}
SEED: dict[str, tuple[str, list[dict[str, Any]], bool, list[str]]] = {
    "rolled-out": ("release", [FULL], True, ["live", "changed-60-days-ago"]),
    "default-strategy-on": ("release", [{"name": "default", "parameters": {}}], True, ["live", "changed-60-days-ago"]),
    "half-rollout": ("release", [HALF], True, ["live"]),
    "constrained": ("experiment", [CONSTRAINED], True, ["live"]),
    "disabled-in-production": ("release", [FULL], False, ["changed-60-days-ago"]),  # never live: in development
    "enabled-without-strategy": ("release", [], True, ["live", "changed-60-days-ago"]),
    "kept": ("release", [HALF], True, ["complete-kept"]),
    "discarded": ("experiment", [HALF], True, ["complete-discarded"]),
    "archived": ("release", [FULL], True, ["archive"]),
    "marked-stale": ("release", [HALF], True, ["stale"]),
    "potentially-stale": ("operational", [HALF], True, ["potentially-stale"]),
    "kill-switch-off": ("kill-switch", [], False, []),
    "permission-on": ("permission", [FULL], True, []),
    # The lifecycle: in development, settling, switched off lately, kept with a variant, unseen.
    "in-development": ("release", [], False, ["development-on", "pre-live"]),
    "stale-in-development": ("release", [], False, ["development-on", "pre-live", "stale"]),
    "just-rolled-out": ("release", [FULL], True, ["live"]),
    "switched-off-recently": ("release", [FULL], True, ["live", "production-off"]),
    "switched-off-long-ago": ("release", [FULL], True, ["live", "production-off", "changed-60-days-ago"]),
    "kept-variant": ("release", [HALF], True, ["complete-kept:blue"]),
    "evaluated-elsewhere": ("release", [HALF], True, ["live"]),
    "live-unseen": ("release", [HALF], True, ["live", "seen-45-days-ago"]),
}
UNREFERENCED = {"evaluated-elsewhere"}  # another service evaluates it; this repository does not

# What flaglint must conclude: key -> (state, value)
EXPECTED = {
    "rolled-out": ("rolled-out", "True"),
    "default-strategy-on": ("rolled-out", "True"),
    "half-rollout": ("active", None),
    "constrained": ("active", None),
    "disabled-in-production": ("off", None),
    "enabled-without-strategy": ("rolled-out", "True"),  # Unleash adds a default strategy on enable
    "kept": ("rolled-out", "True"),
    "discarded": ("off", None),
    "archived": ("archived", None),
    "marked-stale": ("active", None),
    "potentially-stale": ("active", None),
    "kill-switch-off": ("off", None),
    "permission-on": ("rolled-out", "True"),
    "in-development": ("off", None),
    "stale-in-development": ("off", None),
    "just-rolled-out": ("rolled-out", "True"),
    "switched-off-recently": ("off", None),
    "switched-off-long-ago": ("off", None),
    "kept-variant": ("rolled-out", "True"),  # Unleash 8.2 stores the variant but its API does not return it
    "evaluated-elsewhere": ("active", None),
    "live-unseen": ("active", None),
}


def _days_ago(stamp: str) -> float:
    """How long ago an ISO 8601 time the server reports was, in days."""
    when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (dt.datetime.now(dt.timezone.utc) - when).total_seconds() / 86400


def _sql(server: Server, sql: str) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    psql = ["psql", "-h", "127.0.0.1", "-p", server.pgport, "-U", "postgres", "unleash", "-c", sql]
    subprocess.run(psql, check=True, capture_output=True, env=env)


def _evaluate(http: httpx.Client, server: Server, environment: str, keys: list[str]) -> None:
    """An SDK in `environment` reports evaluating `keys` (client metrics with a client token):
    what moves a flag to pre-live (outside production) or live (in production).
    """
    body = {"tokenName": f"sdk-{environment}", "type": "client", "environment": environment, "projects": ["*"]}
    token = http.post("/api/admin/api-tokens", json=body).raise_for_status().json()["secret"]
    now = dt.datetime.now(dt.timezone.utc)
    bucket = {
        "start": (now - dt.timedelta(minutes=1)).isoformat(),
        "stop": now.isoformat(),
        "toggles": {key: {"yes": 3, "no": 1} for key in keys},
    }
    metrics = {"appName": "checkout-service", "instanceId": "seed", "bucket": bucket}
    httpx.post(f"{server.url}/api/client/metrics", json=metrics, headers={"Authorization": token}).raise_for_status()


def _wait_for_stage(http: httpx.Client, key: str, stage: str) -> None:
    for _ in range(300):
        stages = [s["stage"] for s in http.get(f"/api/admin/projects/default/features/{key}/lifecycle").json()]
        if stage in stages:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{key} never reached the {stage} stage")


def seed(server: Server) -> None:
    base = "/api/admin/projects/default/features"
    with httpx.Client(base_url=server.url, headers={"Authorization": server.token}, timeout=30) as http:
        for key, (kind, strategies, enabled, steps) in SEED.items():
            http.post(base, json={"name": key, "type": kind}).raise_for_status()
            for strategy in strategies:
                body = {"constraints": [], **strategy}
                http.post(f"{base}/{key}/environments/production/strategies", json=body).raise_for_status()
            if enabled:
                http.post(f"{base}/{key}/environments/production/on").raise_for_status()
            if "development-on" in steps:
                body = {"name": "default", "parameters": {}, "constraints": []}
                http.post(f"{base}/{key}/environments/development/strategies", json=body).raise_for_status()
                http.post(f"{base}/{key}/environments/development/on").raise_for_status()
        # Unleash records each flag's "initial" stage asynchronously after creation. Metrics arriving
        # first would let "initial" land after "pre-live" and stay the newest stage: wait for it.
        for key in SEED:
            _wait_for_stage(http, key, "initial")
        # SDKs report in: pre-live from development, live from production (processed asynchronously).
        by_stage = {stage: [k for k, v in SEED.items() if stage in v[3]] for stage in ("pre-live", "live")}
        _evaluate(http, server, "development", by_stage["pre-live"])
        _evaluate(http, server, "production", by_stage["live"])
        for stage, keys in by_stage.items():
            for key in keys:
                _wait_for_stage(http, key, stage)
        for key, (_kind, _strategies, _enabled, steps) in SEED.items():
            for step in steps:
                if step.startswith("complete-"):
                    status, _, variant = step.removeprefix("complete-").partition(":")
                    body = {"status": status, **({"statusValue": variant} if variant else {})}
                    http.post(f"{base}/{key}/lifecycle/complete", json=body).raise_for_status()
                elif step == "archive":
                    http.delete(f"{base}/{key}").raise_for_status()
                elif step == "stale":
                    http.patch(
                        f"{base}/{key}", json=[{"op": "replace", "path": "/stale", "value": True}]
                    ).raise_for_status()
                elif step == "production-off":
                    http.post(f"{base}/{key}/environments/production/off").raise_for_status()
                elif step == "potentially-stale":
                    _sql(
                        server,
                        "UPDATE features SET created_at = now() - interval '100 days', potentially_stale = true "
                        f"WHERE name = '{key}'",
                    )
                elif step == "changed-60-days-ago":
                    sql = f"UPDATE events SET created_at = now() - interval '60 days' WHERE feature_name = '{key}'"
                    _sql(server, sql)
                elif step == "seen-45-days-ago":
                    # lastSeenAt is written a few seconds after the metrics arrive: wait, then age it.
                    for _ in range(300):  # (the feature search is rate limited; the feature itself is not)
                        environments = http.get(f"{base}/{key}").json()["environments"]
                        if any(e.get("lastSeenAt") for e in environments):
                            break
                        time.sleep(0.1)
                    # The server may flush its last-seen buffer once more after that: age it until
                    # the feature itself reports the old date (a flaky FL009 otherwise).
                    for _ in range(50):
                        _sql(
                            server,
                            "UPDATE last_seen_at_metrics SET last_seen_at = now() - interval '45 days' "
                            f"WHERE feature_name = '{key}'",
                        )
                        time.sleep(0.2)
                        environments = http.get(f"{base}/{key}").json()["environments"]
                        seen = [e["lastSeenAt"] for e in environments if e.get("lastSeenAt")]
                        if seen and all(_days_ago(when) >= 44 for when in seen):
                            break
