"""What a module defines that can name a flag key: string constants, class attributes, enum
members, flag objects; and the dotted names of its imports."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Sequence

from flaglint.engine.astparse import ENUM_BASES
from flaglint.engine.source import LINE_BREAK
from flaglint.model import ModuleDefs, ModuleName, Span

# --- source positions ---------------------------------------------------------------------------


class _Source:
    """The original text, for character columns and the code of a node (with its own parentheses)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ascii = text.isascii()
        self._offsets: list[int] | None = None
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n") if "\r" not in self.text else LINE_BREAK.split(self.text)
        return self._lines

    @property
    def offsets(self) -> list[int]:
        if self._offsets is None:
            if "\r" in self.text:
                self._offsets = [0, *(m.end() for m in LINE_BREAK.finditer(self.text))]
            else:
                lengths = map(len, self.lines[:-1])
                self._offsets = [0, *(o + i for i, o in enumerate(itertools.accumulate(lengths), start=1))]
        return self._offsets

    def column(self, line: int, byte_offset: int) -> int:
        """0-based character column of a UTF-8 byte offset on a 1-based line."""
        if self.ascii:
            return byte_offset
        text = self.lines[line - 1]
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8", "surrogatepass")[:byte_offset].decode("utf-8", "surrogatepass"))

    def start(self, node: ast.AST) -> int:
        line = node.lineno  # type: ignore[attr-defined]
        return self.offsets[line - 1] + self.column(line, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        line = node.end_lineno  # type: ignore[attr-defined]
        return self.offsets[line - 1] + self.column(line, node.end_col_offset)  # type: ignore[attr-defined]

    def span(self, node: ast.AST) -> Span:
        return Span(
            node.lineno,  # type: ignore[attr-defined]
            self.column(node.lineno, node.col_offset) + 1,  # type: ignore[attr-defined]
            node.end_lineno,  # type: ignore[attr-defined]
            self.column(node.end_lineno, node.end_col_offset) + 1,  # type: ignore[attr-defined]
        )

    def code(self, node: ast.AST, floor: int = -1, ceiling: int | None = None) -> str:
        """The code of `node` with the parentheses that group it alone, as LibCST's `code_for_node`
        gives it; parentheses at `floor` / `ceiling` (a call's own) are not the node's.
        """
        text = self.text
        start, end = self.start(node), self.end(node)
        left = []
        position = start - 1
        while position >= 0 and position > floor:
            char = text[position]
            if char == "(":
                left.append(position)
            elif char not in " \t\r\n\f\\":
                break
            position -= 1
        right = []
        position = end
        limit = len(text) if ceiling is None else ceiling
        while position < limit:
            char = text[position]
            if char == ")":
                right.append(position)
            elif char not in " \t\r\n\f\\":
                break
            position += 1
        groups = min(len(left), len(right))
        if groups:
            return text[left[groups - 1] : right[groups - 1] + 1]
        return text[start:end]


# --- definitions --------------------------------------------------------------------------------


def string_value(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def dotted(node: ast.AST) -> str | None:
    """LibCST's `get_full_name_for_node`: `a.b.c` for names and attributes, a call's function name."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Name):
            parts.append(node.id)
            break
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            if not parts:
                return None
            parts.append("None")
            break
    return ".".join(reversed(parts))


def from_package(module: ModuleName, name: str | None, dots: int) -> str | None:
    """The absolute module of a relative import (None when it reaches above the top package)."""
    if dots == 0:
        return name
    if not module.package:
        return None
    bits = module.package.rsplit(".", dots - 1)  # as importlib resolves it
    if len(bits) < dots:
        return None
    return f"{bits[0]}.{name}" if name else bits[0]


def _absolute_import(module: ModuleName, node: ast.ImportFrom) -> str | None:
    if not node.level:
        return node.module
    return from_package(module, node.module, node.level)


def module_defs(tree: ast.Module, module: ModuleName) -> ModuleDefs:
    values: dict[str, str] = {}
    members: set[str] = set()
    aliases: dict[str, str] = {}

    def collect(body: Sequence[ast.stmt], prefix: str, enum_kind: str | None) -> None:
        for small in body:
            target: ast.AST | None = None
            value: ast.AST | None = None
            if isinstance(small, ast.Assign) and len(small.targets) == 1:
                target, value = small.targets[0], small.value
            elif isinstance(small, ast.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            elif isinstance(small, ast.ImportFrom) and not prefix and small.names[0].name != "*":
                base = _absolute_import(module, small)
                for alias in small.names:
                    if base:
                        aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(small, ast.Import) and not prefix:
                for alias in small.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
            if not isinstance(target, ast.Name) or value is None:
                continue
            qualname = f"{prefix}{target.id}"
            text = string_value(value)
            if text is None and enum_kind == "StrEnum" and _is_auto(value):
                text = target.id.lower()
            if text is not None:
                values[qualname] = text
            if enum_kind is not None and not target.id.startswith("_"):
                members.add(qualname)
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                bases = {str(dotted(b) or "").rsplit(".", 1)[-1] for b in statement.bases}
                kind = next(iter(sorted(bases & ENUM_BASES)), None)
                if kind == "Enum" and "str" in bases:
                    kind = "StrEnum-like"
                collect(statement.body, f"{prefix}{statement.name}.", kind)

    collect(tree.body, "", None)
    return ModuleDefs(tuple(sorted(values.items())), frozenset(members), tuple(sorted(aliases.items())))


def _is_auto(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (dotted(node.func) or "").endswith("auto")
