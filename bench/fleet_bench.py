"""Benchmark: an organisation of N repositories (default 1,000) and a registry of F flags (default
100,000). Each repository is a git repository of a few modules checking flags of the registry.

Prints, timed in the same run: `ast.parse` of every module (the yardstick), `flaglint check` with
a warm cache in one repository against the same registry (what a fleet report should stay within
twice of, plus the join), `flaglint fleet scan` cold on an embedded LocalCluster, the same scan
again (every repository unchanged), and `flaglint fleet report` in JSON and as a table.
Run: python bench/fleet_bench.py [--repos N] [--flags F] [--workers W]. Asserts nothing.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE = """from UnleashClient import UnleashClient

client = UnleashClient(url="http://127.0.0.1", app_name="{repo}")


def handler_{n}(request):
{checks}    return "old"
"""


def registry(root: Path, flags: int) -> None:
    states = ["active", "rolled-out", "off", "archived", "active", "active"]
    lines = []
    for n in range(flags):
        state = states[n % len(states)]
        lines += [f'[flags."flag-{n:06}"]', 'type = "release"', f'state = "{state}"', f'owner = "team-{n % 40}"']
        if state == "rolled-out":
            lines.append("value = true")
        lines.append("created = 2026-01-05")
    (root / "flags.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "org.toml").write_text('registry = "flags.toml"\n', encoding="utf-8")


def repositories(root: Path, count: int, flags: int) -> list[Path]:
    rng = random.Random(7)
    made = []
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b"}
    env["GIT_COMMITTER_EMAIL"] = "b@x"
    for index in range(count):
        repo = root / "repos" / f"service-{index:04}"
        (repo / "app").mkdir(parents=True)
        for n in range(4):
            keys = [f"flag-{rng.randrange(flags):06}" for _ in range(5)]
            checks = "".join(f'    if client.is_enabled("{k}"):\n        return "{k}"\n' for k in keys)
            (repo / "app" / f"mod{n}.py").write_text(MODULE.format(repo=repo.name, n=n, checks=checks))
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "init"], check=True, env=env)
        made.append(repo)
    (root / "repos.txt").write_text("".join(f"{p}\n" for p in made), encoding="utf-8")
    return made


def flaglint(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    exe = shutil.which("flaglint") or sys.exit("install flaglint first: pip install -e '.[fleet]'")
    start = time.perf_counter()
    done = subprocess.run([exe, *args], cwd=root, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--flags", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", type=Path, help="build in this (new) folder and leave it there, to look into")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) if args.keep is None else args.keep
        root.mkdir(parents=True, exist_ok=True)
        registry(root, args.flags)
        made = repositories(root, args.repos, args.flags)
        files = [p for repo in made for p in (repo / "app").glob("*.py")]
        start = time.perf_counter()
        for path in files:
            ast.parse(path.read_bytes())
        yard = time.perf_counter() - start
        one = made[0]
        (one / "pyproject.toml").write_text(f'[tool.flaglint]\nregistry = "{root / "flags.toml"}"\n')
        flaglint(one, "check")  # fills the caches
        checks = sorted(flaglint(one, "check")[0] for _ in range(3))
        workers = ("--workers", str(args.workers))
        cold, scanned = flaglint(root, "fleet", "scan", "--from", "repos.txt", "--config", "org.toml", *workers)
        if scanned.returncode != 0:
            print(scanned.stderr[-2000:])
        warm, _ = flaglint(root, "fleet", "scan", "--from", "repos.txt", "--config", "org.toml", *workers)
        flaglint(root, "fleet", "report", "--format", "json")  # the registry's parse cache, as `check`'s
        report, done = flaglint(root, "fleet", "report", "--format", "json")
        table, _ = flaglint(root, "fleet", "report", "--output", "table.txt")
        data = json.loads(done.stdout) if done.returncode == 0 else {"summary": {}, "findings": []}
        refs = data["summary"].get("references", 0)
        print(
            f"fleet: {args.repos:,} repositories, {len(files):,} modules, {refs:,} references;"
            f" registry {args.flags:,} flags; {len(data['findings']):,} findings; {args.workers} workers"
        )
        rows = [
            ("ast.parse of every module (yardstick)", yard),
            ("flaglint check, one repository, warm (median of 3)", checks[1]),
            ("flaglint fleet scan, cold", cold),
            ("flaglint fleet scan, nothing moved", warm),
            ("flaglint fleet report --format json", report),
            ("flaglint fleet report (table to a file)", table),
        ]
        for name, seconds in rows:
            print(f"{name:52} {seconds:7.2f} s")
        print(f"fleet report / warm check: {report / checks[1]:.2f}x (the goal: at most 2x, plus the join)")


if __name__ == "__main__":
    main()
