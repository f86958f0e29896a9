"""How close `flaglint init` comes to a careful hand-written configuration, on real projects.

For every project of the replay suite (bench/replay_cases.toml: each carries the settings a person
wrote for it by reading its code, the truth here), at the parent of its first replayed commit:
the flag references a scan with the hand configuration finds, and those a scan with what `init`
proposes finds (init never sees the hand configuration). Prints per project: references found by
hand, by init, found by both; recall (share of the hand-found references init finds); the share
of init's references the hand configuration does not have (an upper bound on what is no flag
check: the hand configuration may miss real checks), and of all init's references the share judged
no flag check in bench/init_labels.toml (per project and pattern; unjudged ones are counted
apart). Goal (issue 26): recall >= 90 %, no flag check <= 5 %.

With --blind, the projects of bench/init_blind.toml instead: picked by a rule written down before
they were read, their hand configurations written before init ran on them, at a fixed commit.

Run: python bench/init_bench.py [--mirrors DIR] [-k TEXT] [--extras] [--missed] [--blind]; --extras
prints one line per pattern of the references the hand configuration lacks, --missed each reference
init misses. Needs the mirrors (`fetch github:o/n`).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from replay import extract, git, git_dir, load_cases  # noqa: E402

from flaglint.engine.config import load_config  # noqa: E402
from flaglint.engine.workspace import Workspace  # noqa: E402
from flaglint.infer.propose import propose  # noqa: E402
from flaglint.model import FlagRef  # noqa: E402


def _pattern_name(pattern_id: str) -> str:
    """`custom.django.conf.settings#2:read` -> `django.conf.settings`; built-in ids stay."""
    return re.sub(r"(#\d+)?(:[a-z-]+)?$", "", pattern_id).removeprefix("custom.")


def _print_extras(root: Path, extra: list[FlagRef], by_pattern: Counter[str]) -> None:
    for name, count in by_pattern.most_common():
        first = next(r for r in extra if _pattern_name(r.pattern) == name)
        line = (root / first.path).read_text(encoding="utf-8", errors="replace").splitlines()[first.span.line - 1]
        print(f"    + {name} x{count}  {first.path}:{first.span.line}  {line.strip()[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, default=HERE / "replay_cases.toml")
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("FLAGLINT_MIRRORS", "/work/.mirror")))
    parser.add_argument("-k", dest="only", help="only projects whose name contains this")
    parser.add_argument("--extras", action="store_true", help="print the patterns of what the hand config lacks")
    parser.add_argument("--missed", action="store_true", help="print what the hand config finds and init does not")
    parser.add_argument("--blind", action="store_true", help="the blind projects of bench/init_blind.toml")
    args = parser.parse_args()
    labels = tomllib.loads((HERE / "init_labels.toml").read_text(encoding="utf-8"))["label"]
    verdicts = {(item["repo"], item["pattern"]): item["verdict"] for item in labels}
    first: dict[str, tuple[str, str]] = {}
    if args.blind:
        blind = tomllib.loads((HERE / "init_blind.toml").read_text(encoding="utf-8"))["project"]
        first = {item["repo"]: (item["commit"], item["config"]) for item in blind}
    for case in [] if args.blind else load_cases(args.cases):
        first.setdefault(case.repo, (case.commit, case.config))
    print(f"{'project':34} {'hand':>6} {'init':>6} {'both':>6} {'recall':>7} {'extra':>7} {'no flag':>8} {'init s':>7}")
    totals = Counter[str]()
    for repo, (commit, settings) in sorted(first.items()):
        if args.only and args.only not in repo:
            continue
        mirror = git_dir(args.mirrors, repo)
        if not mirror.is_dir():
            print(f"{repo:34} skipped: no mirror")
            continue
        parent = commit if args.blind else git(mirror, "rev-parse", f"{commit}^").decode().strip()
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
            extra = [r for r in proposal.refs if (r.path, r.span.line, r.key) not in truth]
            by_pattern = Counter(_pattern_name(r.pattern) for r in extra)
            if args.extras:
                _print_extras(root, extra, by_pattern)
            if args.missed:
                for path, line, key in sorted(truth - found):
                    text = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()[line - 1]
                    print(f"    - {path}:{line}  {key}  {text.strip()[:90]}")
        wrong = sum(n for name, n in by_pattern.items() if verdicts.get((repo, name)) == "not a flag")
        unjudged = sum(n for name, n in by_pattern.items() if (repo, name) not in verdicts)
        both = len(truth & found)
        counts = {"hand": len(truth), "init": len(found), "both": both, "wrong": wrong, "unjudged": unjudged}
        totals.update(counts)
        print(_row(repo, counts, took))
    if totals["hand"] and totals["init"]:
        print(_row("all", totals, None))


def _row(name: str, counts: Counter[str] | dict[str, int], took: float | None) -> str:
    hand, init, both = counts["hand"], counts["init"], counts["both"]
    recall = both / hand if hand else 1.0
    extra = (init - both) / init if init else 0.0
    wrong = counts["wrong"] / init if init else 0.0
    seconds = f"{took:7.1f}" if took is not None else ""
    line = f"{name:34} {hand:6} {init:6} {both:6} {recall:7.0%} {extra:7.0%} {wrong:8.1%} {seconds}"
    return line + (f"  ({counts['unjudged']} unjudged)" if counts["unjudged"] else "")


if __name__ == "__main__":
    main()
