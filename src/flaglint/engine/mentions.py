"""What one Python file says that could name a definition (imports, attribute reads, dotted
strings, keyword arguments, names read), read once per content and kept in `.flaglint_cache/`:
the use index asks it for every file that holds a deleted word, and a file whose text did not
change since any earlier plan (a `clean`, an editor's quick fix) is not parsed again.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flaglint.engine.astparse import tree
from flaglint.engine.cachedir import claim, write_json
from flaglint.model import ModuleName


def quiet_parse(text: str) -> ast.Module | None:
    """CPython's parse of a project file, or None when it does not parse; its warnings (an `is`
    with a literal, an invalid escape) are the project's business, never printed here."""
    try:
        return tree(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_WORDLIKE = re.compile(r"^[\w.:]+$")


def is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


@dataclass
class Mentions:
    """What one Python file says that could name a definition of another (or its own) module."""

    module: ModuleName
    from_imports: list[tuple[str, str, int]] = field(default_factory=list)  # (module, name, line)
    star_imports: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> module it refers to
    attributes: list[tuple[str | None, str, int]] = field(default_factory=list)  # (receiver, attr, line)
    strings: list[tuple[str, int]] = field(default_factory=list)
    keywords: list[tuple[str | None, str, int]] = field(default_factory=list)  # (callee, keyword, line)
    names: dict[str, int] = field(default_factory=dict)  # names read, first line
    bases: set[str] = field(default_factory=set)  # the last names of the classes' bases


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super":
        return "super()"
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def absolute(module: ModuleName, node: ast.ImportFrom) -> str:
    """The module a `from ... import` names, relative imports resolved from `module`'s package."""
    if not node.level:
        return node.module or ""
    parts = module.package.split(".") if module.package else []
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def mentions(text: str, module: ModuleName) -> Mentions | None:
    """Read once what a file says that may name a definition; None when it does not parse."""
    tree = quiet_parse(text)
    if tree is None:
        return None
    found = Mentions(module)
    docstrings = {
        id(first.value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
        for first in [node.body[0]]
        if isinstance(first, ast.Expr) and is_docstring(first)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = absolute(module, node)
            for alias in node.names:
                if alias.name == "*":
                    found.star_imports.append(source)
                else:
                    found.from_imports.append((source, alias.name, node.lineno))
                    found.aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                found.aliases[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.Attribute):
            found.attributes.append((_dotted(node.value), node.attr, node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if _WORDLIKE.match(node.value):
                found.strings.append((node.value, node.lineno))
        elif isinstance(node, ast.Call):
            callee = _dotted(node.func)
            for keyword in node.keywords:
                if keyword.arg is not None:
                    found.keywords.append((callee, keyword.arg, keyword.value.lineno))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            found.names.setdefault(node.id, node.lineno)
        elif isinstance(node, ast.ClassDef):
            found.bases.update(base.rsplit(".", 1)[-1] for base in map(_dotted, node.bases) if base)
    return found


_FORMAT = 1
_LIMIT = 20_000  # entries kept on disk: the files plans looked at most recently


def _key(text: str, module: ModuleName) -> str:
    """What a file's mentions depend on: its text and (for relative imports) its package."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return f"{digest}:{module.package}"


def _to_json(said: Mentions) -> list[Any]:
    return [
        said.from_imports,
        said.star_imports,
        said.aliases,
        said.attributes,
        said.strings,
        said.keywords,
        said.names,
        sorted(said.bases),
    ]


def _from_json(module: ModuleName, item: list[Any]) -> Mentions:
    froms, stars, aliases, attributes, strings, keywords, names, bases = item
    if not (isinstance(aliases, dict) and isinstance(names, dict)):
        raise TypeError("cache entry of the wrong shape")
    return Mentions(
        module,
        [(str(a), str(b), int(c)) for a, b, c in froms],
        [str(s) for s in stars],
        {str(k): str(v) for k, v in aliases.items()},
        [(r if r is None else str(r), str(a), int(n)) for r, a, n in attributes],
        [(str(s), int(n)) for s, n in strings],
        [(c if c is None else str(c), str(k), int(n)) for c, k, n in keywords],
        {str(k): int(v) for k, v in names.items()},
        {str(b) for b in bases},
    )


class MentionsCache:
    """`Mentions` by file content, shared by every plan of a workspace (a language server's
    plans too, from several threads) and kept on disk beside the scan cache when `folder` is set.
    An entry that is broken or of another format is read again from the file, never trusted."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._stored: dict[str, list[Any]] = {}  # as loaded: decoded on first use
        self._read: dict[str, Mentions | None] = {}
        self._lock = threading.Lock()
        self._loaded = False
        self.dirty = False
        self.parsed = 0  # files parsed for their mentions by this process (what the cache spared)

    @property
    def _file(self) -> Path:
        assert self.folder is not None
        return self.folder / "uses.json"

    def _load(self) -> None:
        self._loaded = True
        if self.folder is None:
            return
        try:
            raw = json.loads(self._file.read_text(encoding="utf-8"))
            if isinstance(raw, dict) and raw.get("format") == _FORMAT and isinstance(raw.get("files"), dict):
                self._stored = raw["files"]
        except (OSError, ValueError):
            self._stored = {}

    def get(self, text: str, module: ModuleName) -> Mentions | None:
        """The mentions of a file with `text` in `module`'s package; None when it does not parse."""
        key = _key(text, module)
        with self._lock:
            if not self._loaded:
                self._load()
            if key in self._read:
                said = self._read[key]
                return None if said is None else _as_module(said, module)
            stored = self._stored.get(key)
        found: Mentions | None
        try:
            found = None if stored is None else _from_json(module, stored)
        except (TypeError, ValueError):
            found = None
            stored = None
        if stored is None:
            found = mentions(text, module)
            self.parsed += 1
        with self._lock:
            self._read[key] = found
            if stored is None and found is not None:
                self.dirty = True
        return found

    def save(self) -> None:
        """Write what this process read, then what the file held, up to the limit (atomically;
        only in a folder that is flaglint's)."""
        if self.folder is None or not self.dirty or not claim(self.folder):
            return
        with self._lock:
            files = {key: _to_json(said) for key, said in self._read.items() if said is not None}
            for key, item in self._stored.items():
                if len(files) >= _LIMIT:
                    break
                files.setdefault(key, item)
            self.dirty = False
        try:
            write_json(self._file, {"format": _FORMAT, "files": files}, "uses")
        except OSError:
            return  # a cache that cannot be written only costs speed next time


def _as_module(said: Mentions, module: ModuleName) -> Mentions:
    """The same mentions for a file of another name in the same package (a copy, a rename)."""
    if said.module == module:
        return said
    return Mentions(module, *(getattr(said, name) for name in _FIELDS))


_FIELDS = ("from_imports", "star_imports", "aliases", "attributes", "strings", "keywords", "names", "bases")
