"""Rewriting one file (in a worker process): parse with LibCST, rewrite the reduced module, expand it,
check it parses, and work out what it deleted."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from flaglint.engine.guard import deep, parallel_map
from flaglint.engine.patterns import Pattern
from flaglint.engine.stubs import Reduction
from flaglint.engine.uses import Defined, Facts, facts
from flaglint.fix.base import Note
from flaglint.fix.codemod import rewrite
from flaglint.model import FlagRef, Problem, RefKind, Span


def reparse_problem(rel: str, text: str, original: str | None) -> Problem | None:
    """A rewrite that does not parse is never written: say so instead. The judge is a parser that
    accepts the original: CPython's own, or LibCST's for syntax newer than this interpreter.
    """
    from flaglint.engine.astparse import parse as parse_ast

    checked = parse_ast(rel, text)
    if not isinstance(checked, Problem):
        return None
    if original is not None and isinstance(parse_ast(rel, original), Problem):
        from flaglint.engine.scan import parse as parse_cst

        try:
            again = deep(lambda: parse_cst(rel, text))
        except (RecursionError, MemoryError):
            return Problem(rel, 1, 0, "rewrite skipped: too deeply nested to check")
        if not isinstance(again, Problem):
            return None
        checked = again
    message = checked.message.removeprefix("syntax error: ")
    return Problem(rel, checked.line, 0, f"rewrite skipped, it would not parse: {message}")


@dataclass(frozen=True)
class RetireJob:
    """One file to rewrite: its text, the references to retire in it, and the values."""

    rel: str
    text: str
    refs: tuple[FlagRef, ...]
    values: Mapping[str, str | None]
    unsafe: bool
    reads: tuple[Span, ...] = ()  # checks of the file's other flags (reads a fold may drop)
    named: frozenset[str] = frozenset()  # its route names that other files of the project use
    keep: frozenset[str] = frozenset()  # its imports that other files name (`mock.patch("m.name")`)
    layout: tuple[tuple[int, int], ...] = ()  # where its statements begin and end (`FileScan.layout`)


@dataclass(frozen=True)
class Retired:
    """What rewriting one file gave: the new text (None when unchanged) and what to report."""

    code: str | None
    notes: tuple[Note, ...] = ()
    wrappers: tuple[tuple[str, str], ...] = ()
    problems: tuple[Problem, ...] = ()
    fixtures: tuple[str, ...] = ()  # pytest fixtures the rewrite removed
    arguments: tuple[tuple[str, str, str], ...] = ()  # see Rewrite.arguments
    unread: tuple[tuple[str, str], ...] = ()  # (function, parameter) the rewrite left unread
    facts: Facts | None = None  # what the rewrite deleted and left unbound (for the use index)
    entries: tuple[str, ...] = ()  # keys of dict entries that only carried a flag, removed


_worker_patterns: dict[str, Pattern] = {}
_PARALLEL_CHARS = 200_000


def init_retire_worker(patterns: tuple[Pattern, ...]) -> None:
    global _worker_patterns
    _worker_patterns = {p.id: p for p in patterns}


def _retire_file(job: RetireJob) -> Retired:
    """Parse with LibCST, rewrite, and check the result parses; a file too deep to rewrite is one
    problem, never the end of the run. LibCST sees the file without the defs and methods that hold
    no reference (a reduction); if the stubs do not come back intact, the whole file is rewritten.
    """
    from flaglint.engine.stubs import reduce_for_rewrite

    lines = {n for ref in job.refs for n in range(ref.span.line, ref.span.end_line + 1)}
    reduction = reduce_for_rewrite(job.text, lines, job.layout)
    try:
        if reduction is not None:
            done = deep(lambda: rewrite_reduced(job, reduction))
            if done is not None:
                return done
        return deep(lambda: rewrite_whole(job))
    except (RecursionError, MemoryError):
        return Retired(None, problems=(Problem(job.rel, 1, 0, "left unchanged: too deeply nested to rewrite"),))


def rewrite_whole(job: RetireJob) -> Retired:
    from flaglint.engine.scan import parse

    tree = parse(job.rel, job.text)
    if isinstance(tree, Problem):
        return Retired(None, problems=(tree,))
    done = rewrite(
        job.rel,
        tree,
        job.refs,
        job.values,
        _worker_patterns,
        unsafe=job.unsafe,
        text=job.text,
        reads=job.reads,
        named=job.named,
        keep=job.keep,
    )
    result = _checked(job, done.code if done.changed else None, done.notes, done.wrappers, done.fixtures)
    if result.code is not None:
        found = _less(facts(job.rel, job.text, result.code), done.overrides)
        result = dataclasses.replace(result, facts=found, entries=done.entries)
    return _with_freed(job, result, done.arguments)


def _released(rel: str, code: str, names: Sequence[tuple[str, str]]) -> str:
    """The whole rewritten file without the clean-up of the model rows whose pin went (the retire
    pass may have seen a reduced module, without the tearDown that deletes them)."""
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import release

    tree = parse(rel, code)
    return code if isinstance(tree, Problem) else release(tree, names).code


def rewrite_reduced(job: RetireJob, reduction: Reduction) -> Retired | None:
    """The rewrite of the reduced module, expanded to the whole file; None when it cannot be."""
    from flaglint.engine.astparse import parse as parse_ast
    from flaglint.engine.scan import parse

    tree = parse(job.rel, reduction.text)
    if isinstance(tree, Problem):
        return None
    refs = [_moved(ref, reduction.to_reduced) for ref in job.refs]
    stood_in = {line for first, count in reduction.regions for line in range(first, first + count)}
    reads = [_moved_span(s, reduction.to_reduced) for s in job.reads if not stood_in & {s.line, s.end_line}]
    done = rewrite(
        job.rel,
        tree,
        refs,
        job.values,
        _worker_patterns,
        unsafe=job.unsafe,
        text=reduction.text,
        expand=reduction.expand,
        reduced=True,
        reads=reads,
        named=job.named,
        keep=job.keep,
    )
    code = None
    if done.changed:
        code = reduction.expand(done.code)
        if code is None:
            return None
    notes = tuple(dataclasses.replace(n, line=reduction.to_original(n.line)) if n.line else n for n in done.notes)
    if code is not None and done.released:
        result = _checked(job, _released(job.rel, code, done.released), notes, done.wrappers, done.fixtures)
    elif code is not None and not isinstance(parse_ast(job.rel, done.code), Problem):
        # Each stub is a whole statement line at its region's own indentation (expand checked it
        # came through verbatim), and each region was a whole statement sequence there in the
        # original: the expansion parses when the reduced text does. Only a failure needs the
        # whole file's parse, for the precise error and the newer-syntax judge.
        result = Retired(code, notes, done.wrappers, (), done.fixtures)
    else:
        result = _checked(job, code, notes, done.wrappers, done.fixtures)
    if result.code is not None:  # worked out on the reduced texts, when they are what was rewritten
        reduced = not done.released and result.code == code
        found = _less(
            facts(job.rel, reduction.text, done.code, reduction.to_original)
            if reduced
            else facts(job.rel, job.text, result.code),
            done.overrides,
        )
        if reduced and _named_in_regions(found.removed, reduction):
            return None  # it deleted what stood-in code names (a test calling a removed helper): the whole file decides
        result = dataclasses.replace(result, facts=found, entries=done.entries)
        if reduced:  # stood-in defs hold no reference and lose no read: the reduced texts suffice
            return _with_freed(job, result, done.arguments, (reduction.text, done.code))
    return _with_freed(job, result, done.arguments)


def _less(found: Facts, overrides: Sequence[str]) -> Facts:
    """The facts with the pass-through overrides the rewrite removed told apart ("override"): the
    parent's method still answers to their name, so only `Owner.method` is a use of what went."""
    if not overrides:
        return found
    removed = tuple(dataclasses.replace(d, kind="override") if d.name in overrides else d for d in found.removed)
    return dataclasses.replace(found, removed=removed)


def _named_in_regions(removed: Sequence[Defined], reduction: Reduction) -> bool:
    """Whether a stood-in region mentions a definition the rewrite of the reduced module deleted
    (imports aside: the unused-import pass already read the whole file)."""
    for definition in removed:
        if definition.kind == "import":
            continue
        name = definition.name.rsplit(".", 1)[-1]  # `Class.attr`: attr; parameters and keys aside
        if definition.kind == "override":  # only its own class reaches it: `Owner.method`
            name = definition.name.replace(".", r"\s*\.\s*")
        spelt = name.isidentifier() or definition.kind == "override"
        if spelt and any(re.search(rf"\b{name}\b", original) for original in reduction.originals):
            return True
    return False


def _with_freed(
    job: RetireJob,
    result: Retired,
    arguments: tuple[tuple[str, str, str], ...],
    texts: tuple[str, str] | None = None,
) -> Retired:
    """A rewrite's result with what it left without a choice: the call arguments it made constant
    and the parameters it left unread (found here, in the worker, beside the rewrite), compared
    on `texts` (before, after) when given, else on the whole file."""
    from flaglint.fix.parameters import unread_parameters

    if result.code is None:
        return result
    old, new = texts or (job.text, result.code)
    return dataclasses.replace(result, arguments=arguments, unread=tuple(unread_parameters(old, new)))


def _moved(ref: FlagRef, to_reduced: Callable[[int], int]) -> FlagRef:
    return dataclasses.replace(ref, span=_moved_span(ref.span, to_reduced))


def _moved_span(s: Span, to_reduced: Callable[[int], int]) -> Span:
    return Span(to_reduced(s.line), s.column, to_reduced(s.end_line), s.end_column)


# Kinds of reference that only read a flag (SDK checks, variants, values): a fold may drop them.
READS = frozenset({RefKind.CHECK, RefKind.VARIANT, RefKind.VALUE})


def _checked(
    job: RetireJob,
    code: str | None,
    notes: tuple[Note, ...],
    wrappers: tuple[tuple[str, str], ...],
    fixtures: tuple[str, ...] = (),
) -> Retired:
    if code is None:
        return Retired(None, notes, wrappers)
    problem = reparse_problem(job.rel, code, job.text)
    if problem is not None:
        return Retired(None, notes, (), (problem,))
    return Retired(code, notes, wrappers, (), fixtures)


def run_retire(jobs: list[RetireJob], patterns: tuple[Pattern, ...], workers: int) -> Iterator[Retired]:
    """Rewrite every job, in order: in this process for small batches, else on every core."""
    inline = sum(len(j.text) for j in jobs) < _PARALLEL_CHARS
    yield from parallel_map(
        _retire_file,
        jobs,
        workers=workers,
        initializer=init_retire_worker,
        initargs=(patterns,),
        inline=inline,
        chunks_per_worker=8,
    )
