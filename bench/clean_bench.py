"""Benchmark: retire one flag that appears in 1 file of 50 across a generated corpus, next to a
cold `flaglint scan` of the same corpus.

Run: python bench/clean_bench.py [--files N]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import make_corpus


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    exe = shutil.which("flaglint") or sys.exit("install flaglint first: pip install -e .")
    start = time.perf_counter()
    done = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(done.stderr)
    return elapsed, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2_400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files, lines = make_corpus(root, args.files)
        print(f"corpus: {files} files, {lines:,} lines; the retired flag's constant appears in 1 file of 50")
        scan, _ = timed(["scan", "--no-cache", "."], root)
        check, summary = timed(["clean", "--flag", "flag-constant=on", "--check", "--no-cache", "."], root)
        write, _ = timed(["clean", "--flag", "flag-constant=on", "--no-cache", "."], root)
        print(f"{'flaglint scan, cold':40} {scan:7.3f} s")
        print(f"{'flaglint clean --check, cold':40} {check:7.3f} s  ({check / scan:.2f}x the scan)")
        print(f"{'flaglint clean (writes), cold':40} {write:7.3f} s  ({write / scan:.2f}x the scan)")
        print(summary.strip().splitlines()[-1] if summary.strip() else "")


if __name__ == "__main__":
    main()
