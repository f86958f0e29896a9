"""How close `flaglint init` comes to a careful hand-written configuration, on real projects.

For every project of the replay suite (bench/replay_cases.toml: each carries the settings a person
wrote for it by reading its code, the truth here), at the parent of its first replayed commit:
the flag references a scan with the hand configuration finds, and those a scan with what `init`
proposes finds (init never sees the hand configuration). Prints per project: references found by
hand, by init, found by both; recall (share of the hand-found references init finds) and the share
of init's references the hand configuration does not have (an upper bound on what is no flag
check: the hand configuration may miss real checks). Goal (issue 26): recall >= 90 %, extra <= 5 %.

Run: python bench/init_bench.py [--mirrors DIR] [-k TEXT]. Needs the mirrors (`fetch github:o/n`).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from replay import extract, git, git_dir, load_cases  # noqa: E402

from flaglint.engine.config import load_config  # noqa: E402
from flaglint.engine.workspace import Workspace  # noqa: E402
from flaglint.infer.propose import propose  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, default=HERE / "replay_cases.toml")
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("FLAGLINT_MIRRORS", "/work/.mirror")))
    parser.add_argument("-k", dest="only", help="only projects whose name contains this")
    args = parser.parse_args()
    first: dict[str, tuple[str, str]] = {}
    for case in load_cases(args.cases):
        first.setdefault(case.repo, (case.commit, case.config))
    print(f"{'project':34} {'hand':>6} {'init':>6} {'both':>6} {'recall':>7} {'extra':>7} {'init s':>7}")
    totals = [0, 0, 0]
    for repo, (commit, settings) in sorted(first.items()):
        if args.only and args.only not in repo:
            continue
        mirror = git_dir(args.mirrors, repo)
        if not mirror.is_dir():
            print(f"{repo:34} skipped: no mirror")
            continue
        parent = git(mirror, "rev-parse", f"{commit}^").decode().strip()
        with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as elsewhere:
            root = Path(folder)
            extract(mirror, parent, root)
            (Path(elsewhere) / "pyproject.toml").write_text(settings, encoding="utf-8")  # out of init's sight
            hand = load_config(Path(elsewhere) / "pyproject.toml", root)
            truth = {(r.path, r.span.line, r.key) for r in Workspace(hand, use_cache=False).scan().refs}
            start = time.perf_counter()
            proposal = propose(load_config(None, root))
            took = time.perf_counter() - start
            found = {(r.path, r.span.line, r.key) for r in proposal.refs}
        both = len(truth & found)
        recall = both / len(truth) if truth else 1.0
        extra = (len(found) - both) / len(found) if found else 0.0
        totals = [totals[0] + len(truth), totals[1] + len(found), totals[2] + both]
        print(f"{repo:34} {len(truth):6} {len(found):6} {both:6} {recall:7.0%} {extra:7.0%} {took:7.1f}")
    hand_total, init_total, both_total = totals
    if hand_total:
        extra_total = (init_total - both_total) / init_total if init_total else 0.0
        print(
            f"{'all':34} {hand_total:6} {init_total:6} {both_total:6} {both_total / hand_total:7.0%} {extra_total:7.0%}"
        )


if __name__ == "__main__":
    main()
