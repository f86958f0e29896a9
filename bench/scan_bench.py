"""Benchmark: cold and warm `flaglint scan` of a generated corpus against `ast.parse` of every file.

Run: python bench/scan_bench.py [--files N]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import make_corpus


def timed_scan(root: Path, *extra: str) -> float:
    exe = shutil.which("flaglint") or sys.exit("install flaglint first: pip install -e .")
    start = time.perf_counter()
    done = subprocess.run([exe, "scan", str(root), *extra], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(done.stderr)
    return elapsed


def ast_baseline(root: Path) -> float:
    start = time.perf_counter()
    for path in root.rglob("*.py"):
        ast.parse(path.read_bytes(), filename=str(path))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2_400)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files, lines = make_corpus(root, args.files)
        print(f"corpus: {files} files, {lines:,} lines, 1 file in 50 with flag checks")
        baseline = min(ast_baseline(root) for _ in range(args.repeat))
        colds, warms = [], []
        for _ in range(args.repeat):
            shutil.rmtree(root / ".flaglint_cache", ignore_errors=True)
            colds.append(timed_scan(root))
            warms.append(timed_scan(root))
        cold, warm = min(colds), min(warms)
        rows = [
            ("ast.parse every file (1 process)", baseline),
            ("flaglint scan, cold", cold),
            ("flaglint scan, warm", warm),
        ]
        for name, seconds in rows:
            print(f"{name:34} {seconds:7.3f} s  {lines / seconds:>12,.0f} lines/s")
        print(f"cold scan vs ast.parse: {baseline / cold:.2f}x faster")
        print(f"warm vs cold:           {cold / warm:.1f}x faster")


if __name__ == "__main__":
    main()
