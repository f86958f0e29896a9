"""Benchmark on real code where every file is a hit: the running interpreter's standard library,
with a two-branch `client.is_enabled("perf-flag")` check appended to every module.

Prints, timed in the same run: `ast.parse` of every file in one process (the yardstick), a cold
`flaglint scan` (no cache), a warm one, and `flaglint clean --flag perf-flag=on` (every file is
rewritten; each must still parse). Run: python bench/stdlib_bench.py. Asserts nothing.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

CHECK = """

import UnleashClient as _flaglint_bench_sdk
client = _flaglint_bench_sdk.UnleashClient(url="http://127.0.0.1", app_name="bench")
if client.is_enabled("perf-flag"):
    _flaglint_bench_path = "new"
else:
    _flaglint_bench_path = "old"
"""


def build(root: Path) -> tuple[int, int]:
    """Copy every stdlib module that this interpreter compiles (site-packages left out)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = lines = 0
    for path in sorted(stdlib.rglob("*.py")):
        rel = path.relative_to(stdlib)
        if rel.parts[0] == "site-packages":
            continue
        try:
            data = path.read_bytes()
            compile(data, str(path), "exec", dont_inherit=True)  # modules that really compile
            text = data.decode("utf-8")
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        target = root / "lib" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((text + CHECK).encode("utf-8"))
        files += 1
        lines += text.count("\n") + CHECK.count("\n")
    (root / "pyproject.toml").write_text('[tool.flaglint]\nsrc = ["lib"]\n', encoding="utf-8")
    return files, lines


def flaglint(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    exe = shutil.which("flaglint") or sys.exit("install flaglint first: pip install -e .")
    start = time.perf_counter()
    done = subprocess.run([exe, *args], capture_output=True, text=True)
    return time.perf_counter() - start, done


def piranha(root: Path) -> tuple[float, int] | None:
    """PolyglotPiranha (pip install polyglot-piranha) parsing, querying and rewriting every module
    with the same substitution, file by file (its parser panics on some valid modules; those are
    skipped and counted): the tool this one is measured against. None when it is not installed.
    """
    try:
        from polyglot_piranha import PiranhaArguments, Rule, RuleGraph, execute_piranha
    except ImportError:
        return None
    rule = Rule(
        name="retire", query='cs client.is_enabled("perf-flag")', replace_node="*", replace="True", is_seed_rule=True
    )
    graph = RuleGraph(rules=[rule], edges=[])
    texts = [(path, path.read_text(encoding="utf-8")) for path in sorted((root / "lib").rglob("*.py"))]
    failed = 0
    saved = os.dup(2)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)  # a panic prints the whole module; the count below says enough
    try:
        start = time.perf_counter()
        for _path, text in texts:
            try:
                execute_piranha(PiranhaArguments(language="python", code_snippet=text, rule_graph=graph))
            except BaseException:
                failed += 1
        took = time.perf_counter() - start
    finally:
        os.dup2(saved, 2)
        os.close(quiet)
        os.close(saved)
    return took, failed


def yardstick(root: Path) -> float:
    start = time.perf_counter()
    for path in (root / "lib").rglob("*.py"):
        ast.parse(path.read_bytes(), filename=str(path))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-clean", action="store_true", help="only the scans")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files, lines = build(root)
        print(f"corpus: {files:,} stdlib modules, {lines:,} lines, a flag check in every one")
        baseline = yardstick(root)
        cold, done = flaglint("scan", "--no-cache", "--format", "json", str(root))
        found = json.loads(done.stdout)["references"] if done.returncode == 0 else []
        hits = sum(1 for r in found if r["key"] == "perf-flag")
        if "Traceback" in done.stderr:
            print(done.stderr[-2000:])
        flaglint("scan", str(root))  # fills the cache
        warm, _ = flaglint("scan", str(root))
        rows = [("ast.parse every file (1 process)", baseline), ("flaglint scan, cold (no cache)", cold)]
        rows.append(("flaglint scan, warm", warm))
        if not args.skip_clean:
            other = piranha(root)
            if other is None:
                print("PolyglotPiranha: not installed (pip install polyglot-piranha) - no row")
            else:
                rows.append(("PolyglotPiranha, same substitution", other[0]))
                print(f"PolyglotPiranha: its parser panicked on {other[1]} of {files} modules (skipped)")
            # A flag is retired all or nothing: a module whose check cannot be rewritten (LibCST
            # cannot parse a few valid stdlib modules) stops the whole retirement. Those modules
            # are excluded, named, and the timed run is the one that retires the flag.
            excluded: list[str] = []
            for _ in range(5):
                took, cleaned = flaglint("clean", "--flag", "perf-flag=on", "--allow-dirty", str(root))
                refused = re.search(r"Not retired: perf-flag \(([^:]+):", cleaned.stderr)
                if refused is None:
                    break
                excluded.append(refused.group(1))
                settings = f'[tool.flaglint]\nsrc = ["lib"]\nexclude = {json.dumps(excluded)}\n'
                (root / "pyproject.toml").write_text(settings, encoding="utf-8")
            if excluded:
                print(f"clean: excluded {len(excluded)} module(s) it cannot rewrite: {', '.join(excluded)}")
            rows.append(("flaglint clean --flag perf-flag=on", took))
            broken = 0
            for path in (root / "lib").rglob("*.py"):
                try:
                    ast.parse(path.read_bytes())
                except SyntaxError:
                    broken += 1
            left = sum(1 for p in (root / "lib").rglob("*.py") if "perf-flag" in p.read_text(encoding="utf-8"))
            left -= len(excluded)
            summary = [line for line in cleaned.stderr.splitlines() if "flag" in line.lower()][:3]
            print(f"clean: exit {cleaned.returncode}; {' | '.join(summary)}")
            print(f"clean: {broken} rewritten files fail to parse; {left} files still name perf-flag")
        for name, seconds in rows:
            ratio = seconds / baseline
            print(f"{name:38} {seconds:7.2f} s  {lines / seconds:>10,.0f} lines/s  {ratio:5.2f}x ast.parse")
        print(f"checks found by scan: {hits} of {files}; traceback: {'yes' if 'Traceback' in done.stderr else 'no'}")


if __name__ == "__main__":
    main()
