"""Imports a rewrite left unused (also inside functions, and optional imports), found by
the names the module still mentions."""

from __future__ import annotations

import ast
import collections
import functools
import io
import re
import tokenize
from collections.abc import Callable, Mapping, Sequence

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

from flaglint.engine.astparse import functions
from flaglint.engine.source import next_token, prose_string
from flaglint.fix.base import _blank, _pure, blank_prefix, leading_lines, no_new_blank_start, opening_kept

_NAME_USE = re.compile(r"(?<![\w.])[^\W\d]\w*")


@functools.lru_cache(maxsize=8)
def _mentions(code: str) -> collections.Counter[str]:
    """How often each name appears in `code` (not as an attribute): one pass for every import.
    The passes of one rewrite count the same texts, so the last few counts are kept (read only)."""
    return collections.Counter(_NAME_USE.findall(code))


# what an import statement binds: `import a.b as c, d`, `from x import (a, b as c)`, after a `;` too
_IMPORT_NAMES = re.compile(
    r"(?:^|;)[ \t]*(?:from[ \t]+[.\w]+[ \t]+)?import[ \t]+(\([^)]*\)|(?:\\\r?\n|[^\n#;])*)", re.M
)


def may_leave_unused_imports(old_code: str, new_code: str) -> bool:
    """Whether the edit from `old_code` to `new_code` named an imported name fewer times: only
    then can an import have become unused (the exact test, on texts that may be a reduced
    module's, whose stood-in regions are the same on both sides)."""
    if "import" not in new_code:
        return False
    old, new = _mentions(old_code), _mentions(new_code)
    fewer = {name for name, count in old.items() if new[name] < count}
    if not fewer:
        return False
    for found in _IMPORT_NAMES.finditer(new_code):
        for part in found.group(1).strip("()").replace("\\", " ").split(","):
            words = part.split()
            if words and (words[-1].split(".")[0] in fewer or words[0].split(".")[0] in fewer):
                return True
    return False


def drop_new_unused_imports(
    old_code: str, after: cst.Module, new_code: str, keep: frozenset[str] = frozenset()
) -> cst.Module:
    """Remove the imports the rewrite left unused: module-level ones and those inside functions.

    A name that appears nowhere in the new text but in its own import cannot be used (a name in
    `__all__`, a string or a comment counts as a use, so such imports stay), and one that appeared
    only there before was unused already and stays. With unusedness proven from the text of the
    whole module, the removal is a plain edit of the import's names; LibCST's RemoveImportsVisitor
    would repeat a scope analysis, at ~35 ms a call, to prove the same. Names in `keep` stay
    (something elsewhere in the project still names them: a test's `mock.patch("module.name")`).
    """
    if "import" not in new_code:
        return after
    counts = _Uses(old_code, new_code, keep)
    body, carry, changed = _without_unused_imports(after.body, counts)
    if any(counts.new[name] < counts.old[name] for name in _indented_imports(new_code)):
        nested = _NestedImports(counts, _function_texts(old_code))
        visited = after.with_changes(body=body).visit(nested)
        if nested.changed:
            return no_new_blank_start(after, visited.with_changes(footer=[*carry, *after.footer]))
    if not changed:
        return after
    return no_new_blank_start(after, after.with_changes(body=body, footer=[*carry, *after.footer]))


_INDENTED_IMPORT = re.compile(r"^[ \t]+(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+\(?([^)\n#]+)", re.M)


def _indented_imports(code: str) -> set[str]:
    """Names bound by imports inside blocks (a cheap look before a tree walk)."""
    names = set()
    for found in _INDENTED_IMPORT.finditer(code):
        for part in found.group(1).split(","):
            words = part.split()
            if words:
                names.add(words[-1].split(".")[0])
    return names


def _without_unused_imports(
    statements: Sequence[cst.BaseStatement], counts: _Uses
) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine], bool]:
    """The statements without newly unused import names; blank lines of a removed import pass on."""
    body: list[cst.BaseStatement] = []
    carry: list[cst.EmptyLine] = []
    changed = False
    for statement in statements:
        if carry and not blank_prefix(leading_lines(statement)):
            statement = statement.with_changes(leading_lines=[*carry, *leading_lines(statement)])
        carry = []
        if isinstance(statement, cst.Try) and _optional_import_gone(statement, counts):
            changed = True
            carry = _blank(statement.leading_lines)
            continue
        unused = _newly_unused(statement, counts) if _imports_names(statement) else set()
        if unused:
            kept = _remove_aliases(statement, unused)  # type: ignore[arg-type]
            changed = True
            if kept is None:
                carry = _blank(leading_lines(statement))
                continue
            statement = kept
        body.append(statement)
    return body, carry, changed


class _NestedImports(cst.CSTTransformer):
    """Newly unused imports inside functions and classes (`from x import y` in a def); a block
    is never emptied by it. An import at the top of a function is judged on that function's own
    text before and after (other functions of the module may still use the same name)."""

    def __init__(self, counts: _Uses, functions: Mapping[tuple[str, ...], str]) -> None:
        super().__init__()
        self.counts = counts
        self.functions = functions  # the old text of each function, by its chain of names
        self.chain: list[str] = []
        self.changed = False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.chain.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.chain.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.chain.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        old = self.functions.get(tuple(self.chain))
        self.chain.pop()
        block = updated_node.body
        if old is None or not isinstance(block, cst.IndentedBlock) or not any(_imports_names(s) for s in block.body):
            return updated_node
        scoped = _Uses(old, cst.Module([]).code_for_node(updated_node), self.counts.keep)
        body, _, changed = _without_unused_imports(block.body, scoped)
        if not changed or not body:
            return updated_node
        self.changed = True
        return updated_node.with_changes(body=block.with_changes(body=opening_kept(block.body, body)))

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not any(_imports_names(s) for s in updated_node.body):
            return updated_node
        body, _, changed = _without_unused_imports(updated_node.body, self.counts)
        if not changed or not body:
            return updated_node
        self.changed = True
        return updated_node.with_changes(body=opening_kept(updated_node.body, body))


def _function_texts(code: str) -> dict[tuple[str, ...], str]:
    """The text of each function of `code` by its chain of enclosing names (a chain that two
    functions share is left out: which is which cannot be told)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[tuple[str, ...], str] = {}
    twice: set[tuple[str, ...]] = set()
    for chain, function, _ in functions(tree):
        if chain in found:
            twice.add(chain)
        found[chain] = ast.get_source_segment(code, function) or ""
    return {chain: text for chain, text in found.items() if chain not in twice and text}


_IMPORT_ERRORS = m.Name("ImportError") | m.Name("ModuleNotFoundError")


def _optional_import_gone(statement: cst.Try, uses: _Uses) -> bool:
    """Whether `try: from x import y` / `except ImportError: y = None` imports only names the
    rewrite left unused: named nowhere now but there, where code named them before."""
    if statement.orelse or statement.finalbody or len(statement.handlers) != 1:
        return False
    if not isinstance(statement.body, cst.IndentedBlock) or not isinstance(
        statement.handlers[0].body, cst.IndentedBlock
    ):
        return False
    body, handler = statement.body.body, statement.handlers[0]
    first = body[0] if len(body) == 1 else None
    if not isinstance(first, cst.SimpleStatementLine) or not _imports_names(first) or handler.name is not None:
        return False
    if handler.type is None:
        return False
    if not m.matches(handler.type, _IMPORT_ERRORS | m.Tuple(elements=[m.AtLeastN(m.Element(_IMPORT_ERRORS), n=1)])):
        return False
    bound: collections.Counter[str] = collections.Counter()
    for small in first.body:
        if not isinstance(small, (cst.Import, cst.ImportFrom)) or isinstance(small.names, cst.ImportStar):
            return False
        bound.update((a.evaluated_alias or a.evaluated_name).split(".")[0] for a in small.names)
    for line in handler.body.body:
        if m.matches(line, m.SimpleStatementLine(body=[m.Pass()])):
            continue
        fallback = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
        if not isinstance(fallback, cst.Assign) or len(fallback.targets) != 1 or not _pure(fallback.value):
            return False
        target = fallback.targets[0].target
        if not isinstance(target, cst.Name):
            return False
        name = target.value
        if name not in bound:
            return False
        bound[name] += 1
    return all(uses.new[name] == count < uses.old[name] and name not in uses.keep for name, count in bound.items())


def _imports_names(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _newly_unused(statement: cst.BaseStatement, uses: _Uses) -> set[str]:
    """Names bound by imports in `statement` that the rewrite left unused."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return set()
    found = set()
    for small in statement.body:
        if not isinstance(small, (cst.Import, cst.ImportFrom)) or isinstance(small.names, cst.ImportStar):
            continue
        if isinstance(small, cst.ImportFrom) and get_full_name_for_node(small.module or cst.Name("_")) == "__future__":
            continue
        for alias in small.names:
            bound = (alias.evaluated_alias or alias.evaluated_name).split(".")[0]
            if uses.gone(bound):
                found.add(bound)
    return found


class _Uses:
    """How often names appear in a module before and after a rewrite, for telling which imports
    the rewrite left unused. The quick count reads every word (strings and comments included);
    where only comments, docstrings or dict keys would still name an import, the tokens decide:
    those are not uses (other strings are: `__all__`).
    """

    def __init__(self, old_code: str, new_code: str, keep: frozenset[str] = frozenset()) -> None:
        self.old_code, self.new_code, self.keep = old_code, new_code, keep
        self.old, self.new = _mentions(old_code), _mentions(new_code)
        self._precise: tuple[collections.Counter[str], collections.Counter[str]] | None = None

    def gone(self, name: str) -> bool:
        """Whether only its own import names `name` now, where code named it before."""
        if name in self.keep:
            return False
        if self.new[name] == 1 < self.old[name]:
            return True
        if not self.old[name] > self.new[name] > 1:
            return False
        if self._precise is None:
            self._precise = (_code_mentions(self.old_code), _code_mentions(self.new_code))
        old, new = self._precise
        return new[name] == 1 < old[name]


def _code_mentions(code: str) -> collections.Counter[str]:
    """Names used in `code`: tokens, without comments, prose strings (docstrings, sentences) and
    dict keys, attribute names excluded; names in other strings count (`__all__`). Falls back to
    every word when the text does not tokenize.
    """
    found: collections.Counter[str] = collections.Counter()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return _mentions(code)
    layout = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT}
    previous: tokenize.TokenInfo | None = None
    brackets: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            brackets.append(token.string)
        elif token.type == tokenize.OP and token.string in ")]}" and brackets:
            brackets.pop()
        if token.type == tokenize.NAME and not (previous and previous.string == "."):
            found[token.string] += 1
        elif token.type == tokenize.STRING:
            after = next_token(tokens, index)
            dict_key = bool(brackets) and brackets[-1] == "{" and after is not None and after.string == ":"
            if not dict_key and not prose_string(token.string, previous, after):
                found.update(_mentions(token.string))
        elif token.type not in layout and token.type not in (tokenize.OP, tokenize.NUMBER, tokenize.NAME):
            found.update(_mentions(token.string))  # f-string parts (3.12+) count like strings
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token
    return found


def _remove_aliases(statement: cst.SimpleStatementLine, unused: set[str]) -> cst.SimpleStatementLine | None:
    """The import statement without the aliases binding `unused` names (None when nothing is left)."""
    body: list[cst.BaseSmallStatement] = []
    for small in statement.body:
        if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
            kept = [a for a in small.names if (a.evaluated_alias or a.evaluated_name).split(".")[0] not in unused]
            if not kept:
                continue
            if len(kept) < len(small.names):
                kept[-1] = kept[-1].with_changes(comma=small.names[-1].comma)
                small = small.with_changes(names=kept)
        body.append(small)
    if not body:
        return None
    body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(body=body)


class ReplaceName(cst.CSTTransformer):
    """Replace reads of a name (not attribute names or keywords) with fresh constants."""

    def __init__(self, name: str, make: Callable[[], cst.BaseExpression]) -> None:
        super().__init__()
        self.name = name
        self.make = make
        self.skip: set[int] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.skip.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node.value == self.name and id(original_node) not in self.skip:
            return self.make()
        return updated_node


class BindingCounter(cst.CSTVisitor):
    """Every place that binds a name or declares it global/nonlocal, by syntax alone."""

    def __init__(self) -> None:
        super().__init__()
        self.found: collections.Counter[str] = collections.Counter()

    @classmethod
    def of(cls, node: cst.CSTNode) -> collections.Counter[str]:
        counter = cls()
        node.visit(counter)
        return counter.found

    def _targets(self, node: cst.CSTNode) -> None:
        for name in m.findall(node, m.Name()):
            self.found[name.value] += 1  # type: ignore[attr-defined]

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._targets(node.name)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:  # `import a.b` binds `a`; `from x import y` binds `y` (an alias: visit_AsName)
            self.found[node.evaluated_name.split(".")[0]] += 1

    def visit_Del(self, node: cst.Del) -> None:
        self._targets(node.target)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.found[node.name.value] += 1

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.found[node.name.value] += 1

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.found[node.name.value] += 1

    def visit_Param(self, node: cst.Param) -> None:
        self.found[node.name.value] += 1  # a nested function's or lambda's parameter shadows the name

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.found[node.name.value] += 1

    def visit_Global(self, node: cst.Global) -> None:
        self.found.update(f"global {n.name.value}" for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.found.update(f"nonlocal {n.name.value}" for n in node.names)
