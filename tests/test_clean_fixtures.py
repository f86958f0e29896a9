"""Every case under fixtures/clean/ is one behaviour of `flaglint clean`, shown as before and after.

A case is a folder with `case.toml` (the flags to retire, and optionally `unsafe`, custom `patterns`,
`exclude`, `declarations` of flags in code, the `notes` the run must report and the flags it must
leave `refused`, all or nothing) and either
`before.py` + `after.py` or a `before/` and `after/` tree. Each case also checks that a second run
changes nothing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import tomlkit

from flaglint.engine.config import load_config
from flaglint.fix.clean import plan
from flaglint.fix.step import parse_flag_value
from flaglint.fix.write import apply

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "clean"


def cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "case.toml").is_file())


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".flaglint_cache" not in p.parts and p.name != "pyproject.toml"
    }


def setup(case: Path, spec: dict, root: Path) -> None:
    if (case / "before").is_dir():
        shutil.copytree(case / "before", root)
    else:
        root.mkdir()
        shutil.copy(case / "before.py", root / "case.py")
    settings = {"exclude": spec.get("exclude", []), "patterns": spec.get("patterns", [])}
    if "declarations" in spec:  # flags declared in the project's code (registry.code)
        settings["registry"] = {"code": {"declarations": spec["declarations"]}}
    (root / "pyproject.toml").write_text(tomlkit.dumps({"tool": {"flaglint": settings}}), encoding="utf-8")


def expected(case: Path) -> dict[str, str]:
    if (case / "after").is_dir():
        return tree(case / "after")
    return {"case.py": (case / "after.py").read_text(encoding="utf-8")}


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_clean_case(case: Path, tmp_path: Path) -> None:
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    root = tmp_path / "project"
    setup(case, spec, root)
    config = load_config(root / "pyproject.toml", root)
    values = {key: parse_flag_value(text) for key, text in spec["flags"].items()}
    step = plan(config, values, unsafe=spec.get("unsafe", False), use_cache=False)
    assert step.problems == ()
    assert [key for key, _ in step.refused] == spec.get("refused", []), step.refused
    assert apply(root, step.edits) == []
    assert tree(root) == expected(case)
    reported = [str(note) for note in step.notes]
    for wanted in spec.get("notes", []):
        assert any(wanted in line for line in reported), f"missing note {wanted!r} in {reported}"
    again = plan(config, values, unsafe=spec.get("unsafe", False), use_cache=False)
    assert again.edits == (), "a second run must change nothing"


def test_there_are_enough_cases() -> None:
    assert len(cases()) >= 60


@pytest.mark.parametrize("case", [c for c in cases() if (c / "before.py").is_file()], ids=lambda p: p.name)
def test_reduced_path_rewrites_the_same(case: Path) -> None:
    """The fast path clean takes (stubs for what holds no reference, positions for the touched
    statements only) gives exactly the whole-module rewrite, notes and their lines included.
    """
    from flaglint.engine.detect import scan_source
    from flaglint.engine.patterns import custom_pattern, select
    from flaglint.engine.scan import parse
    from flaglint.engine.stubs import reduce_for_rewrite
    from flaglint.fix.codemod import rewrite
    from flaglint.fix.workers import RetireJob, init_retire_worker, rewrite_reduced, rewrite_whole
    from flaglint.model import ModuleName

    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    patterns = select(None, [custom_pattern(entry, n) for n, entry in enumerate(spec.get("patterns", []))])
    text = (case / "before.py").read_text(encoding="utf-8")
    values = {key: parse_flag_value(value) for key, value in spec["flags"].items()}
    scanned = scan_source("case.py", text, ModuleName("case", ""), patterns)
    refs = tuple(r for r in scanned.refs if r.key in values)
    init_retire_worker(patterns)
    job = RetireJob("case.py", text, refs, values, spec.get("unsafe", False))
    whole = rewrite_whole(job)
    table = {p.id: p for p in patterns}
    tree = parse("case.py", text)
    assert not isinstance(tree, Exception)
    alone = rewrite("case.py", tree, refs, values, table, unsafe=job.unsafe, text=text, reduced=True)  # type: ignore[arg-type]
    assert (alone.code if alone.changed else None) == whole.code
    assert alone.notes == whole.notes
    lines = {n for r in refs for n in range(r.span.line, r.span.end_line + 1)}
    for layout in ((), scanned.layout):  # cut by the text alone, and where the scan's parse says
        reduction = reduce_for_rewrite(text, lines, layout)
        if reduction is None:
            continue
        reduced = rewrite_reduced(job, reduction)
        if reduced is None:  # a stub did not come back: only a removed definition may have held it
            assert any(n.kind == "unsafe-applied" and n.message.startswith("removed `") for n in whole.notes)
        else:
            assert (reduced.code, reduced.notes) == (whole.code, whole.notes)


UNSAFE_CASES = [
    case for case in cases() if tomllib.loads((case / "case.toml").read_text(encoding="utf-8")).get("unsafe")
]


@pytest.mark.parametrize("case", UNSAFE_CASES, ids=lambda p: p.name)
def test_one_plan_holds_both_applicabilities(case: Path, tmp_path: Path) -> None:
    # A safe plan asked for its unsafe variant gives exactly what a plan with unsafe fixes gives,
    # and its own edits are those of a safe plan: an editor plans once for both quick fixes.
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    root = tmp_path / "project"
    setup(case, spec, root)
    config = load_config(root / "pyproject.toml", root)
    values = {key: parse_flag_value(text) for key, text in spec["flags"].items()}
    both = plan(config, values, use_cache=False, with_unsafe=True)
    safe = plan(config, values, use_cache=False)
    unsafe = plan(config, values, unsafe=True, use_cache=False)
    assert (both.edits, both.refused) == (safe.edits, safe.refused)
    variant = both.with_unsafe or both
    assert (variant.edits, variant.refused) == (unsafe.edits, unsafe.refused)
    assert sorted(map(str, variant.notes)) == sorted(map(str, unsafe.notes))
