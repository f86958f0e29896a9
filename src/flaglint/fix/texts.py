"""File contents as a plan sees them (its edits over the workspace), and the templates, configuration
and docs that may name what it deletes."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flaglint.engine.source import decode_with_encoding
from flaglint.engine.tomlpos import in_table
from flaglint.engine.workspace import Workspace, discover
from flaglint.fix.base import Note
from flaglint.model import ModuleName, Problem


@dataclass
class Texts:
    """File contents as the plan sees them: edits of this plan over the workspace's view, with
    every file read from disk at most once per plan.
    """

    workspace: Workspace
    files: Sequence[str] = ()  # every Python file of the project
    edits: dict[str, tuple[str, str]] = field(default_factory=dict)  # rel -> (text, encoding)
    _raw: dict[str, bytes | None] = field(default_factory=dict)
    _templates: list[str] | None = None  # the project's templates and scripts, found once per plan
    _everything: list[str] | None = None  # every Python file under the root, excluded folders too
    _text_files: list[str] | None = None  # templates, scripts, configuration and docs

    def raw(self, rel: str) -> bytes | None:
        if rel not in self._raw:
            try:
                self._raw[rel] = self.workspace.read(rel)
            except OSError:
                self._raw[rel] = None
        return self._raw[rel]

    def text(self, rel: str) -> tuple[str, str] | Problem:
        if rel in self.edits:
            return self.edits[rel]
        data = self.raw(rel)
        if data is None:
            return Problem(rel, 1, 0, "cannot read the file")
        return decode_with_encoding(rel, data)

    def containing(self, *names: str) -> Iterator[tuple[str, str, str]]:
        """(file, text, encoding) of the project files whose current text contains any of `names`."""
        return self._among(self.files, names)

    def everywhere(self, names: Sequence[str]) -> Iterator[tuple[str, str, ModuleName]]:
        """(file, text, module) of every Python file under the root, the settings' excluded
        folders too (tests and migrations still import what they name), whose current text
        contains any of `names`."""
        if self._everything is None:
            root = self.workspace.root
            config = dataclasses.replace(self.workspace.config, exclude=())
            self._everything = sorted(set(discover(root, [root], config)[0]) | set(self.edits))
        for rel, text, _ in self._among(self._everything, names):
            yield rel, text, self.workspace.module_of(rel)

    def _among(self, files: Sequence[str], names: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        needles = [name.encode() for name in names]
        for rel in files:
            if rel not in self.edits:
                data = self.raw(rel)
                if data is None or not any(needle in data for needle in needles):
                    continue
            found = self.text(rel)
            if not isinstance(found, Problem) and any(name in found[0] for name in names):
                yield rel, found[0], found[1]

    def text_files(self, names: Sequence[str]) -> Iterator[tuple[str, str]]:
        """(file, text) of the project's templates, scripts, configuration and docs that contain
        any of `names` (a change log is history, not a use)."""
        if self._text_files is None:
            self._text_files = list(_template_files(self.workspace.root, _TEXT_FILES))
        needles = [name.encode() for name in names]
        for rel in self._text_files:
            data = self._read_other(rel)
            if data is not None and any(needle in data for needle in needles):
                text = data.decode("utf-8", "replace")
                yield rel, _without_own_settings(text) if rel.endswith("pyproject.toml") else text

    def _read_other(self, rel: str) -> bytes | None:
        if rel not in self._raw:  # whatever its size: a template too big to scan still counts
            overlay = self.workspace.overlay.get(rel)
            try:
                self._raw[rel] = overlay if overlay is not None else (self.workspace.root / rel).read_bytes()
            except OSError:
                self._raw[rel] = None
        return self._raw[rel]

    def templates(self, *names: str) -> Iterator[tuple[str, str]]:
        """(file, text) of the project's templates and scripts (`.html`, `.jinja`, `.js`, ...) that
        contain any of `names`: the tree is walked once per plan, each file read at most once."""
        if self._templates is None:
            self._templates = list(_template_files(self.workspace.root))
        needles = [name.encode() for name in names]
        for rel in self._templates:
            data = self._read_other(rel)
            if data is not None and any(needle in data for needle in needles):
                yield rel, data.decode("utf-8", "replace")


_TEMPLATES = frozenset(
    {".html", ".htm", ".jinja", ".jinja2", ".j2", ".txt", ".xml", ".js", ".jsx", ".ts", ".tsx", ".vue"}
)
_NOT_SOURCES = frozenset({"node_modules", "__pycache__", "site-packages"})
# What the use index reads besides Python: templates and scripts, configuration, docs.
_TEXT_FILES = _TEMPLATES | {".cfg", ".ini", ".yaml", ".yml", ".toml", ".json", ".md", ".rst", ".jinja2", ".tmpl"}
_HISTORY = re.compile(r"^(changelog|changes|history|news|release[-_]?notes)", re.I)


def _without_own_settings(text: str) -> str:
    """A pyproject.toml without flaglint's own tables: its patterns name the flag functions, its
    declarations the flag classes, and neither is a use of them (blank lines keep line numbers)."""
    lines = text.splitlines(keepends=True)
    return "".join("\n" if ours else line for line, ours in zip(lines, in_table(text, "tool.flaglint"), strict=True))


def _template_files(root: Path, suffixes: AbstractSet[str] = _TEMPLATES) -> Iterator[str]:
    """The project's templates and scripts (or other files with `suffixes`), outside hidden
    folders and installed packages; change logs aside."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _NOT_SOURCES)
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in suffixes and not path.is_symlink() and not _HISTORY.match(name):
                yield path.relative_to(root).as_posix()


def left_out(texts: Texts, folders: set[PurePosixPath]) -> Iterator[tuple[str, str]]:
    """(file, text) of the Python files under `folders` that the project's settings leave out of
    its files (an excluded folder): pytest still collects them, so their requests still count."""
    listed = set(texts.files)
    root = texts.workspace.root
    for folder in sorted(folders):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in listed or path.is_symlink():
                continue
            try:
                yield rel, path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue


def _mentions(values: Mapping[str, str | None], texts: Texts) -> list[Note]:
    """Strings and comments that still name a retired key, for a person to look at."""
    notes = []
    for key in sorted(values):
        pattern = re.compile(rf"(?<![\w-]){re.escape(key)}(?![\w-])")
        for rel, text, _ in texts.containing(key):
            for number, line in enumerate(text.splitlines(), start=1):
                if pattern.search(line):
                    notes.append(Note(rel, number, key, "mention", f"{key!r} is still mentioned: {line.strip()[:80]}"))
    return notes
