"""Put flags in every state into a real Unleash server through its Admin API (and its database,
for the potentially-stale bit that Unleash itself only recomputes about once a minute).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
SEED = {
    "rolled-out": ("release", [FULL], True, []),
    "default-strategy-on": ("release", [{"name": "default", "parameters": {}}], True, []),
    "half-rollout": ("release", [HALF], True, []),
    "constrained": ("experiment", [CONSTRAINED], True, []),
    "disabled-in-production": ("release", [FULL], False, []),
    "enabled-without-strategy": ("release", [], True, []),
    "kept": ("release", [HALF], True, ["complete-kept"]),
    "discarded": ("experiment", [HALF], True, ["complete-discarded"]),
    "archived": ("release", [FULL], True, ["archive"]),
    "marked-stale": ("release", [HALF], True, ["stale"]),
    "potentially-stale": ("operational", [HALF], True, ["potentially-stale"]),
    "kill-switch-off": ("kill-switch", [], False, []),
    "permission-on": ("permission", [FULL], True, []),
}

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
}


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
            for step in steps:
                if step.startswith("complete-"):
                    # Unleash records the "initial" stage asynchronously after creation; completing
                    # before it lands would leave "initial" as the newest stage.
                    for _ in range(100):
                        if http.get(f"{base}/{key}/lifecycle").json():
                            break
                        time.sleep(0.1)
                    status = step.split("-", 1)[1]
                    http.post(f"{base}/{key}/lifecycle/complete", json={"status": status}).raise_for_status()
                elif step == "archive":
                    http.delete(f"{base}/{key}").raise_for_status()
                elif step == "stale":
                    http.patch(
                        f"{base}/{key}", json=[{"op": "replace", "path": "/stale", "value": True}]
                    ).raise_for_status()
                elif step == "potentially-stale":
                    sql = (
                        "UPDATE features SET created_at = now() - interval '100 days', potentially_stale = true "
                        f"WHERE name = '{key}'"
                    )
                    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
                    psql = ["psql", "-h", "127.0.0.1", "-p", server.pgport, "-U", "postgres", "unleash", "-c", sql]
                    subprocess.run(psql, check=True, capture_output=True, env=env)
