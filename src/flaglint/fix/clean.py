"""Retire flags across a project: plan the edits (in memory), then write them atomically.

`plan` is one retirement over the workspace (with earlier edits laid over the disk);
`plan_each` retires flags one at a time so every flag gets exact numbers and its own commit."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING

from flaglint.engine.config import Config
from flaglint.engine.resolve import find_definition, link
from flaglint.engine.source import decode_with_encoding
from flaglint.engine.uses import UseIndex
from flaglint.engine.workspace import ScanResult, Workspace, digest_of, discover
from flaglint.fix.base import Note
from flaglint.fix.project.cascade import Checks, Context, Run, run_cascade
from flaglint.fix.project.declarations import holder_setting
from flaglint.fix.project.declared_in_tests import FieldMention, field_mentions
from flaglint.fix.project.discarded_tests import Doomed, discarded_definitions, tests_naming
from flaglint.fix.project.routes import _truthy, route_names_used
from flaglint.fix.step import FileEdit, Step
from flaglint.fix.texts import Texts, _mentions
from flaglint.fix.workers import READS, Retired, RetireJob, reparse_problem, run_retire
from flaglint.model import FlagRef, KeySource, Problem, RefKind

if TYPE_CHECKING:
    from flaglint.fix.safety import Dangling


def plan(
    config: Config,
    values: Mapping[str, str | None],
    paths: Sequence[Path] | None = None,
    *,
    unsafe: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    overlay: Mapping[str, bytes] | None = None,
    key_names: frozenset[str] = frozenset(),
    with_unsafe: bool = False,
    workspace: Workspace | None = None,
) -> Step:
    """Retire every flag in `values` (key -> Python literal, or None for off) under `paths`;
    `key_names` are constants earlier steps saw flag checks use as keys (their checks may be gone).

    All or nothing per flag: a flag whose checks under `paths` cannot all be rewritten, or whose
    retirement would delete a definition that something still names, gets no edit at all and is
    listed in `Step.refused`; the other flags are planned again without it.

    Fixes carry their applicability: with `with_unsafe`, a safe plan also holds, in
    `Step.with_unsafe`, the plan with unsafe fixes when it differs. Only the files where the safe
    plan skipped an unsafe fix are rewritten again, so a caller that offers both (an editor's
    quick fixes) plans once. `workspace`: a session's warm workspace to plan on (its scans are
    reused, the overlay laid over a copy), else one is opened for this plan.
    """
    if workspace is not None:
        workspace = workspace.overlaid(overlay or {})
        workspace.jobs = jobs or workspace.jobs
    else:
        workspace = Workspace(config, jobs=jobs, use_cache=use_cache, overlay=overlay)
    run = Run(config, workspace, held_keys(workspace.scan(paths), values), values, paths, unsafe, key_names)
    try:
        step = _plan_all_or_nothing(run)
        if not with_unsafe or unsafe:
            return step
        skipped = frozenset(n.path for n in step.notes if n.kind == "unsafe-skipped")
        if not skipped:
            return step  # no unsafe fix applies: the unsafe plan is this one
        unsafe_run = dataclasses.replace(run, unsafe=True, same_when_unsafe=_targets(run) - skipped)
        return dataclasses.replace(step, with_unsafe=_plan_all_or_nothing(unsafe_run))
    finally:
        workspace.mentions.save()  # what the use index read, for the next plan


def held_keys(result: ScanResult, values: Mapping[str, str | None]) -> ScanResult:
    """The scan with a flag named by what holds its key: `--flag settings.X_FLAG_KEY=on` retires
    the checks whose key is that setting's value (dynamic to the scan, read from the environment)."""
    refs = tuple(keyed_by_holder(ref, values) for ref in result.refs)
    return result if refs == result.refs else dataclasses.replace(result, refs=refs)


def keyed_by_holder(ref: FlagRef, values: Mapping[str, str | None]) -> FlagRef:
    """`ref` keyed by its key's text when the key is dynamic, its text names what holds it (a
    setting, `settings.X_FLAG_KEY`; never a parameter or local, whose value may be any flag) and
    that is a flag being retired."""
    named = ref.key is None and ref.key_text in values and holder_setting(ref.key_text) is not None
    return dataclasses.replace(ref, key=ref.key_text) if named else ref


def _targets(run: Run) -> frozenset[str]:
    return frozenset(ref.path for ref in run.result.refs if ref.key in run.values)


def _plan_all_or_nothing(run: Run) -> Step:
    """`plan` of one applicability: flags refused whole are planned again without them."""
    values = run.values
    wanted = dict(values)
    refused: dict[str, str] = {}
    while True:
        step, refusing = _plan_values(dataclasses.replace(run, values=wanted))
        if not refusing:
            break
        refused.update(refusing)
        wanted = {key: value for key, value in wanted.items() if key not in refusing}
        if not wanted:
            kept = tuple(n for n in step.notes if n.kind in (*_REASONS, "skipped", "swept"))
            step = Step({}, (), kept, step.problems, step.key_names)
            break
    reasons = tuple(sorted(refused.items()))
    return dataclasses.replace(step, values=dict(values), refused=reasons)


def _plan_values(run: Run) -> tuple[Step, dict[str, str]]:
    """One plan of `values` and the flags it must refuse (key -> why): first every check is
    rewritten, file by file; then the project-wide passes run, again with the definitions the
    use index found still named kept, until nothing the step deletes is named anywhere."""
    from flaglint.fix.safety import dangling, leftover_checks

    values, workspace = run.values, run.workspace
    retired = _retire_checks(run)
    keep: dict[tuple[str, str], Dangling] = {}
    held: dict[str, frozenset[str]] = {}  # per rewritten file, the imports its rewrite must keep
    doomed: frozenset[Doomed] = frozenset()  # tests of the discarded path's code
    fields: frozenset[FieldMention] = frozenset()  # tests that spell retired declared fields
    for _ in range(_KEEP_ROUNDS):
        step, texts = _project_passes(run, retired, keep.keys(), doomed, fields)
        found = dangling(step.edits, _use_index(texts), frozenset(values), retired.facts)
        more = {(use.definition.path, use.definition.name): use for use in found if use.keepable}
        imports = _imports_to_hold(found, retired, held)
        if imports:  # an import the rewrite itself dropped: rewrite those files again, keeping it
            held.update(imports)
            retired = _retire_checks(run, held)
            keep = {**more, **keep}
            continue
        tests = _tests_of_discarded(found, retired, texts)
        spelt = _declared_fields_in_tests(found, run, texts)
        if not tests <= doomed or not spelt <= fields:  # only tests still name what goes: they follow
            doomed |= tests
            fields |= spelt
            continue
        if not found or not more.keys() - keep.keys():
            break
        keep = {**more, **keep}
    notes = list(step.notes)
    for (path, name), use in sorted(keep.items()):
        notes.append(
            Note(path, use.definition.line, None, "review", f"kept `{name}`: still named at {use.path}:{use.line}")
        )
    refusing: dict[str, str] = {}
    if found:
        why = "; ".join(str(use) for use in found[:3])
        refusing.update(dict.fromkeys(values, why))
    left = leftover_checks(step.edits, retired.targets, values, workspace, run.result.refs)
    for key, (rel, line) in left.items():
        here = [n for n in step.notes if n.path == rel and n.kind in _REASONS]
        reason = next((n.message for n in here if n.line == line), here[0].message if here else None)
        refusing.setdefault(key, f"{rel}:{line}: {reason or 'this check could not be rewritten'}")
    return dataclasses.replace(step, notes=tuple(notes)), refusing


def _tests_of_discarded(found: Sequence[Dangling], retired: Checks, texts: Texts) -> frozenset[Doomed]:
    """The test units that name the code the checks' pass deleted, when only test units name it."""
    discarded = discarded_definitions(retired.facts)
    named = [(use.path, use.line, use.definition) for use in found if not use.use.undefined]
    return frozenset(tests_naming(named, discarded, texts) or ())


def _declared_fields_in_tests(found: Sequence[Dangling], run: Run, texts: Texts) -> frozenset[FieldMention]:
    """The test modules whose mentions keep a retired field of a declaration class, when only
    such test mentions keep it."""
    declared = {f"{rel}:{name}" for rel, name in run.config.declarations}
    named = [
        (use.path, use.definition.path, use.definition.name)
        for use in found
        if use.keepable and use.definition.kind == "member" and not use.use.undefined
    ]
    on = all(value is not None and value.strip() == "True" for value in run.values.values())
    return frozenset(field_mentions(named, declared, texts, on) or ()) if named else frozenset()


def _imports_to_hold(
    found: Sequence[Dangling], retired: Checks, held: Mapping[str, frozenset[str]]
) -> dict[str, frozenset[str]]:
    """Per file rewritten by the checks' pass, the imports it dropped that something still
    names, with those it keeps already; only files where that set grows."""
    wanted: dict[str, set[str]] = {}
    for use in found:
        definition = use.definition
        if definition.kind == "import" and definition.path in retired.validated:
            wanted.setdefault(definition.path, set(held.get(definition.path, ()))).add(definition.word)
    return {rel: frozenset(names) for rel, names in wanted.items() if not names <= held.get(rel, frozenset())}


_REASONS = ("error", "review", "unsafe-skipped")  # notes that may say why a check stayed
_KEEP_ROUNDS = 6  # each round keeps what the last one found still named (or has tests follow); 3 suffice


def _retire_checks(run: Run, held: Mapping[str, frozenset[str]] | None = None) -> Checks:
    """Every check of the flags rewritten, file by file; `held`: per file, imports to keep."""
    from flaglint.engine.detect import scan_source

    config, workspace, result, values, paths, unsafe = (
        run.config,
        run.workspace,
        run.result,
        run.values,
        run.paths,
        run.unsafe,
    )
    leftover = "temporary file of an interrupted flaglint run; removed"
    notes = [Note(rel, 0, None, "swept", leftover) for rel in result.swept]
    notes += [Note(p.path, p.line, None, "skipped", p.message) for p in workspace.skipped]
    targets: dict[str, list[FlagRef]] = {}
    others: dict[str, list[FlagRef]] = {}
    for ref in result.refs:
        if ref.key in values:
            targets.setdefault(ref.path, []).append(ref)
        else:
            others.setdefault(ref.path, []).append(ref)
    all_files = workspace.files if not paths else discover(workspace.root, [workspace.root], config)[0]
    texts = Texts(workspace, all_files)
    problems: list[Problem] = [p for p in result.problems if p.path in targets]
    done_checks = Checks(targets, texts.edits, all_files, notes, problems, set())
    jobs: list[RetireJob] = []
    encodings: dict[str, str] = {}
    for rel in sorted(targets):
        found = texts.text(rel)
        if isinstance(found, Problem):
            problems.append(found)
            continue
        text, encoding = found
        if workspace.digests.get(rel) == digest_of(text.encode(encoding)):
            refs, rest = targets[rel], others.get(rel, [])  # the scan saw exactly these bytes: its positions hold
            seen = workspace.scans.get(rel)
            layout = seen.layout if seen is not None else ()
        else:
            fresh = scan_source(rel, text, workspace.module_of(rel), workspace.patterns)
            layout = fresh.layout
            scanned = [keyed_by_holder(ref, values) for ref in link(fresh.refs, workspace.lookup, workspace.patterns)]
            refs = [r for r in scanned if r.key in values]
            rest = [r for r in scanned if r.key not in values]
        reads = tuple(r.span for r in rest if r.kind in READS)
        for ref in refs:
            # a flag object's declaration names it (its symbol) as a check on it does
            objects = ref.kind is RefKind.DECLARATION or ref.key_source is KeySource.OBJECT
            site = find_definition(ref.key_symbol, workspace.lookup, objects=objects) if ref.key_symbol else None
            if site is not None:
                (done_checks.made if objects else done_checks.definitions).add(site)
        checks = tuple(ref for ref in refs if ref.kind is not RefKind.DECLARATION)
        if checks:
            refusing = any(r.kind is RefKind.DECORATOR and not _truthy(values[r.key or ""]) for r in checks)
            named = route_names_used(texts, rel, text) if refusing else ()
            keep = (held or {}).get(rel, frozenset())
            jobs.append(RetireJob(rel, text, checks, dict(values), unsafe, reads, frozenset(named), keep, layout))
            encodings[rel] = encoding
    for job, done in zip(jobs, _memoized(run, jobs), strict=True):
        notes.extend(done.notes)
        problems.extend(done.problems)
        if done.code is not None:
            texts.edits[job.rel] = (done.code, encodings[job.rel])
            done_checks.validated.add(job.rel)
            if done.facts is not None:
                done_checks.facts[job.rel] = (done.code, done.facts)
            if done.fixtures:
                done_checks.fixtures[job.rel] = done.fixtures
            if done.entries:
                done_checks.entries[job.rel] = done.entries
            done_checks.arguments.update(dict.fromkeys(done.arguments))
            done_checks.unread.extend((name, param, None) for name, param in done.unread)
        module = workspace.module_of(job.rel).name
        for name, literal in done.wrappers:
            done_checks.wrappers[f"{module}.{name}" if module else name] = (literal, job.rel, name)
    return done_checks


def _memoized(run: Run, jobs: list[RetireJob]) -> list[Retired]:
    """Each job's rewrite, from the plan's memo when an earlier stage of the same plan made it
    (a file where no unsafe fix applies rewrites the same with unsafe fixes); the rest on every
    core."""

    def key(job: RetireJob) -> tuple[object, ...]:
        unsafe = job.unsafe and job.rel not in run.same_when_unsafe
        return (job.rel, job.text, tuple(sorted(job.values.items())), unsafe, job.refs, job.reads, job.named, job.keep)

    missing = [job for job in jobs if key(job) not in run.memo]
    for job, done in zip(missing, run_retire(missing, run.workspace.patterns, run.workspace.jobs), strict=True):
        run.memo[key(job)] = done
    return [run.memo[key(job)] for job in jobs]


def _project_passes(
    run: Run,
    retired: Checks,
    keep: AbstractSet[tuple[str, str]],
    doomed: AbstractSet[Doomed] = frozenset(),
    fields: AbstractSet[FieldMention] = frozenset(),
) -> tuple[Step, Texts]:
    """The project-wide passes (`cascade.CASCADE`) over the rewritten checks, none of which
    deletes a definition in `keep` ((file, name) pairs); then the edits, each re-parsed.
    `doomed`: tests of the discarded path's code; `fields`: tests' mentions of retired declared
    fields; both go with unsafe fixes."""
    workspace = run.workspace
    texts = Texts(workspace, retired.all_files, dict(retired.texts))
    context = Context(run, retired, texts, keep, list(retired.notes), list(retired.problems), set(retired.validated))
    context.doomed = sorted(doomed)
    context.fields = sorted(fields)
    run_cascade(context)
    problems = context.problems
    edits = []
    for rel, (text, encoding) in sorted(texts.edits.items()):
        try:
            before = workspace.read(rel)
        except OSError as exc:
            problems.append(Problem(rel, 1, 0, f"left unchanged: {exc.strerror}"))
            continue
        if rel not in context.validated:
            original = decode_with_encoding(rel, before)
            problem = reparse_problem(rel, text, original[0] if isinstance(original, tuple) else None)
            if problem is not None:
                problems.append(problem)
                continue
        after = text.encode(encoding)
        if after != before:
            edits.append(FileEdit(rel, before, after, encoding))
    notes = [*context.notes, *_mentions(run.values, texts)]
    step = Step(dict(run.values), tuple(edits), tuple(notes), tuple(problems), run.symbols)
    return step, texts


def _use_index(texts: Texts) -> UseIndex:
    """The use index over the project as this plan leaves it: every Python file (excluded
    folders, tests and migrations too) and every template and text file."""
    workspace = texts.workspace
    return UseIndex(texts.everywhere, texts.text_files, workspace.module_of, workspace.mentions)


def plan_each(
    config: Config,
    values: Mapping[str, str | None],
    paths: Sequence[Path] | None = None,
    *,
    unsafe: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    workspace: Workspace | None = None,
) -> list[Step]:
    """Retire flags one at a time, each on top of the previous ones' edits (nothing is written),
    all on one workspace (`workspace`, a session's, or one opened here): a file is parsed again
    only when an earlier step changed it."""
    base = workspace or Workspace(config, jobs=jobs, use_cache=use_cache)
    overlay: dict[str, bytes] = {}
    steps = []
    key_names: frozenset[str] = frozenset()
    for key in values:
        step = plan(
            config,
            {key: values[key]},
            paths,
            unsafe=unsafe,
            overlay=overlay,
            key_names=key_names,
            workspace=base,
        )
        overlay.update((edit.path, edit.after) for edit in step.edits)
        key_names |= step.key_names
        steps.append(step)
    return steps
