"""Benchmark: a large organisation's registry. Writes a flags.toml of N flags (default 100,000;
every state and type, a tenth referenced from code, some keys in code that the registry lacks)
and times `flaglint check` and `flaglint report --format json` on it, with a TOML parse of the
same file timed in the same run as the yardstick. Run: python bench/registry_bench.py [--flags N].
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomllib

STATES = ["active", "rolled-out", "off", "archived", "active", "active"]
TYPES = ["release", "experiment", "operational", "kill-switch", "permission"]


def build(root: Path, count: int) -> int:
    lines = []
    for n in range(count):
        state = STATES[n % len(STATES)]
        lines.append(f'[flags."flag-{n:06}"]')
        lines.append(f'type = "{TYPES[n % len(TYPES)]}"')
        lines.append(f'state = "{state}"')
        if state == "rolled-out":
            lines.append("value = true")
        lines.append(f"created = 2025-{1 + n % 12:02}-{1 + n % 28:02}")
        lines.append(f'owner = "team-{n % 40}"')
    (root / "flags.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "pyproject.toml").write_text('[tool.flaglint]\nregistry = { path = "flags.toml", age-from-git = false }\n')
    package = root / "app"
    package.mkdir()
    referenced = 0
    for module in range(100):
        calls = []
        for n in range(module, count // 10, 100):
            calls.append(f'    if client.is_enabled("flag-{n:06}"):\n        pass')
            referenced += 1
        calls.append(f'    if client.is_enabled("missing-{module}"):\n        pass')
        (package / f"m{module:03}.py").write_text(
            "import UnleashClient\n\n\ndef handler(client):\n" + "\n".join(calls) + "\n", encoding="utf-8"
        )
    return referenced


def run(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    exe = shutil.which("flaglint") or sys.exit("install flaglint first: pip install -e .")
    start = time.perf_counter()
    done = subprocess.run([exe, *args, "--today", "2026-11-23"], cwd=root, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flags", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        referenced = build(root, args.flags)
        start = time.perf_counter()
        tomllib.loads((root / "flags.toml").read_text(encoding="utf-8"))
        yard = time.perf_counter() - start
        cold, done = run(root, "check", "--no-cache")
        if "Traceback" in done.stderr:
            print(done.stderr[-2000:])
        run(root, "check")  # fills the cache (scan results, parsed flags.toml)
        checks = sorted(run(root, "check")[0] for _ in range(5))  # a shared machine: the median of five
        report, _ = run(root, "report", "--format", "json")
        findings = sum(1 for line in done.stdout.splitlines() if ": FL0" in line)
        print(f"registry: {args.flags:,} flags; code: 100 modules, {referenced:,} references; {findings:,} findings")
        rows = [
            ("tomllib.loads of flags.toml (yardstick)", yard),
            ("flaglint check --no-cache", cold),
            ("flaglint check (cached, median of 5)", checks[2]),
            ("flaglint report --format json (cached)", report),
        ]
        for name, seconds in rows:
            print(f"{name:42} {seconds:7.2f} s")
        print(f"  cached check, five runs: {', '.join(f'{s:.2f}' for s in checks)} s")


if __name__ == "__main__":
    main()
