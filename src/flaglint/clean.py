"""Retire flags across a project: plan the edits (in memory), then write them atomically.

`plan` is one retirement over the workspace (with earlier edits laid over the disk);
`plan_each` retires flags one at a time so every flag gets exact numbers and its own commit.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flaglint.codemod import Note, remove_definitions, rewrite
from flaglint.config import Config
from flaglint.model import FlagRef, Problem
from flaglint.resolve import Definition, find_definition, link
from flaglint.source import decode_with_encoding
from flaglint.workspace import Workspace, digest_of, discover


def parse_flag_value(text: str) -> str | None:
    """`on` -> True, `off` -> None (every call falls back to its SDK default), else a Python literal."""
    if text == "on":
        return "True"
    if text == "off":
        return None
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"{text!r} is neither on, off nor a Python literal (quote strings: '\"dark\"')") from None
    return text


def describe_value(value: str | None) -> str:
    return {"True": "always on", "False": "always off", None: "always off"}.get(value, f"always {value}")


@dataclass(frozen=True)
class FileEdit:
    path: str  # root-relative POSIX path
    before: bytes
    after: bytes
    encoding: str

    def lines(self) -> tuple[int, int]:
        """(lines removed, lines added)."""
        old = self.before.decode(self.encoding).splitlines()
        new = self.after.decode(self.encoding).splitlines()
        removed = added = 0
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag != "equal":
                removed += i2 - i1
                added += j2 - j1
        return removed, added

    def diff(self, display: str) -> str:
        old = self.before.decode(self.encoding).splitlines(keepends=True)
        new = self.after.decode(self.encoding).splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{display}", f"b/{display}"))


@dataclass(frozen=True)
class Step:
    """The result of retiring some flags: edits per file and what to tell the user."""

    values: Mapping[str, str | None]
    edits: tuple[FileEdit, ...]
    notes: tuple[Note, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def removed_lines(self) -> int:
        return sum(edit.lines()[0] - edit.lines()[1] for edit in self.edits)


@dataclass
class _Texts:
    """File contents as the plan sees them: edits of this plan over the workspace's view."""

    workspace: Workspace
    edits: dict[str, tuple[str, str]] = field(default_factory=dict)  # rel -> (text, encoding)

    def text(self, rel: str) -> tuple[str, str] | Problem:
        if rel in self.edits:
            return self.edits[rel]
        try:
            data = self.workspace.read(rel)
        except OSError as exc:
            return Problem(rel, 1, 0, f"cannot read: {exc.strerror}")
        return decode_with_encoding(rel, data)


def plan(
    config: Config,
    values: Mapping[str, str | None],
    paths: Sequence[Path] | None = None,
    *,
    unsafe: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    overlay: Mapping[str, bytes] | None = None,
) -> Step:
    """Retire every flag in `values` (key -> Python literal, or None for off) under `paths`."""
    from flaglint.scan import parse, scan_tree

    workspace = Workspace(config, jobs=jobs, use_cache=use_cache, overlay=overlay)
    result = workspace.scan(paths)
    patterns = {p.id: p for p in workspace.patterns}
    targets: dict[str, list[FlagRef]] = {}
    for ref in result.refs:
        if ref.key in values:
            targets.setdefault(ref.path, []).append(ref)
    texts = _Texts(workspace)
    notes: list[Note] = []
    problems: list[Problem] = [p for p in result.problems if p.path in targets]
    definitions: set[Definition] = set()
    wrappers: dict[str, tuple[str, str, str]] = {}  # qualified name -> (literal, file, function)
    for rel in sorted(targets):
        found = texts.text(rel)
        if isinstance(found, Problem):
            problems.append(found)
            continue
        text, encoding = found
        tree = parse(rel, text)
        if isinstance(tree, Problem):
            problems.append(tree)
            continue
        if workspace.digests.get(rel) == digest_of(text.encode(encoding)):
            refs = targets[rel]  # the scan saw exactly these bytes: its positions hold
        else:
            scanned = scan_tree(rel, tree, text, workspace.module_of(rel), workspace.patterns)
            refs = [r for r in link(scanned.refs, workspace.lookup) if r.key in values]
        for ref in refs:
            site = find_definition(ref.key_symbol, workspace.lookup) if ref.key_symbol else None
            if site is not None:
                definitions.add(site)
        done = rewrite(rel, tree, refs, values, patterns, unsafe=unsafe, text=text)
        notes.extend(done.notes)
        if done.changed:
            texts.edits[rel] = (done.code, encoding)
        module = workspace.module_of(rel).name
        for name, literal in done.wrappers:
            wrappers[f"{module}.{name}" if module else name] = (literal, rel, name)
    all_files, _ = discover(workspace.root, [workspace.root], config)
    if unsafe and wrappers:
        _inline_wrappers(wrappers, workspace, texts, all_files, notes, problems)
    _remove_unused_definitions(definitions, workspace, texts, all_files, problems)
    edits = []
    for rel, (text, encoding) in sorted(texts.edits.items()):
        problem = _reparse_problem(rel, text)
        if problem is not None:
            problems.append(problem)
            continue
        before = workspace.read(rel)
        after = text.encode(encoding)
        if after != before:
            edits.append(FileEdit(rel, before, after, encoding))
    notes.extend(_mentions(values, texts, all_files))
    return Step(dict(values), tuple(edits), tuple(notes), tuple(problems))


def _reparse_problem(rel: str, text: str) -> Problem | None:
    """A rewrite that does not parse (by CPython's own parser) is never written: say so instead."""
    try:
        ast.parse(text, filename=rel)
    except SyntaxError as exc:
        return Problem(rel, exc.lineno or 1, 0, f"rewrite skipped, it would not parse: {exc.msg}")
    return None


def _module_file(workspace: Workspace, module: str) -> str | None:
    relative = module.replace(".", "/")
    for folder in workspace.config.src:
        for candidate in (Path(folder) / f"{relative}.py", Path(folder) / relative / "__init__.py"):
            if (workspace.root / candidate).is_file() or candidate.as_posix() in workspace.overlay:
                return os.path.normpath(candidate).replace(os.sep, "/")
    return None


def _remove_unused_definitions(
    definitions: Iterable[Definition],
    workspace: Workspace,
    texts: _Texts,
    all_files: Sequence[str],
    problems: list[Problem],
) -> None:
    """Delete key constants and enum members that nothing in the project uses any more."""
    from flaglint.scan import parse

    by_file: dict[str, list[Definition]] = {}
    for site in definitions:
        rel = _module_file(workspace, site.module)
        if rel is not None:
            by_file.setdefault(rel, []).append(site)
    for rel, sites in sorted(by_file.items()):
        for site in sorted(sites, key=lambda d: d.name):
            found = texts.text(rel)
            if isinstance(found, Problem):
                problems.append(found)
                break
            text, encoding = found
            tree = parse(rel, text)
            if isinstance(tree, Problem):
                break
            new_tree, removed = remove_definitions(tree, [site.name])
            if not removed:
                continue
            short = site.name.rsplit(".", 1)[-1]
            pattern = re.compile(rf"\b{re.escape(short)}\b")
            if pattern.search(new_tree.code) or _used_elsewhere(pattern, short, rel, texts, all_files):
                continue
            texts.edits[rel] = (new_tree.code, encoding)


def _inline_wrappers(
    wrappers: Mapping[str, tuple[str, str, str]],
    workspace: Workspace,
    texts: _Texts,
    all_files: Sequence[str],
    notes: list[Note],
    problems: list[Problem],
) -> None:
    """Unsafe fix: calls of functions that now only return a constant become the constant, and
    the functions go once nothing names them any more.
    """
    from flaglint.codemod import inline_calls
    from flaglint.scan import parse

    targets = {qualified: literal for qualified, (literal, _, _) in wrappers.items()}
    needles = [name.encode() for _, _, name in wrappers.values()]
    for rel in all_files:
        if rel not in texts.edits:
            try:
                data = workspace.read(rel)
            except OSError:
                continue
            if not any(needle in data for needle in needles):
                continue
        found = texts.text(rel)
        if isinstance(found, Problem):
            continue
        text, encoding = found
        tree = parse(rel, text)
        if isinstance(tree, Problem):
            problems.append(tree)
            continue
        done, count = inline_calls(rel, tree, targets, workspace.module_of(rel))
        notes.extend(done.notes)
        if done.changed:
            texts.edits[rel] = (done.code, encoding)
            notes.append(
                Note(rel, 0, None, "unsafe-applied", f"inlined {count} call(s) of functions that return a constant")
            )
    for literal, rel, name in wrappers.values():
        found = texts.text(rel)
        if isinstance(found, Problem):
            continue
        text, encoding = found
        tree = parse(rel, text)
        if isinstance(tree, Problem):
            continue
        new_tree, removed = remove_definitions(tree, [name])
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        if removed and not pattern.search(new_tree.code) and not _used_elsewhere(pattern, name, rel, texts, all_files):
            texts.edits[rel] = (new_tree.code, encoding)
            notes.append(Note(rel, 0, None, "unsafe-applied", f"removed `{name}`, which always returned {literal}"))
        else:
            notes.append(Note(rel, 0, None, "review", f"`{name}` always returns {literal} but is still referenced"))


def _used_elsewhere(pattern: re.Pattern[str], name: str, own: str, texts: _Texts, all_files: Sequence[str]) -> bool:
    needle = name.encode()
    for rel in all_files:
        if rel == own:
            continue
        if rel not in texts.edits:
            try:
                if needle not in texts.workspace.read(rel):
                    continue
            except OSError:
                continue
        found = texts.text(rel)
        if isinstance(found, Problem) or pattern.search(found[0]):
            return True
    return False


def _mentions(values: Mapping[str, str | None], texts: _Texts, all_files: Sequence[str]) -> list[Note]:
    """Strings and comments that still name a retired key, for a person to look at."""
    notes = []
    for key in sorted(values):
        needle = key.encode()
        pattern = re.compile(rf"(?<![\w-]){re.escape(key)}(?![\w-])")
        for rel in all_files:
            if rel not in texts.edits:
                try:
                    if needle not in texts.workspace.read(rel):
                        continue
                except OSError:
                    continue
            found = texts.text(rel)
            if isinstance(found, Problem):
                continue
            for number, line in enumerate(found[0].splitlines(), start=1):
                if pattern.search(line):
                    notes.append(Note(rel, number, key, "mention", f"{key!r} is still mentioned: {line.strip()[:80]}"))
    return notes


def plan_each(
    config: Config,
    values: Mapping[str, str | None],
    paths: Sequence[Path] | None = None,
    *,
    unsafe: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
) -> list[Step]:
    """Retire flags one at a time, each on top of the previous ones' edits (nothing is written)."""
    overlay: dict[str, bytes] = {}
    steps = []
    for key in values:
        step = plan(config, {key: values[key]}, paths, unsafe=unsafe, jobs=jobs, use_cache=use_cache, overlay=overlay)
        overlay.update((edit.path, edit.after) for edit in step.edits)
        steps.append(step)
    return steps


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's contents in one step (temp file + rename in the same folder), keeping its mode."""
    mode = path.stat().st_mode if path.exists() else None
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".flaglint")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if mode is not None:
            os.chmod(temp, mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def apply(root: Path, edits: Iterable[FileEdit]) -> list[str]:
    """Write the edits; a file changed on disk since it was read is left alone and named."""
    conflicts = []
    for edit in edits:
        path = root / edit.path
        if path.read_bytes() != edit.before:
            conflicts.append(edit.path)
            continue
        write_atomic(path, edit.after)
    return conflicts
