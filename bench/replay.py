"""Replay real flag removals: run `flaglint clean` at the parent of a human's flag-removal commit
and compare what it writes with what the human committed (non-test Python only, migrations and
a file whose only change is its `__version__` line left out: release bookkeeping, not the flag).

The cases (`bench/replay_cases.toml`) name only public facts: the repository, the commit, the
flag, the value the human kept, and the flaglint settings a user would write for that project
from its code. Nothing of the projects is stored here: their history is read from local git
mirrors (`fetch github:owner/name`, or `git clone --mirror`), one folder per repository named
`owner+name` under --mirrors (each a bare repository or holding one in `repo/`).

Per commit it prints one verdict:
  exact         every touched non-test Python file equals the human's version
  tidier        equal once the imports the human's change left unused (and flaglint removed) go
  cleanup       equal but for imports that were already unused before the change, which the human
                also removed (a cleanup beside the flag's; flaglint leaves lint it did not cause)
  spacing       equal but for blank lines (a person added or dropped one); not counted in "need no
                reviewer edit", printed beside it
  same-code     equal once formatting is ignored (same AST): a reviewer may still reformat
  needs-review  compiles, no new undefined name, but differs from the human's change
  wrong         flaglint's output does not compile or uses a name it no longer defines
and flags new unused imports (F401). Run: python bench/replay.py [--mirrors DIR] [-k TEXT] [--unsafe-fixes]
[--diff] [--import-smoke]; --diff prints how flaglint's files differ from the person's; --import-smoke
imports every module a rewrite touched, and their importers, before and after it (missing packages
stubbed), and counts those that imported before and no longer do.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_tests?\.py$|(^|/)conftest\.py$")
MIGRATION = re.compile(r"(^|/)migrations/")


@dataclass(frozen=True)
class Case:
    repo: str
    commit: str
    flag: str
    value: str
    config: str
    note: str = ""
    aside: tuple[str, ...] = ()  # the human's hunks (`path:line`) that are not flag-implied

    def flags(self) -> list[str]:
        """`KEY=VALUE` per flag: one flag, or several (`a,b`) retired with the same value."""
        return [f"{key}={self.value}" for key in self.flag.split(",")]


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: str
    files: int  # non-test Python files the human or flaglint changed
    matching: int  # of those, files where flaglint wrote what the human did
    new_f401: int
    detail: str = ""
    diff: str = ""  # ours -> theirs, for the files that differ
    smoke: tuple[int, int] | None = None  # (modules that imported before, of those still importing)
    removal: bool = False  # equal to the flag-implied part of the human's change (whitespace aside)
    residue: str = ""  # ours -> the flag-implied change, for the files that differ
    # the residue lies only in files the human left untouched although they still name the flag
    # (its key, or the setting that holds it): the human did not finish the removal there
    unfinished: tuple[str, ...] = ()


def load_cases(path: Path) -> list[Case]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cases = []
    for project in data["project"]:
        for case in project["case"]:
            cases.append(
                Case(
                    project["repo"],
                    case["commit"],
                    case["flag"],
                    case["value"],
                    project["config"],
                    case.get("note", ""),
                    tuple(case.get("aside", ())),
                )
            )
    return cases


def git_dir(mirrors: Path, repo: str) -> Path:
    folder = mirrors / repo.replace("/", "+")
    for candidate in (folder / "repo" / ".git", folder / "repo"):
        if candidate.is_dir():
            return candidate
    return folder


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, check=True).stdout


VERSION_LINE = re.compile(r"""\s*__version__\s*=\s*["'][^"']*["']\s*""")


def release_bump(before: str | None, after: str | None) -> bool:
    """Whether a file's change is its `__version__` line alone: the release bookkeeping some
    projects (edx-enterprise) do in every commit, not part of removing a flag."""
    if before is None or after is None:
        return False
    old, new = before.splitlines(), after.splitlines()
    changed = [(a, b) for a, b in zip(old, new, strict=False) if a != b]
    return len(old) == len(new) and len(changed) == 1 and all(VERSION_LINE.fullmatch(x) for x in changed[0])


def relevant(path: str) -> bool:
    return path.endswith(".py") and not TEST_PATH.search(path) and not MIGRATION.search(path)


def extract(repo: Path, commit: str, into: Path) -> None:
    """The Python files of a commit, without a checkout."""
    archive = git(repo, "archive", "--format=tar", commit, "--", ":(glob)**/*.py")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def blob(repo: Path, commit: str, path: str) -> str | None:
    try:
        return git(repo, "show", f"{commit}:{path}").decode("utf-8", "replace")
    except subprocess.CalledProcessError:
        return None  # not in that commit


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    """One hunk of the human's change (`git diff -U0`): old lines start..start+count replaced."""

    path: str
    start: int  # first old line (for an insertion: the old line it follows)
    count: int
    lines: tuple[str, ...]  # the new lines
    new_start: int = 0  # the first new line's number

    @property
    def id(self) -> str:
        return f"{self.path}:{self.start}"

    def applied(self, old: list[str], aside: frozenset[str]) -> list[str]:
        """This hunk's lines with what `aside` sets aside undone: the whole hunk (`path:START`),
        an old line's deletion (`path:-N`: it stays) or a new line's addition (`path:+N`: it is
        not added). The added lines that remain take the place of the first old line that goes."""
        if self.id in aside:
            return old
        first = self.start if self.count else self.start + 1
        kept = [(n, line) for n, line in enumerate(old, first) if f"{self.path}:-{n}" in aside]
        added = [line for n, line in enumerate(self.lines, self.new_start) if f"{self.path}:+{n}" not in aside]
        gone = [n for n in range(first, first + len(old)) if f"{self.path}:-{n}" not in aside]
        at = gone[0] if gone else first + len(old)
        return [line for n, line in kept if n < at] + added + [line for n, line in kept if n > at]

    def ids(self) -> set[str]:
        first = self.start if self.count else self.start + 1
        old = {f"{self.path}:-{n}" for n in range(first, first + self.count)}
        return {self.id, *old, *(f"{self.path}:+{n}" for n in range(self.new_start, self.new_start + len(self.lines)))}


def human_hunks(repo: Path, parent: str, commit: str, path: str) -> list[Hunk]:
    """The human's change to `path` as -U0 hunks (Myers, renames off: the same ids every run)."""
    text = git(
        repo, "diff", "-U0", "--no-renames", "--no-color", "--diff-algorithm=myers", parent, commit, "--", path
    ).decode("utf-8", "replace")
    hunks: list[Hunk] = []
    current: list[str] | None = None
    head: tuple[int, int, int] = (0, 0, 0)
    previous = ""
    for line in text.splitlines(True):
        found = HUNK.match(line)
        if found:
            if current is not None:
                hunks.append(Hunk(path, head[0], head[1], tuple(current), head[2]))
            head = (int(found.group(1)), int(found.group(2) or "1"), int(found.group(3)))
            current = []
        elif current is not None and line.startswith("+"):
            current.append(line[1:])
        elif current is not None and line.startswith("\\") and previous.startswith("+"):
            current[-1] = current[-1].removesuffix("\n")  # "\ No newline at end of file" after an added line
        previous = line
    if current is not None:
        hunks.append(Hunk(path, head[0], head[1], tuple(current), head[2]))
    return hunks


def apply_hunks(text: str, hunks: list[Hunk], aside: frozenset[str] = frozenset()) -> str:
    """`text` with `hunks` (of one file, from one diff) applied, less what `aside` sets aside."""
    lines = text.splitlines(True)
    for hunk in sorted(hunks, key=lambda h: h.start, reverse=True):
        first = hunk.start - 1 if hunk.count else hunk.start  # count 0: insert after line `start`
        lines[first : first + hunk.count] = hunk.applied(lines[first : first + hunk.count], aside)
    return "".join(lines)


def expand_ids(ids: tuple[str, ...]) -> list[str]:
    """`path:-N..M` / `path:+N..M` written for a run of lines, one id per line."""
    found = []
    for entry in ids:
        run = re.fullmatch(r"(.+:[-+])(\d+)\.\.(\d+)", entry)
        found.extend([f"{run[1]}{n}" for n in range(int(run[2]), int(run[3]) + 1)] if run else [entry])
    return found


def _spaced(text: str | None) -> str | None:
    """A text with whitespace-only differences taken out: its tokens without the line breaks that
    end no statement (blank lines, a bracket's lines joined or split) and without spacing between
    tokens; comments and strings stay as written. Line by line when it does not tokenize."""
    if text is None:
        return None
    try:
        tokens = [
            (found.type, found.string)
            for found in tokenize.generate_tokens(io.StringIO(text).readline)
            if found.type not in (tokenize.NL, tokenize.ENDMARKER)
        ]
    except (tokenize.TokenError, SyntaxError):
        return "".join(line.rstrip() + "\n" for line in text.splitlines() if line.strip())
    return "\n".join(f"{kind} {value}" for kind, value in tokens)


def same_code(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except SyntaxError:
        return False


def lint(files: dict[str, str], select: str) -> Counter[str]:
    """Ruff findings of one code per file (name only, so moved lines still match)."""
    found: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for rel, text in files.items():
            path = Path(folder) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--select", select, "--output-format", "json", "."],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        for item in json.loads(done.stdout or "[]"):
            rel = Path(item["filename"]).relative_to(Path(folder).resolve()).as_posix()
            found[f"{rel}:{item['message']}"] += 1
    return found


def replay(case: Case, mirrors: Path, unsafe: bool = False, check_imports: bool = False) -> Outcome:
    repo = git_dir(mirrors, case.repo)
    parent = git(repo, "rev-parse", f"{case.commit}^").decode().strip()
    flags = [part for pair in case.flags() for part in ("--flag", pair)]
    unsafe_args = ["--unsafe-fixes"] if unsafe else []
    human = [
        p
        for p in git(repo, "diff", "--name-only", parent, case.commit).decode().splitlines()
        if relevant(p) and not release_bump(blob(repo, parent, p), blob(repo, case.commit, p))
    ]
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as untouched:
        root = Path(folder)
        extract(repo, parent, root)
        extract(repo, parent, Path(untouched))
        # What flaglint starts from, as extracted (export-subst files differ from their blobs).
        start = {
            p.relative_to(root).as_posix(): p.read_text(encoding="utf-8", errors="replace")
            for p in root.rglob("*.py")
            if relevant(p.relative_to(root).as_posix())
        }
        (root / "pyproject.toml").write_text(case.config, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
        done = subprocess.run(
            [sys.executable, "-m", "flaglint", "clean", *flags, "--allow-dirty", *unsafe_args],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode not in (0, 1):
            return Outcome(case, "wrong", len(human), 0, 0, done.stderr.strip().splitlines()[-1:][0])
        changed = []
        before: dict[str, str] = {}
        ours: dict[str, str] = {}
        for rel, original in start.items():
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
            if text != original:
                changed.append(rel)
                before[rel], ours[rel] = original, text
        smoke = import_smoke(Path(untouched), root) if check_imports else None
    return dataclasses.replace(_verdict(case, repo, parent, human, changed, before, ours), smoke=smoke)


def _verdict(
    case: Case,
    repo: Path,
    parent: str,
    human: list[str],
    changed: list[str],
    before: dict[str, str],
    ours: dict[str, str],
) -> Outcome:
    """How flaglint's files compare with the person's (see the verdicts above)."""
    files = sorted(set(human) | set(changed))
    theirs = {rel: blob(repo, case.commit, rel) for rel in files}
    for rel in files:
        before.setdefault(rel, blob(repo, parent, rel) or "")
        ours.setdefault(rel, before[rel])
    matching = sum(1 for rel in files if ours[rel] == theirs[rel])
    outcome = _whole_verdict(case, files, theirs, before, ours, matching)
    return _judged(case, repo, parent, files, before, ours, outcome)


def _judged(
    case: Case,
    repo: Path,
    parent: str,
    files: list[str],
    before: dict[str, str],
    ours: dict[str, str],
    outcome: Outcome,
) -> Outcome:
    """The outcome with the restated measure: is ours the flag-implied part of the human's change
    (their hunks less those the case sets aside), whitespace-only differences aside? Imports the
    change left unused count as implied; imports unused before it do not."""
    hunks = {rel: human_hunks(repo, parent, case.commit, rel) for rel in files}
    aside = frozenset(expand_ids(case.aside))
    unknown = aside - {i for found in hunks.values() for h in found for i in h.ids()}
    if unknown:
        raise SystemExit(f"{case.repo} {case.commit[:10]}: no such hunk or line of the human change: {sorted(unknown)}")
    implied = {rel: apply_hunks(blob(repo, parent, rel) or "", hunks[rel], aside) for rel in files}
    residue = ""
    left: list[str] = []
    names = [part.rsplit(".", 1)[-1] if part.startswith("settings.") else part for part in case.flag.split(",")]
    for rel in files:
        mine, wanted = _spaced(ours[rel]), _spaced(implied[rel])
        if mine == wanted:
            continue
        if not hunks[rel] and any(name in before[rel] for name in names):
            left.append(rel)  # untouched by the human, and it still names the flag
        clean_before = not lint({rel: before[rel]}, "F401")
        if clean_before and mine == _spaced(without_unused_imports(implied[rel])):
            continue  # the human left an import unused that the flag's removal freed
        if not outcome.new_f401 and _spaced(without_unused_imports(ours[rel])) == wanted:
            continue  # the human also removed imports unused before: a cleanup beside the flag's
        residue += "".join(
            difflib.unified_diff(
                ours[rel].splitlines(True), implied[rel].splitlines(True), f"flaglint/{rel}", f"implied/{rel}"
            )
        )
    unfinished = tuple(left) if residue and all(f"flaglint/{rel}" in residue for rel in left) else ()
    only_unfinished = bool(unfinished) and all(
        line[len("--- flaglint/") :].strip() in unfinished
        for line in residue.splitlines()
        if line.startswith("--- flaglint/")
    )
    return dataclasses.replace(
        outcome,
        removal=not residue and outcome.verdict != "wrong",
        residue=residue,
        unfinished=unfinished if only_unfinished and outcome.verdict != "wrong" else (),
    )


def _whole_verdict(
    case: Case,
    files: list[str],
    theirs: dict[str, str | None],
    before: dict[str, str],
    ours: dict[str, str],
    matching: int,
) -> Outcome:
    """The verdict against the human's whole change."""
    diff = "".join(
        "".join(
            difflib.unified_diff(
                ours[rel].splitlines(True), (theirs[rel] or "").splitlines(True), f"flaglint/{rel}", f"person/{rel}"
            )
        )
        for rel in files
        if ours[rel] != theirs[rel]
    )
    new_f401 = sum((lint(ours, "F401") - lint(before, "F401")).values())
    broken = [rel for rel in files if _compiles(before[rel]) and not _compiles(ours[rel])]
    undefined = lint(ours, "F821") - lint(before, "F821")
    if broken or undefined:
        detail = f"does not compile: {broken[0]}" if broken else f"undefined: {next(iter(undefined))}"
        return Outcome(case, "wrong", len(files), matching, new_f401, detail, diff)
    if matching == len(files):
        return Outcome(case, "exact", len(files), matching, new_f401)
    left = {rel for rel in files if ours[rel] != theirs[rel] and theirs[rel] is not None}
    if not lint({r: before[r] for r in left}, "F401") and all(
        ours[rel] == without_unused_imports(theirs[rel] or "") for rel in left
    ):
        return Outcome(case, "tidier", len(files), matching, new_f401, "the human left imports unused")
    # No import flaglint left is newly unused, so those the fix drops here were unused before the change.
    if not new_f401 and all(without_unused_imports(ours[rel]) == theirs[rel] for rel in left):
        return Outcome(case, "cleanup", len(files), matching, new_f401, "the human also removed unused imports")
    if all(_without_blank_lines(ours[rel]) == _without_blank_lines(theirs[rel]) for rel in files):
        return Outcome(case, "spacing", len(files), matching, new_f401, "blank lines differ", diff)
    if all(same_code(ours[rel], theirs[rel]) for rel in files):
        return Outcome(case, "same-code", len(files), matching, new_f401, "", diff)
    missed = [rel for rel in files if ours[rel] != theirs[rel]]
    return Outcome(case, "needs-review", len(files), matching, new_f401, f"differs: {', '.join(missed[:3])}", diff)


SMOKE = HERE.parent / "tests" / "import_smoke.py"


def import_smoke(before: Path, after: Path) -> tuple[int, int]:
    """Of the modules a rewrite touched and the modules that import them, how many imported
    before the rewrite (third-party packages stood in for by stubs, see tests/import_smoke.py),
    and how many of those still import after it."""
    edited = [
        p.relative_to(after)
        for p in after.rglob("*.py")
        if (before / p.relative_to(after)).read_bytes() != p.read_bytes()
    ]
    names = {_module(rel) for rel in edited} - {""}
    tails = {name.rsplit(".", 1)[-1] for name in names}
    importers = set()
    for path in after.rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(re.search(rf"^\s*(?:from|import)\s[^\n]*\b{re.escape(t)}\b", text, re.M) for t in tails):
            importers.add(_module(path.relative_to(after)))
    wanted = sorted((names | importers) - {""})
    if not wanted:
        return 0, 0
    was, now = _imported(before, wanted), _imported(after, wanted)
    fine = [name for name in wanted if was.get(name) == "ok"]
    return len(fine), sum(1 for name in fine if now.get(name) == "ok")


def _module(rel: Path) -> str:
    parts = rel.with_suffix("").parts
    if not all(part.isidentifier() for part in parts):
        return ""
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(root: Path, names: list[str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, str(SMOKE), str(root), *names], capture_output=True, text=True, timeout=600, check=False
    )
    try:
        answer: dict[str, str] = json.loads(done.stdout)
    except ValueError:
        return {}
    return answer


def _without_blank_lines(text: str | None) -> str | None:
    return None if text is None else "".join(line for line in text.splitlines(True) if line.strip())


def without_unused_imports(text: str) -> str:
    """`text` with the imports ruff finds unused (F401) removed by ruff's own fix."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F401", "--fix", "--quiet", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout


def _compiles(text: str | None) -> bool:
    if text is None:
        return True
    try:
        compile(text, "<replay>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, default=HERE / "replay_cases.toml")
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("FLAGLINT_MIRRORS", "/work/.mirror")))
    parser.add_argument("-k", dest="only", help="only cases whose repository, commit or flag contains this")
    parser.add_argument("--unsafe-fixes", action="store_true", help="replay `clean --unsafe-fixes`")
    parser.add_argument("--diff", action="store_true", help="print how flaglint's files differ from the person's")
    parser.add_argument(
        "--residue",
        action="store_true",
        help="print how flaglint's files differ from the flag-implied part of the person's change",
    )
    parser.add_argument("--hunks", action="store_true", help="list the ids of the person's hunks (for `aside`)")
    parser.add_argument(
        "--import-smoke",
        action="store_true",
        help="also import the modules each rewrite touched (and their importers) before and after it",
    )
    args = parser.parse_args()
    cases = [
        c for c in load_cases(args.cases) if not args.only or any(args.only in t for t in (c.repo, c.commit, c.flag))
    ]
    outcomes = []
    for case in cases:
        if not git_dir(args.mirrors, case.repo).is_dir():
            print(f"{case.repo:32} {case.commit[:10]}  skipped: no mirror under {args.mirrors}")
            continue
        outcome = replay(case, args.mirrors, args.unsafe_fixes, args.import_smoke)
        outcomes.append(outcome)
        f401 = f"  +{outcome.new_f401} F401" if outcome.new_f401 else ""
        if outcome.smoke is not None:
            f401 += f"  imports {outcome.smoke[1]}/{outcome.smoke[0]}"
        implied = "removal" if outcome.removal else "unfinished" if outcome.unfinished else "residue"
        print(
            f"{case.repo:32} {case.commit[:10]} {case.flag}={case.value:4} {implied:8} {outcome.verdict:12} "
            f"{outcome.matching}/{outcome.files} files{f401}  {outcome.detail}"
        )
        if args.diff and outcome.diff:
            print(outcome.diff)
        if args.residue and outcome.residue:
            print(outcome.residue)
        if args.hunks:
            repo = git_dir(args.mirrors, case.repo)
            parent = git(repo, "rev-parse", f"{case.commit}^").decode().strip()
            paths = git(repo, "diff", "--name-only", "--no-renames", parent, case.commit).decode().splitlines()
            for path in filter(relevant, paths):
                for hunk in human_hunks(repo, parent, case.commit, path):
                    mark = "aside" if hunk.id in case.aside else "     "
                    print(f"  {mark} {hunk.id} -{hunk.count} +{hunk.new_start},{len(hunk.lines)}")
    totals = Counter(o.verdict for o in outcomes)
    projects = len({o.case.repo for o in outcomes})
    good = totals["exact"] + totals["tidier"] + totals["cleanup"]
    print(
        f"\n`flaglint clean{' --unsafe-fixes' if args.unsafe_fixes else ''}` on "
        + f"{len(outcomes)} removals from {projects} projects: "
        + ", ".join(f"{totals[v]} {v}" for v in VERDICTS)
        + f"; {good}/{len(outcomes)} need no reviewer edit ({good + totals['spacing']} counting blank lines alone); "
        + f"{sum(o.new_f401 for o in outcomes)} new unused imports"
    )
    removals = sum(o.removal for o in outcomes)
    print(
        f"restated measure (the flag-implied hunks, whitespace aside): {removals}/{len(outcomes)} need no "
        f"reviewer edit; {totals['wrong']} wrong; {sum(o.new_f401 for o in outcomes)} new unused imports"
    )
    unfinished = [o for o in outcomes if o.unfinished]
    if unfinished:
        print(
            f"restated, the files the human left naming the flag aside: {removals + len(unfinished)}/{len(outcomes)} "
            f"need no reviewer edit ({len(unfinished)} removals the human did not finish: "
            + ", ".join(f"{o.case.commit[:10]} {' '.join(o.unfinished)}" for o in unfinished)
            + ")"
        )
    smoked = [o.smoke for o in outcomes if o.smoke is not None]
    if smoked:
        broke = sum(1 for before, after in smoked if after < before)
        print(
            f"import smoke: {sum(a for _, a in smoked)}/{sum(b for b, _ in smoked)} modules that imported before "
            f"still import after; {broke} removals broke an import"
        )
    blind = [o for o in outcomes if o.case.note.startswith("added blind")]
    if blind:
        fine = sum(1 for o in blind if o.verdict in ("exact", "tidier", "cleanup"))
        spaced = sum(1 for o in blind if o.verdict == "spacing")
        print(
            f"of which {len(blind)} added blind (picked before they were run): {fine}/{len(blind)} need no edit "
            f"({fine + spaced} counting blank lines alone); restated: "
            f"{sum(o.removal for o in blind)}/{len(blind)}"
        )


VERDICTS = ("exact", "tidier", "cleanup", "spacing", "same-code", "needs-review", "wrong")


if __name__ == "__main__":
    main()
