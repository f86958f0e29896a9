"""Retire flags: rewrite a module as if each retired flag always had one value. Pure.

The rewrite is one bottom-up LibCST pass. Each flag reference becomes a constant that the pass
marks as *synthetic*; only synthetic constants fold, so a `while True:` or `if False:` that a
person wrote is never touched. Folding follows Python's semantics: in a value context
`x and True` stays as it is, and operands with side effects are never dropped.
"""

from __future__ import annotations

import ast
import collections
import functools
import io
import itertools
import re
import symtable
import tokenize
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider, ScopeProvider

from flaglint.engine.patterns import Pattern
from flaglint.engine.scan import last_name
from flaglint.engine.source import next_token, prose_string
from flaglint.model import FlagRef, ModuleName, RefKind, Span


@dataclass(frozen=True)
class Note:
    """Something the user should know about a rewrite: what was skipped, applied or left to review."""

    path: str
    line: int
    key: str | None
    kind: str  # "unsafe-skipped" | "unsafe-applied" | "review" | "error"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Rewrite:
    path: str
    tree: cst.Module
    changed: bool
    notes: tuple[Note, ...]
    wrappers: tuple[tuple[str, str], ...] = ()  # (function, literal): module-level functions now returning a constant
    code: str = ""  # the new text, generated once
    fixtures: tuple[str, ...] = ()  # pytest fixtures removed (unsafe): whatever requests them must go too
    # (function, local) or ("", self attribute): rows whose pin went, for clean to release in the whole
    # file when this rewrite saw a reduced module
    released: tuple[tuple[str, str], ...] = ()
    # (function, keyword or "#position", literal): arguments the fold made constant, for clean to
    # drop the parameter when every caller passes that constant
    arguments: tuple[tuple[str, str, str], ...] = ()


class _Constants:
    """The synthetic constants of one rewrite, by node identity (the nodes are kept alive here)."""

    def __init__(self) -> None:
        self._nodes: dict[int, tuple[cst.CSTNode, object]] = {}
        self.inlined: set[int] = set()  # constants that stand where a local holding one was read

    def make(self, literal: str) -> cst.BaseExpression:
        node = cst.parse_expression(literal)
        self._nodes[id(node)] = (node, ast.literal_eval(literal))
        return node

    def boolean(self, value: bool) -> cst.BaseExpression:
        return self.make("True" if value else "False")

    def adopt(self, node: cst.CSTNode, value: object) -> cst.CSTNode:
        self._nodes[id(node)] = (node, value)
        return node

    def get(self, node: cst.CSTNode) -> tuple[bool, object]:
        found = self._nodes.get(id(node))
        return (True, found[1]) if found is not None and found[0] is node else (False, None)


_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.List,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.DictComp,
    cst.SetComp,
)
_TERMINATORS = (cst.Return, cst.Raise, cst.Continue, cst.Break)
_FOLDED_BUILTINS = frozenset({"bool", "all", "any"})
_PREDICATES = frozenset({"isinstance", "issubclass", "hasattr", "callable"})


def _pure(node: cst.BaseExpression) -> bool:
    """Whether evaluating the expression can be dropped: names, attributes and literals only (and
    `not` of one)."""
    if isinstance(node, (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return _pure(node.expression)
    if isinstance(node, cst.ConcatenatedString):
        return _pure(node.left) and _pure(node.right)
    return False


def _literal(node: cst.BaseExpression) -> tuple[bool, object]:
    literal_types = (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Tuple, cst.List, cst.Set)
    if isinstance(node, literal_types) or (isinstance(node, cst.Name) and node.value in ("True", "False", "None")):
        try:
            return True, ast.literal_eval(cst.Module([]).code_for_node(node).strip())
        except (ValueError, SyntaxError):
            return False, None
    return False, None


_COMPARE = {
    cst.Equal: lambda a, b: a == b,
    cst.NotEqual: lambda a, b: a != b,
    cst.In: lambda a, b: a in b,
    cst.NotIn: lambda a, b: a not in b,
    cst.LessThan: lambda a, b: a < b,
    cst.LessThanEqual: lambda a, b: a <= b,
    cst.GreaterThan: lambda a, b: a > b,
    cst.GreaterThanEqual: lambda a, b: a >= b,
}


def _single_store(statement: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    if m.matches(statement, m.SimpleStatementLine([m.Assign([m.AssignTarget(m.Name())])])):
        assign = statement.body[0]  # type: ignore[attr-defined]
        return assign.targets[0].target.value, assign.value
    return None


def _overwrites(first: cst.CSTNode, second: cst.CSTNode, guarded: bool) -> bool:
    """Whether `second` stores to the same name as `first` without reading it, and `first` is pure.

    Inside try/with the second value might raise and a handler read the first one; there only a
    literal (which cannot raise) overwrites.
    """
    a, b = _single_store(first), _single_store(second)
    if a is None or b is None or a[0] != b[0] or not _pure(a[1]):
        return False
    if guarded and not _literal(b[1])[0]:
        return False
    return not m.findall(b[1], m.Name(a[0]))


def _only_calls_super(node: cst.FunctionDef) -> bool:
    """Whether a method only hands its own arguments to the same method of its parent class (an
    override that changes nothing): `def setUp(self): super().setUp()`, no decorators.
    """
    if node.decorators or node.asynchronous or not isinstance(node.body, cst.IndentedBlock):
        return False
    statements = node.body.body
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
        return False
    (small,) = statements[0].body
    call = small.value if isinstance(small, (cst.Expr, cst.Return)) else None
    same = m.Call(func=m.Attribute(value=m.Call(func=m.Name("super")), attr=m.Name(node.name.value)))
    if not isinstance(call, cst.Call) or not m.matches(call, same):
        return False
    params = node.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg or params.kwonly_params:
        return False
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    passed = [a.value.value if isinstance(a.value, cst.Name) and not (a.keyword or a.star) else "" for a in call.args]
    return bool(names) and passed == names[1:]


def _is_terminator(statement: cst.CSTNode) -> bool:
    """A statement after which nothing in its block runs: a `return`, `raise`, `continue` or
    `break`, or an `if` with an `else` whose every branch ends in one."""
    if isinstance(statement, cst.SimpleStatementLine):
        return isinstance(statement.body[-1], _TERMINATORS)
    if isinstance(statement, cst.If) and statement.orelse is not None:
        rest = statement.orelse if isinstance(statement.orelse, cst.If) else None
        last = statement.orelse.body if rest is None else None
        return _ends(statement.body) and (_is_terminator(rest) if rest is not None else _ends(last))
    return False


def _ends(block: cst.BaseSuite | None) -> bool:
    if isinstance(block, cst.SimpleStatementSuite):
        return isinstance(block.body[-1], _TERMINATORS)
    return isinstance(block, cst.IndentedBlock) and bool(block.body) and _is_terminator(block.body[-1])


_ROUTES = frozenset({"path", "re_path", "url"})  # Django's URL conf entries: (route, view, ..., name=)


def _keyword(arg: cst.Arg, name: str) -> bool:
    return arg.keyword is not None and arg.keyword.value == name


def quoted_names(names: Iterable[str]) -> re.Pattern[str]:
    """`names` spelt as a string, maybe namespaced (a route name: `"x"`, `'app:x'`); group 1 is it."""
    alternatives = "|".join(re.escape(name) for name in sorted(names))
    return re.compile(rf"[\"'](?:[\w-]+:)*({alternatives})[\"']")


def _quoted(name: str, text: str) -> int:
    """How often `text` spells `name` as a string."""
    return len(quoted_names([name]).findall(text))


_Element = cst.Element | cst.DictElement | cst.StarredElement | cst.StarredDictElement | cst.Arg


def kept_elements(
    elements: Sequence[_Element], keep: Sequence[bool], closing: cst.BaseParenthesizableWhitespace | None = None
) -> list[_Element]:
    """The elements (or call arguments) marked kept; when the last ones go, the closing bracket
    stays where it was (on its own line, or right after the last element): the new last takes
    their final separator, except where the bracket sits on its own line after a last element
    without a comma: then the new last keeps its comma, as a person deleting those lines would.
    `closing` is the whitespace before the closing bracket (a call's last argument holds its own).
    """
    kept = [element for element, wanted in zip(elements, keep, strict=True) if wanted]
    if not kept or keep[-1]:
        return kept
    last, new = elements[-1], kept[-1]
    if isinstance(last, cst.Arg):
        closing = last.whitespace_after_arg
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)  # type: ignore[union-attr]
    if isinstance(last.comma, cst.Comma) or not isinstance(new.comma, cst.Comma):
        kept[-1] = new.with_changes(comma=last.comma)
    elif isinstance(closing, cst.ParenthesizedWhitespace):
        kept[-1] = new.with_changes(comma=new.comma.with_changes(whitespace_after=cst.SimpleWhitespace("")))
    else:
        kept[-1] = new.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return kept


def _closing(container: cst.Dict | cst.List | cst.Tuple | cst.Set) -> cst.BaseParenthesizableWhitespace | None:
    """The whitespace before a display's closing bracket (None for a tuple without brackets)."""
    if isinstance(container, (cst.Dict, cst.Set)):
        return container.rbrace.whitespace_before
    if isinstance(container, cst.List):
        return container.rbracket.whitespace_before
    return container.rpar[-1].whitespace_before if container.rpar else None


def shrink(container: cst.BaseExpression, keep: Sequence[bool]) -> cst.BaseExpression:
    """A dict, list, tuple or set display with only the elements marked kept: `("a",)` stays a
    tuple, and an emptied one closes up (`{}`, `[]`, `()`, `set()`).
    """
    if all(keep) or not isinstance(container, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        return container
    new = kept_elements(container.elements, keep, _closing(container))
    if isinstance(container, cst.Tuple) and len(new) == 1 and isinstance(new[0].comma, cst.MaybeSentinel):
        new[0] = new[0].with_changes(comma=cst.Comma())
    if new:
        return container.with_changes(elements=new)
    if isinstance(container, cst.Dict):
        return container.with_changes(elements=[], lbrace=cst.LeftCurlyBrace(), rbrace=cst.RightCurlyBrace())
    if isinstance(container, cst.List):
        return container.with_changes(elements=[], lbracket=cst.LeftSquareBracket(), rbracket=cst.RightSquareBracket())
    if isinstance(container, cst.Set):
        return cst.Call(cst.Name("set"))
    return container.with_changes(elements=[], lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


@dataclass
class _Class:
    node: cst.ClassDef
    doom: str | None = None  # why the whole class should go (only applied with unsafe fixes)
    callers: dict[str, str] = field(default_factory=dict)  # test method -> why it goes with a helper it calls


@dataclass
class _Function:
    node: cst.FunctionDef
    doom: str | None = None  # why the whole function should go (only applied with unsafe fixes)
    params: dict[str, list[object]] = field(default_factory=dict)  # @pytest.mark.parametrize("n", [...])
    pinned: dict[str, bool] = field(default_factory=dict)  # parameter -> truthiness the flag keeps
    unpinned: bool = False  # a pin statement in its body went
    live: set[str] = field(default_factory=set)  # flags a pin that stays sets here: their checks read it


_PARAMETRIZE = m.Call(
    func=m.Attribute(attr=m.Name("parametrize"), value=m.Attribute(attr=m.Name("mark")) | m.Name("mark")),
    args=[m.Arg(m.SimpleString(), keyword=None), m.Arg(m.List() | m.Tuple(), keyword=None)],
)


_TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_tests?\.py$|conftest\.py$)")


def is_test_file(rel: str) -> bool:
    """Whether a root-relative path is a test module (or a conftest.py) by pytest's conventions."""
    return _TEST_FILE.search(rel) is not None


_SET_UP = frozenset({"setUp", "setUpClass", "setUpTestData", "setup_method", "setup_class", "asyncSetUp"})
_FIXTURE = m.Name("fixture") | m.Attribute(attr=m.Name("fixture"))


def _calls_own_method(node: ast.AST, name: str) -> bool:
    """`self.name(...)`."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or node.func.attr != name:
        return False
    return isinstance(node.func.value, ast.Name) and node.func.value.id == "self"


def _methods_named(statements: Sequence[cst.BaseStatement], names: Container[str]) -> list[cst.FunctionDef]:
    return [s for s in statements if isinstance(s, cst.FunctionDef) and s.name.value in names]


def is_fixture(node: cst.FunctionDef) -> bool:
    """`@pytest.fixture`, `@pytest.fixture(...)` or `@fixture`: tests request it by its name."""
    return any(m.matches(d.decorator, _FIXTURE | m.Call(func=_FIXTURE)) for d in node.decorators)


def _parametrized(decorator: cst.Decorator) -> tuple[str, list[object]] | None:
    """(name, values) of `@pytest.mark.parametrize("name", [literals...])` with one argument name."""
    call = decorator.decorator
    if not m.matches(call, _PARAMETRIZE):
        return None
    assert isinstance(call, cst.Call)
    name = call.args[0].value.evaluated_value  # type: ignore[attr-defined]
    if not isinstance(name, str) or not name.strip().isidentifier():
        return None
    values = []
    for element in call.args[1].value.elements:  # type: ignore[attr-defined]
        known, value = _literal(element.value)
        if not known:
            return None
        values.append(value)
    return name.strip(), values


@dataclass
class _State:
    refs: dict[tuple[int, int, int, int], FlagRef] = field(default_factory=dict)
    truth: set[int] = field(default_factory=set)
    elifs: set[int] = field(default_factory=set)
    spliced: dict[int, cst.CSTNode] = field(default_factory=dict)
    after: dict[int, list[cst.EmptyLine]] = field(default_factory=dict)
    padding: dict[int, cst.CSTNode] = field(default_factory=dict)
    functions: list[_Function] = field(default_factory=list)
    decorated: list[_Function | _Class] = field(default_factory=list)  # the definitions being visited
    guarded: int = 0  # depth of try/with blocks around the current node
    constant_stores: bool = False  # some `name = <synthetic constant>` exists (inlining may apply)
    refold: bool = False  # new constants appeared after their surroundings were folded
    dropped_bindings: bool = False  # deleted code bound a name (the scope check must run)
    notes: list[Note] = field(default_factory=list)
    changed: bool = False
    fixtures: list[str] = field(default_factory=list)  # pytest fixtures removed
    released: list[tuple[str, str]] = field(default_factory=list)  # what pin statements that went bound
    arguments: list[tuple[str, str, str]] = field(default_factory=list)  # see Rewrite.arguments
    statements: list[int] = field(default_factory=list)  # the statements being visited, innermost last
    displaced: dict[int, list[str]] = field(default_factory=dict)  # statement -> comments to put above it
    tight: set[int] = field(default_factory=set)  # tests written right after `if(` / `while(`
    refusing: dict[int, FlagRef] = field(default_factory=dict)  # `D(K)(view)` that always refuses now


def _blank(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    return [line for line in lines if line.comment is None]


def _removed(result: object) -> bool:
    return (
        isinstance(result, cst.RemovalSentinel)
        or (isinstance(result, cst.FlattenSentinel) and not result.nodes)
        or (isinstance(result, cst.SimpleStatementLine) and not result.body)
    )


class _KeepBlankLines(cst.CSTTransformer):
    """When a statement goes, the blank lines above it move to the next statement of its block,
    so removing an import or a constant never glues two groups of code together.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._pending: list[list[cst.EmptyLine]] = []
        self._claims: dict[int, list[cst.EmptyLine]] = {}
        self._headers: set[int] = set()  # removed statements whose comments head the next one
        self._removed_ids: set[int] = set()  # statements removed
        self._function_bodies: set[int] = set()

    def docstring_gap(self) -> int | None:
        """Blank lines the module puts between a function's docstring and its code, or None."""
        return None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef):
            self._function_bodies.add(id(node.body))
        if isinstance(node, (cst.Module, cst.IndentedBlock)):
            self._pending.append([])
        elif isinstance(node, cst.BaseStatement) and self._pending and self._pending[-1]:
            self._claims[id(node)] = self._pending[-1]
            self._pending[-1] = []
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> object:
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, (cst.Module, cst.IndentedBlock)):
            self._pending.pop()
            if isinstance(original_node, cst.Module) and isinstance(result, cst.Module):
                return _no_new_blank_start(original_node, result)
            if isinstance(original_node, cst.IndentedBlock) and isinstance(result, cst.IndentedBlock):
                kept = _opening_kept(original_node.body, result.body)
                if id(original_node) in self._function_bodies:
                    kept = self._after_docstring(original_node.body, kept)
                return result if kept is result.body else result.with_changes(body=kept)
            return result
        if not isinstance(original_node, cst.BaseStatement):
            return result
        claimed = self._claims.pop(id(original_node), [])
        if _removed(result):
            self._removed_ids.add(id(original_node))
            if id(original_node) in self._headers and self._pending:
                self._pending[-1] = [*claimed, *original_node.leading_lines]  # to a next line that follows on
                return cst.RemoveFromParent()
            detached = _detached(original_node.leading_lines)
            if detached and self._pending:  # a comment a blank line sets apart heads what follows
                self._pending[-1] = [*(claimed if any(line.comment for line in claimed) else ()), *detached]
                return cst.RemoveFromParent()
            blanks = _blank(original_node.leading_lines) or claimed
            if self._pending and len(blanks) > len(self._pending[-1]):
                self._pending[-1] = blanks
            return cst.RemoveFromParent()
        if claimed:
            return self._prepend(result, claimed)
        return result

    def _after_docstring(
        self, before: Sequence[cst.BaseStatement], after: Sequence[cst.BaseStatement]
    ) -> Sequence[cst.BaseStatement]:
        """When the statement after a function's docstring went, the one that now follows it is
        spaced as the module spaces its other functions' docstrings from their code."""
        if len(before) < 2 or len(after) < 2 or not _is_docstring(before[0]) or id(before[1]) not in self._removed_ids:
            return after
        follower = after[1]
        count = _blank_prefix(follower.leading_lines)
        gap = self.docstring_gap()
        if gap is None or gap == count:
            return after
        lines = [*([cst.EmptyLine(indent=False)] * gap), *follower.leading_lines[count:]]
        return [after[0], follower.with_changes(leading_lines=lines), *after[2:]]

    def _prepend(self, result: object, blanks: list[cst.EmptyLine]) -> object:
        if isinstance(result, cst.FlattenSentinel):
            first, *rest = result.nodes
            return cst.FlattenSentinel([self._prepend(first, blanks), *rest])
        if isinstance(result, cst.BaseStatement) and not (
            result.leading_lines and result.leading_lines[0].comment is None
        ):
            return result.with_changes(leading_lines=[*blanks, *result.leading_lines])
        return result


def _detached(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The lines above a statement up to the last blank line before its own comments, when they
    hold a comment: a paragraph set apart from the statement (`# Feature toggles`) heads the group,
    not the statement, and stays when the statement goes."""
    attached = len(lines)
    while attached > 0 and lines[attached - 1].comment is not None:
        attached -= 1
    head = list(lines[:attached])
    return head if any(line.comment is not None for line in head) else []


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def docstring_gap(source: str) -> int | None:
    """The blank lines most functions of `source` leave between their docstring and their code
    (0 or 1), or None when the module has no such function or no majority."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    lines = source.splitlines()
    counts: collections.Counter[int] = collections.Counter()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or len(node.body) < 2:
            continue
        first = node.body[0]
        if not (
            isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
        ):
            continue
        end = first.end_lineno or first.lineno
        counts[1 if end < len(lines) and not lines[end].strip() else 0] += 1
    if counts[0] == counts[1]:
        return None
    return 0 if counts[0] > counts[1] else 1


def _no_new_blank_start(before: cst.Module, after: cst.Module) -> cst.Module:
    """A file whose first statement went must not start with the blank lines of the next one; a
    file whose every statement went (and that holds no comment) is empty, not a blank line."""
    if before.body and not after.body and not any(line.comment for line in (*after.header, *after.footer)):
        return after.with_changes(header=[], footer=[], has_trailing_newline=False)
    body = _opening_kept(before.body, after.body)
    return after if body is after.body else after.with_changes(body=body)


def _opening_kept(
    before: Sequence[cst.BaseStatement], after: Sequence[cst.BaseStatement]
) -> Sequence[cst.BaseStatement]:
    """`after` (a block's or module's statements once some went), opening without blank lines when
    `before` did: the blank lines of a new first statement separated it from one that is gone.
    """
    if not after or (before and _blank_prefix(before[0].leading_lines)):
        return after
    first = after[0]
    count = _blank_prefix(first.leading_lines)
    if not count:
        return after
    return [first.with_changes(leading_lines=first.leading_lines[count:]), *after[1:]]


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count


class _KeepConstants(_KeepBlankLines):
    """A transformer that carries the synthetic mark over to the copies LibCST makes of a node."""

    constants: _Constants

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> object:
        result = super().on_leave(original_node, updated_node)
        known, value = self.constants.get(original_node)
        if known and isinstance(result, cst.CSTNode) and result is not original_node:
            self.constants.adopt(result, value)
        return result


class _Retire(_KeepConstants):
    """Substitute retired flag references and fold what they make constant."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        path: str,
        refs: Sequence[FlagRef],
        values: Mapping[str, str | None],
        patterns: Mapping[str, Pattern],
        constants: _Constants,
        unsafe: bool,
        source: Callable[[], str] | None = None,
        reads: Iterable[Span] = (),
        named: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.path = path
        self.named = named  # route names something else in the project refers to
        self._retired_words: re.Pattern[str] | None = None
        self.source = source  # the whole module's text (the tree visited may stand in for parts)
        self._gap = functools.cache(lambda: docstring_gap(source()) if source is not None else None)
        # Where other flags are read (SDK checks of flags that stay): reads to drop when folded away.
        self.reads = {(s.line, s.column, s.end_line, s.end_column) for s in reads}
        self.values = values
        self.patterns = patterns
        self.constants = constants
        self.unsafe = unsafe
        self.state = _State()
        self.positions: Mapping[cst.CSTNode, CodeRange] | None = None
        self.untouched: set[int] = set()  # top-level statements that hold no reference: not entered
        for ref in refs:
            s = ref.span
            self.state.refs[(s.line, s.column, s.end_line, s.end_column)] = ref

    # -- helpers --

    def docstring_gap(self) -> int | None:
        return self._gap()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseStatement):
            self.state.statements.append(id(node))
        entered = super().on_visit(node)  # the visit_ handler runs: its leave_ pair expects it
        return entered and id(node) not in self.untouched  # nothing inside can change

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> object:
        result = super().on_leave(original_node, updated_node)
        if id(original_node) in self.state.tight:
            return self._bracketed(original_node, result)
        if not isinstance(original_node, cst.BaseStatement):
            return result
        self.state.statements.pop()
        comments = self.state.displaced.pop(id(original_node), [])
        if not comments:
            return result
        if isinstance(result, cst.BaseStatement):  # (one the fold removed or replaced takes its comments along)
            lines = [cst.EmptyLine(comment=cst.Comment(c)) for c in comments]
            return result.with_changes(leading_lines=[*result.leading_lines, *lines])
        return result

    def _bracketed(self, original: cst.CSTNode, result: object) -> object:
        """A test written `if(...)` keeps its brackets whatever replaced it: the keyword needs a
        space or a bracket after it."""
        lpar = getattr(original, "lpar", None)
        if not lpar or not isinstance(result, cst.BaseExpression) or result.lpar:
            return result
        known, value = self.constants.get(result)
        kept = result.with_changes(lpar=lpar, rpar=getattr(original, "rpar", ()))
        return self.constants.adopt(kept, value) if known else kept

    def _displace(self, *dropped: cst.CSTNode) -> None:
        """Comments inside the parts of an expression a fold drops go above its statement."""
        found = [c.value for part in dropped for c in m.findall(part, m.Comment())]  # type: ignore[attr-defined]
        if found and self.state.statements:
            self.state.displaced.setdefault(self.state.statements[-1], []).extend(found)

    def _position(self, node: cst.CSTNode) -> CodeRange:
        """Where a node is: from positions computed for the touched statements alone when given,
        else from the metadata wrapper. KeyError for a node it does not know.
        """
        if self.positions is not None:
            return self.positions[node]
        return self.get_metadata(PositionProvider, node)

    def _ref(self, node: cst.CSTNode) -> FlagRef | None:
        try:
            where = self._position(node)
        except KeyError:
            return None
        span = (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)
        ref = self.state.refs.get(span)
        return ref if ref is not None and ref.key in self.values else None

    def _line(self, node: cst.CSTNode) -> int:
        try:
            return self._position(node).start.line
        except KeyError:
            return 0

    def _note(self, node: cst.CSTNode, key: str | None, kind: str, message: str) -> None:
        self.state.notes.append(Note(self.path, self._line(node), key, kind, message))

    def _value(self, ref: FlagRef) -> object:
        """The retired flag's value; an "off" flag (None in `values`) is False to every check."""
        literal = self.values[ref.key or ""]
        return False if literal is None else ast.literal_eval(literal)

    def _truth(self, node: cst.CSTNode) -> None:
        self.state.truth.add(id(node))

    def _changed(self) -> None:
        self.state.changed = True

    def _replace(self, old: cst.BaseExpression, new: cst.BaseExpression) -> cst.BaseExpression:
        """Put `new` where `old` was, keeping grouping parentheses only where they can matter."""
        if isinstance(new, _ATOMS):
            if new.lpar:
                kept = self.constants.get(new)
                new = new.with_changes(lpar=(), rpar=())
                if kept[0]:
                    self.constants.adopt(new, kept[1])
            return new
        if old.lpar and not new.lpar:
            kept = self.constants.get(new)
            new = new.with_changes(lpar=old.lpar, rpar=old.rpar)
            if kept[0]:
                self.constants.adopt(new, kept[1])
        return new

    # -- truth contexts (top-down) --

    def visit_If(self, node: cst.If) -> None:
        self._truth(node.test)
        if isinstance(node.orelse, cst.If):
            self.state.elifs.add(id(node.orelse))
        if m.matches(node.whitespace_before_test, m.SimpleWhitespace("")):
            self.state.tight.add(id(node.test))

    def visit_While(self, node: cst.While) -> None:
        self._truth(node.test)
        if m.matches(node.whitespace_after_while, m.SimpleWhitespace("")):
            self.state.tight.add(id(node.test))

    def visit_Assert(self, node: cst.Assert) -> None:
        self._truth(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._truth(node.test)

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self._truth(node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._truth(node.expression)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if id(node) in self.state.truth:
            self._truth(node.left)
            self._truth(node.right)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frame = _Function(node)
        for decorator in node.decorators:
            found = _parametrized(decorator)
            if found is not None:
                frame.params[found[0]] = found[1]
        self.state.functions.append(frame)
        self.state.decorated.append(frame)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.state.decorated.append(_Class(node))

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef | cst.RemovalSentinel:
        frame = self.state.decorated.pop()
        if frame.callers:
            updated_node = self._without_callers(original_node, updated_node, frame.callers)
        if frame.doom is None:
            return updated_node
        return self._doomed(original_node, updated_node, frame.doom)

    def _without_callers(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef, callers: Mapping[str, str]
    ) -> cst.ClassDef:
        """The class less the test methods that called a helper removed with its flag."""
        for method in _methods_named(original_node.body.body, callers):
            self._note(method, None, "unsafe-applied", f"removed `{method.name.value}`: {callers[method.name.value]}")
        body = updated_node.body
        gone = _methods_named(body.body, callers)
        self._dropped(*gone)
        kept = [statement for statement in body.body if statement not in gone]
        kept = list(_opening_kept(body.body, kept)) if kept else [self._pad()]
        return updated_node.with_changes(body=body.with_changes(body=kept))

    def _doomed(
        self, original_node: cst.FunctionDef | cst.ClassDef, updated_node: cst.FunctionDef | cst.ClassDef, doom: str
    ) -> cst.FunctionDef | cst.ClassDef | cst.RemovalSentinel:
        """A definition the retired flag made useless goes with unsafe fixes; else it is listed."""
        name = updated_node.name.value
        word = re.compile(rf"(?<!def )(?<!class )\b{re.escape(name)}\b")  # uses, not other definitions
        own = len(word.findall(cst.Module([]).code_for_node(original_node)))
        elsewhere = len(word.findall(self.source())) - own if self.source is not None else 0
        fixture = isinstance(updated_node, cst.FunctionDef) and is_fixture(updated_node)
        callers = None
        if elsewhere and isinstance(original_node, cst.FunctionDef):
            callers = self._calling_tests(original_node, elsewhere)
        # a fixture is named by the tests that request it, a test helper by the tests that call it:
        # they go with it, or (when it is still named anywhere in the project) nothing does (clean)
        if elsewhere and not fixture and not callers:
            self._note(original_node, None, "review", f"`{name}` is kept, named elsewhere in the module: {doom}")
            return updated_node
        if not self._offer(original_node, None, f"`{name}`", doom):
            return updated_node
        self._dropped(updated_node)
        if fixture or callers:
            self.state.fixtures.append(name)
        if callers:
            owner = self.state.decorated[-1]
            assert isinstance(owner, _Class)
            owner.callers.update((test, f"it calls `{name}`, removed with it: {doom}") for test in callers)
        return cst.RemoveFromParent()

    def _calling_tests(self, helper: cst.FunctionDef, mentions: int) -> list[str] | None:
        """The test methods of the helper's class that call it (`self.helper(...)`), when those
        calls are the `mentions` the module makes of it beside its definition; else None. Read from
        the whole source: the class being rewritten may hold stand-ins for methods without a flag
        reference.
        """
        name = helper.name.value
        owner = self.state.decorated[-1] if self.state.decorated else None
        if not isinstance(owner, _Class) or self.source is None or name.startswith("test") or name in _SET_UP:
            return None
        source = self.source()
        try:
            module = ast.parse(source)
        except SyntaxError:
            return None
        callers: list[str] = []
        for klass in ast.walk(module):
            if not isinstance(klass, ast.ClassDef) or klass.name != owner.node.name.value:
                continue
            for method in klass.body:
                if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or method.name == name:
                    continue
                calls = sum(1 for node in ast.walk(method) if _calls_own_method(node, name))
                if calls and not method.name.startswith("test"):
                    return None
                callers.extend([method.name] * calls)
        return sorted(set(callers)) if callers and len(callers) == mentions else None

    def _offer(self, node: cst.CSTNode, key: str | None, what: str, why: str) -> bool:
        """An unsafe fix that removes `what`: applied (and noted) with unsafe fixes, otherwise listed
        as skipped. Whether to apply it."""
        if not self.unsafe:
            self._note(node, key, "unsafe-skipped", f"would remove {what} (--unsafe-fixes): {why}")
            return False
        self._changed()
        self._note(node, key, "unsafe-applied", f"removed {what}: {why}")
        return True

    def visit_Try(self, node: cst.Try) -> None:
        self.state.guarded += 1

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.state.guarded += 1

    def visit_With(self, node: cst.With) -> None:
        self.state.guarded += 1
        for item in node.items:
            ref = self._ref(item.item)
            if ref is not None and ref.kind is RefKind.TEST_OVERRIDE and not self._pinned_matches(ref):
                self._pin_stays(ref)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        self.state.guarded -= 1
        return updated_node

    def leave_TryStar(self, original_node: cst.TryStar, updated_node: cst.TryStar) -> cst.TryStar:
        self.state.guarded -= 1
        return updated_node

    # -- substitution --

    def _substitute(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        ref = self._ref(original)
        if ref is None or ref.kind in (RefKind.DECORATOR, RefKind.TEST_OVERRIDE, RefKind.PREDICATE):
            return updated
        pattern = self.patterns.get(ref.pattern)
        if pattern is not None and not pattern.substitutable:
            self._note(
                original, ref.key, "review", f"`{ref.pattern}` returns an object, not the flag's value: rewrite by hand"
            )
            return updated
        if any(ref.key in frame.live for frame in self.state.functions):  # nested functions too
            self._note(original, ref.key, "review", f"flag {ref.key!r} is pinned above in this test: its check stays")
            return updated
        if ref.kind is RefKind.CHECK:
            self._changed()
            value = bool(self._value(ref))
            return self.constants.boolean(not value if pattern is not None and pattern.negated else value)
        literal = self.values[ref.key or ""]
        if literal is not None:
            self._changed()
            return self.constants.make(literal)
        if ref.default is None:
            self._note(original, ref.key, "review", f"flag {ref.key!r} is off but `{ref.pattern}` has no default here")
            return updated
        self._changed()
        default = cst.parse_expression(ref.default)
        known, value = _literal(default)
        return self.constants.adopt(default, value) if known else default  # the SDK returns its default

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        """Unsafe fix: an entry whose value was just the flag check (`"features": {"x": check}`)
        only carried the flag to whatever reads the dict, often a template or JavaScript.
        """
        keep = [
            self._keep_entry(element, new)
            for element, new in zip(original_node.elements, updated_node.elements, strict=True)
        ]
        return shrink(updated_node, keep)

    def _keep_entry(self, element: cst.BaseDictElement, new: cst.BaseDictElement) -> bool:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return True
        return self._keep_carrier(element, element.key.value, element.value, new)

    def _dict_keywords(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """`dict(a=..., x=check)` is a dict display spelt as a call: its keywords are entries."""
        if not isinstance(updated.func, cst.Name) or updated.func.value != "dict" or self._rebinds("dict"):
            return updated
        keep = [
            arg.keyword is None or self._keep_carrier(arg, arg.keyword.value, arg.value, new)
            for arg, new in zip(original.args, updated.args, strict=True)
        ]
        return updated if all(keep) else updated.with_changes(args=kept_elements(updated.args, keep))

    def _keep_carrier(
        self, element: cst.DictElement | cst.Arg, label: str, value: cst.BaseExpression, new: cst.CSTNode
    ) -> bool:
        """An entry whose value was a flag check, or a local that held one (the fold made it True or
        False), carried the flag to the dict's readers; an entry computed from a check keeps its
        folded value."""
        ref = self._ref(value)
        if ref is not None:
            if ref.kind is not RefKind.CHECK:
                return True
            pattern = self.patterns.get(ref.pattern)
            if pattern is not None and not pattern.substitutable:
                return True
            flag = f"flag {ref.key!r}"
        else:
            folded = getattr(new, "value", None)
            known, constant = self.constants.get(folded) if isinstance(folded, cst.BaseExpression) else (False, None)
            if not known or not isinstance(constant, bool) or id(value) not in self.constants.inlined:
                return True
            flag = "a retired flag"
        what = f"entry {label}, which only carried {flag} to its readers"
        key = ref.key if ref is not None else None
        if self.unsafe:
            self._changed()
            self._note(element, key, "unsafe-applied", f"removed {what}; they must stop reading it")
            return False
        self._note(element, key, "unsafe-skipped", f"would remove {what} (--unsafe-fixes)")
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        applied = self._applied(original_node, updated_node)
        if applied is not None:
            return applied
        found = self._substitute(original_node, updated_node)
        if found is not updated_node:
            return found
        updated_node = self._dict_keywords(original_node, self._without_routes(original_node, updated_node))
        self._constant_arguments(updated_node)
        return self._fold_builtin(updated_node)

    def _applied(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression | None:
        """A flag decorator applied by a call, `D(K)(view)` (a URL conf, `method_decorator`): where
        the flag keeps the path it is just `view`; else the view refuses every request, and the
        route that serves it may go (`_without_routes`)."""
        ref = self._ref(original.func)
        if ref is None or ref.kind is not RefKind.DECORATOR:
            return None
        if len(updated.args) != 1 or updated.args[0].keyword is not None or updated.args[0].star:
            return None
        if bool(self._value(ref)):
            self._changed()
            self._displace(updated.func)
            return self._replace(updated, updated.args[0].value)
        self.state.refusing[id(original)] = ref
        return updated

    def _dead_route(self, element: cst.CSTNode) -> tuple[FlagRef, str | None] | None:
        """(flag, route name) of a Django route (`path`, `re_path`, `url`) whose view is a flag
        decorator applied to a view that now refuses every request."""
        route = getattr(element, "value", None)
        if not isinstance(route, cst.Call) or last_name(route.func) not in _ROUTES:
            return None
        views = [a.value for i, a in enumerate(route.args) if (a.keyword is None and i == 1) or _keyword(a, "view")]
        ref = self.state.refusing.get(id(views[0])) if views else None
        if ref is None:
            return None
        names = [a.value for a in route.args if _keyword(a, "name")]
        name = names[0].evaluated_value if names and isinstance(names[0], cst.SimpleString) else None
        return ref, name if isinstance(name, str) else None

    def _without_routes(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if not self.state.refusing:
            return updated
        keep = [self._keep_route(arg) for arg in original.args]
        return updated if all(keep) else updated.with_changes(args=kept_elements(updated.args, keep))

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.BaseExpression:
        if not self.state.refusing:
            return updated_node
        return shrink(updated_node, [self._keep_route(e) for e in original_node.elements])

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.BaseExpression:
        if not self.state.refusing:
            return updated_node
        return shrink(updated_node, [self._keep_route(e) for e in original_node.elements])

    def _keep_route(self, element: cst.CSTNode) -> bool:
        """Unsafe fix: a route whose view refuses every request now serves nothing; it goes unless
        its name is used (`reverse`, `{% url %}`), in this module or anywhere else in the project."""
        found = self._dead_route(element)
        if found is None:
            return True
        ref, name = found
        for arg in element.value.args:  # type: ignore[attr-defined]
            self.state.refusing.pop(id(arg.value), None)
        label = f"the route {name!r}" if name else "a route"
        why = f"its view is only served while flag {ref.key!r} is on"
        own = _quoted(name, cst.Module([]).code_for_node(element)) if name is not None else 0
        if name is not None and (name in self.named or _quoted(name, self.source() if self.source else "") > own):
            self._note(element, ref.key, "review", f"{label} is kept, its name is used elsewhere: {why}")
            return True
        return not self._offer(element, ref.key, label, why)

    def _constant_arguments(self, call: cst.Call) -> None:
        """Remember the arguments of a call by name that the fold made constant."""
        name = last_name(call.func)
        if name is None:
            return
        for position, arg in enumerate(call.args):
            known, value = self.constants.get(arg.value)
            if known and not arg.star:
                where = arg.keyword.value if arg.keyword is not None else f"#{position}"
                self.state.arguments.append((name, where, repr(value)))

    def _fold_builtin(self, call: cst.Call) -> cst.BaseExpression:
        """`bool(C)`, and `all([...])` / `any([...])` over a literal list, tuple or set holding
        constants the fold made: neutral constants drop out, a decisive one decides when the other
        elements are pure. Only builtins the module never rebinds.
        """
        func = call.func
        if not isinstance(func, cst.Name) or func.value not in _FOLDED_BUILTINS or len(call.args) != 1:
            return call
        arg = call.args[0]
        if arg.keyword is not None or arg.star:
            return call
        if func.value == "bool":
            known, value = self.constants.get(arg.value)
            if not known or self._rebinds("bool"):
                return call
            return self._replace(call, self.constants.boolean(bool(value)))
        items = arg.value
        if not isinstance(items, (cst.List, cst.Tuple, cst.Set)) or any(
            isinstance(e, cst.StarredElement) for e in items.elements
        ):
            return call
        known = [self.constants.get(e.value) for e in items.elements]
        if not any(k for k, _ in known) or self._rebinds(func.value):
            return call
        is_all = func.value == "all"
        if any(k and bool(v) != is_all for k, v in known):  # a False in all(), a True in any()
            others = [e.value for e, (k, _) in zip(items.elements, known, strict=True) if not k]
            if all(_pure(o) for o in others):
                return self._replace(call, self.constants.boolean(not is_all))
            return call
        keep = [not k for k, _ in known]
        if not any(keep):
            return self._replace(call, self.constants.boolean(is_all))
        return call.with_changes(args=[arg.with_changes(value=shrink(items, keep))])

    def _rebinds(self, name: str) -> bool:
        """Whether the module binds `name` anywhere (then it may not be the builtin)."""
        if self.source is None:
            return True
        word = re.escape(name)
        binding = (
            rf"\b(?:def|class|as|import|for|lambda|global|nonlocal)\s+{word}\b"
            rf"|[(,]\s*\*{{0,2}}{word}\s*[,)=:]|^\s*{word}\s*[:=](?!=)|\b{word}\s*:="
        )
        return re.search(binding, self.source(), re.M) is not None

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)

    # -- expression folding --

    def leave_UnaryOperation(
        self, original_node: cst.UnaryOperation, updated_node: cst.UnaryOperation
    ) -> cst.BaseExpression:
        known, value = self.constants.get(updated_node.expression)
        if known and isinstance(updated_node.operator, cst.Not):
            return self._replace(updated_node, self.constants.boolean(not value))
        return updated_node

    def leave_BooleanOperation(
        self, original_node: cst.BooleanOperation, updated_node: cst.BooleanOperation
    ) -> cst.BaseExpression:
        left, right = updated_node.left, updated_node.right
        left_known, left_value = self.constants.get(left)
        right_known, right_value = self.constants.get(right)
        is_and = isinstance(updated_node.operator, cst.And)
        if left_known:
            # `C and x` is x when C is truthy, else C; `C or x` is C when C is truthy, else x.
            decisive = not left_value if is_and else bool(left_value)
            self._displace(updated_node.operator, right if decisive else left)
            return self._replace(updated_node, left if decisive else right)
        if right_known and (id(original_node) in self.state.truth or self._boolean(left)):
            # In a truth context only truthiness matters, and a bool is its own truth: `x and True`
            # ~ x, `x or False` ~ x; `x and False` ~ False and `x or True` ~ True, when dropping x
            # drops no side effect.
            neutral = bool(right_value) if is_and else not right_value
            if neutral:
                self._displace(updated_node.operator, right)
                return self._replace(updated_node, left)
            if self._droppable(left) or (self._reads_flag(original_node.left) and left.deep_equals(original_node.left)):
                self._displace(left, updated_node.operator)
                return self._replace(updated_node, right)
        return updated_node

    def _builtin_test(self, node: cst.BaseExpression) -> bool:
        """`isinstance(a, B)`, `hasattr(a, "b")`, `callable(a)`, `issubclass(A, B)` with plain
        arguments, the builtins themselves (the module never rebinds them)."""
        return (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Name)
            and node.func.value in _PREDICATES
            and all(not arg.star and arg.keyword is None and _pure(arg.value) for arg in node.args)
            and not self._rebinds(node.func.value)
        )

    def _droppable(self, node: cst.BaseExpression) -> bool:
        """Whether evaluating `node` may be left out: plain values, comparisons of plain values,
        the predicate builtins over them, and `not`/`and`/`or` of such."""
        if _pure(node) or self._builtin_test(node):
            return True
        if isinstance(node, cst.Comparison):
            return _pure(node.left) and all(_pure(c.comparator) for c in node.comparisons)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return self._droppable(node.expression)
        if isinstance(node, cst.BooleanOperation):
            return self._droppable(node.left) and self._droppable(node.right)
        return False

    def _boolean(self, node: cst.BaseExpression) -> bool:
        """Whether `node` always evaluates to a bool: a comparison, `not x`, a predicate builtin,
        or `and`/`or` of such."""
        if isinstance(node, cst.Comparison) or self._builtin_test(node):
            return True
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return True
        if isinstance(node, cst.BooleanOperation):
            return self._boolean(node.left) and self._boolean(node.right)
        return False

    def _reads_flag(self, node: cst.CSTNode) -> bool:
        """Whether `node` is a check of another flag with plain arguments: a read that a fold may
        drop (`other_check(K2) and False` is False; the SDK no longer sees that evaluation)."""
        if isinstance(node, cst.Call) and not all(_pure(arg.value) and not arg.star for arg in node.args):
            return False
        if isinstance(node, cst.Subscript) and not all(
            isinstance(e.slice, cst.Index) and _pure(e.slice.value) for e in node.slice
        ):
            return False
        try:
            where = self._position(node)
        except KeyError:
            return False
        return (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1) in self.reads

    def leave_Comparison(self, original_node: cst.Comparison, updated_node: cst.Comparison) -> cst.BaseExpression:
        found = self._substitute(original_node, updated_node)  # `"k" in features` (a membership pattern)
        if found is not updated_node:
            return found
        operands = [updated_node.left, *(c.comparator for c in updated_node.comparisons)]
        if not any(self.constants.get(o)[0] for o in operands):
            return updated_node
        values = []
        for operand in operands:
            known, value = self.constants.get(operand)
            if not known:
                known, value = _literal(operand)
            if not known:
                return updated_node
            values.append(value)
        result = True
        for (left, right), target in zip(itertools.pairwise(values), updated_node.comparisons, strict=True):
            compare = _COMPARE.get(type(target.operator))
            if compare is None:
                return updated_node
            try:
                result = result and bool(compare(left, right))
            except TypeError:
                return updated_node
        return self._replace(updated_node, self.constants.boolean(result))

    def leave_IfExp(self, original_node: cst.IfExp, updated_node: cst.IfExp) -> cst.BaseExpression:
        known, value = self.constants.get(updated_node.test)
        if not known:
            return updated_node
        return self._replace(updated_node, updated_node.body if value else updated_node.orelse)

    # -- statements --

    def _statements(self, block: cst.BaseSuite, lead: Sequence[cst.EmptyLine]) -> list[cst.BaseStatement]:
        """A branch's statements, ready to stand in the enclosing block, with its comments kept."""
        if isinstance(block, cst.SimpleStatementSuite):
            statements: list[cst.BaseStatement] = [cst.SimpleStatementLine(body=block.body)]
            comment = block.trailing_whitespace.comment
            footer: list[cst.EmptyLine] = []
        else:
            assert isinstance(block, cst.IndentedBlock)
            statements = [s for s in block.body if id(s) not in self.state.padding]
            comment = block.header.comment
            footer = list(block.footer) if any(line.comment for line in block.footer) else []
        if not statements:
            return []
        lines = list(lead)
        if comment is not None:
            lines.append(cst.EmptyLine(comment=comment))
        trailing = [*self.state.after.pop(id(statements[-1]), []), *footer]
        statements[0] = statements[0].with_changes(leading_lines=[*lines, *statements[0].leading_lines])
        if trailing:
            self.state.after[id(statements[-1])] = trailing
        for statement in statements:
            self.state.spliced[id(statement)] = statement
        return statements

    def _dropped(self, *parts: cst.CSTNode | None) -> None:
        """Record whether code being deleted binds names: deleting a binding can change a scope."""
        for part in parts:
            if part is not None and not self.state.dropped_bindings:
                counter = _BindingCounter()
                part.visit(counter)
                self.state.dropped_bindings = bool(counter.found)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign | cst.RemovalSentinel:
        ref = self._ref(original_node.value)
        if ref is not None and ref.kind is RefKind.TEST_OVERRIDE and self._pin_assignment(original_node, ref):
            return cst.RemoveFromParent()
        pin = self._ref(original_node.targets[0].target) if len(original_node.targets) == 1 else None
        if pin is not None and pin.kind is RefKind.TEST_OVERRIDE and self._pin_goes(original_node, pin):
            return cst.RemoveFromParent()  # `settings.FEATURES[K] = True`
        if self.constants.get(updated_node.value)[0]:
            self.state.constant_stores = True
        return updated_node

    def _flatten(self, statements: list[cst.BaseStatement]) -> cst.FlattenSentinel | cst.RemovalSentinel:
        self._changed()
        return cst.FlattenSentinel(statements) if statements else cst.RemoveFromParent()

    def _resolve_chain(self, node: cst.If) -> cst.If | cst.Else | None:
        """Drop constant tests from the front of an if/elif chain: the live branch, the rest, or nothing."""
        current: cst.If | cst.Else | None = node
        while isinstance(current, cst.If):
            known, value = self.constants.get(current.test)
            if not known:
                return current
            self._changed()
            if value:
                self._dropped(current.orelse)
                return cst.Else(body=current.body, leading_lines=current.leading_lines)
            self._dropped(current.body)
            current = current.orelse
        return current

    def leave_If(
        self, original_node: cst.If, updated_node: cst.If
    ) -> cst.BaseStatement | cst.FlattenSentinel | cst.RemovalSentinel:
        node = updated_node
        if isinstance(node.orelse, cst.If):  # an elif whose test became constant
            rest = self._resolve_chain(node.orelse)
            if rest is not node.orelse:
                node = node.with_changes(orelse=rest)
        if isinstance(node.orelse, cst.Else) and self._only_padding(node.orelse.body):
            self._dropped(node.orelse)
            node = node.with_changes(orelse=None)
            self._changed()
        if id(original_node) in self.state.elifs:
            return node  # the enclosing if resolves its elif chain
        head = self._resolve_chain(node)
        if head is node:
            return node
        if head is None:
            return self._flatten([])
        if isinstance(head, cst.Else):
            # Keep the lines above the if (blank lines and comments, but not a comment about the
            # retired flag); of the lines above a live else or elif, only the comments.
            lead = self._without_flag_comments(node.leading_lines)
            if head.body is not node.body:
                lead += [line for line in head.leading_lines if line.comment is not None]
            return self._flatten(self._statements(head.body, lead))
        return head.with_changes(leading_lines=node.leading_lines)

    def _without_flag_comments(self, lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
        """The lines above a check that resolved without the comment paragraphs (runs of comment
        lines) whose first line names a retired flag, by its key or its key constant: they were
        about the check (`# remove flag k once it is on everywhere`), and the check is gone."""
        kept: list[cst.EmptyLine] = []
        start = 0
        while start < len(lines):
            end = start
            while end < len(lines) and lines[end].comment is not None:
                end += 1
            if end == start:
                kept.append(lines[start])
                start += 1
                continue
            first = lines[start].comment
            if first is None or not self._names_retired(first.value):
                kept.extend(lines[start:end])
            else:
                self._changed()
            start = end
        return kept

    def _names_retired(self, text: str) -> bool:
        if self._retired_words is None:
            keys = [re.escape(k) for k in self.values if k]
            symbols = {r.key_symbol.rsplit(".", 1)[-1] for r in self.state.refs.values() if r.key_symbol}
            words = [rf"(?<![\w-]){k}(?![\w-])" for k in keys] + [rf"\b{re.escape(n)}\b" for n in symbols]
            self._retired_words = re.compile("|".join(words)) if words else re.compile(r"(?!)")
        return self._retired_words.search(text) is not None

    def leave_While(
        self, original_node: cst.While, updated_node: cst.While
    ) -> cst.BaseStatement | cst.FlattenSentinel | cst.RemovalSentinel:
        known, value = self.constants.get(updated_node.test)
        if not known or value:
            return updated_node
        self._dropped(updated_node.body)
        orelse = updated_node.orelse
        return self._flatten(self._statements(orelse.body, updated_node.leading_lines) if orelse else [])

    def leave_Assert(
        self, original_node: cst.Assert, updated_node: cst.Assert
    ) -> cst.BaseSmallStatement | cst.RemovalSentinel:
        known, value = self.constants.get(updated_node.test)
        if known and value:
            self._changed()
            return cst.RemoveFromParent()
        return updated_node

    def leave_Expr(
        self, original_node: cst.Expr, updated_node: cst.Expr
    ) -> cst.BaseSmallStatement | cst.RemovalSentinel:
        if self.constants.get(updated_node.value)[0]:
            self._changed()
            return cst.RemoveFromParent()
        ref = self._ref(original_node.value)
        if ref is not None and ref.kind is RefKind.TEST_OVERRIDE and self._pin_goes(original_node, ref):
            return cst.RemoveFromParent()  # `pin_flag(K)` as a statement
        return updated_node

    def _pin_goes(self, node: cst.CSTNode, ref: FlagRef, removable: Callable[[], bool] = lambda: True) -> bool:
        """Whether a statement that pins a retired flag goes: a pin of the kept value does; one of
        the discarded value dooms its test, except in a class's set-up (`setUp`), where it pins the
        flag for every test of the class: that pin alone goes, with unsafe fixes. `removable` says
        whether the statement itself may go (asked only when it would).
        """
        match = self._pinned_matches(ref)
        goes = self._pin_statement_goes(node, ref, match, removable)
        if not goes and not match:  # a pin of the kept value that stays pins what the code now does
            self._pin_stays(ref)
        return goes

    def _pin_statement_goes(
        self, node: cst.CSTNode, ref: FlagRef, match: bool | None, removable: Callable[[], bool]
    ) -> bool:
        frame = self.state.functions[-1] if self.state.functions else None
        if match is None:
            self._note(node, ref.key, "review", f"test override of {ref.key!r} pins a non-literal value")
            return False
        if match:
            if not removable():
                return False
            self._changed()
            if frame is not None:
                frame.unpinned = True
            return True
        if frame is None:
            return False
        method = frame.node.name.value
        if self._dooms(frame, ref):
            frame.doom = f"it tests flag {ref.key!r} in its discarded state"
            return False
        if not removable():
            return False
        if method not in _SET_UP:
            state = "on" if self._value(ref) else "off"
            why = (
                f"`{method}` set flag {ref.key!r} to its discarded value among other pins: "
                f"it now runs with the flag {state}, check what it asserts"
            )
            return self._unpin(node, ref, frame, "the pin", why)
        why = f"it pins flag {ref.key!r} to its discarded value for every test of the class (they now run without it)"
        return self._unpin(node, ref, frame, f"the pin in `{method}`", why)

    def _dooms(self, frame: _Function, ref: FlagRef) -> bool:
        """Whether a pin of the discarded value makes its function a test of the discarded state:
        not in a class's set-up (it pins for every test), nor among pins of other flags (a state)."""
        return frame.node.name.value not in _SET_UP and not self._among_other_pins(frame.node, ref)

    def _pin_stays(self, ref: FlagRef) -> None:
        """A pin that stays sets the flag for the rest of its test: the test's own checks of the flag
        (`settings.FEATURES[K]` read back) see the pinned value, not the retired one."""
        if self.state.functions and ref.key is not None:
            self.state.functions[-1].live.add(ref.key)

    def _unpin(self, node: cst.CSTNode, ref: FlagRef, frame: _Function, what: str, why: str) -> bool:
        """Unsafe fix: remove a pin of the discarded value alone (the test stays, now running with
        the kept value); listed when unsafe fixes are off."""
        if not self._offer(node, ref.key, what, why):
            return False
        frame.unpinned = True
        return True

    def _among_other_pins(self, function: cst.FunctionDef, ref: FlagRef) -> bool:
        """Whether a test pins other flags the same way as well (`settings.FEATURES[A] = False`
        beside `settings.FEATURES[K] = False`): it sets up a state, it does not test flag K."""
        pattern = self.patterns.get(ref.pattern)
        if pattern is None:
            return False
        try:
            where = self._position(function)
        except KeyError:
            return False
        inside = range(where.start.line, where.end.line + 1)
        retired = sum(1 for r in self.state.refs.values() if r.pattern == ref.pattern and r.span.line in inside)
        uses = re.findall(rf"\b{re.escape(pattern.token)}\s*[\[(]", cst.Module([]).code_for_node(function))
        return len(uses) > retired

    def _pin_assignment(self, node: cst.Assign, ref: FlagRef) -> bool:
        """Whether `row, made = Flag.objects.update_or_create(name=K, ...)` goes (as `_pin_goes`
        says), given that what it binds is not used but by `row.delete()` (which goes with it).
        """
        module = self.source() if self.source is not None else ""
        in_function = bool(self.state.functions)
        function = functools.cache(lambda: cst.Module([]).code_for_node(self.state.functions[-1].node))
        bound: list[tuple[str, bool]] = []  # (name, whether its uses are the module's, not its function's)
        for target in node.targets:
            parts = target.target.elements if isinstance(target.target, cst.Tuple) else [target.target]
            for part in parts:
                value = part.value if isinstance(part, cst.Element) else part
                if isinstance(value, cst.Name):
                    bound.append((value.value, not in_function))
                elif m.matches(value, m.Attribute(value=m.Name("self"), attr=m.Name())):
                    bound.append((value.attr.value, True))  # type: ignore[attr-defined]
                else:
                    return False

        def unused() -> bool:
            for name, in_module in bound:
                text = module if in_module else function()
                word = len(re.findall(rf"\b{re.escape(name)}\b", text))
                deletes = len(re.findall(rf"\b{re.escape(name)}\s*\.\s*delete\(\s*\)", text))
                if word != 1 + deletes:
                    self._note(node, ref.key, "review", f"the pin of {ref.key!r} is kept: `{name}` is used after it")
                    return False
            return True

        if not self._pin_goes(node, ref, unused):
            return False
        scope = ".".join(frame.node.name.value for frame in self.state.decorated)
        for name, in_module in bound:
            if re.search(rf"\b{re.escape(name)}\s*\.\s*delete", module if in_module else function()):
                self.state.released.append(("" if in_module else scope, name))
        return True

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        return updated_node if updated_node.body else cst.RemoveFromParent()

    # -- decorators and test overrides --

    def _pinned_matches(self, ref: FlagRef) -> bool | None:
        frame = self.state.functions[-1] if self.state.functions else None
        if frame is not None and ref.pinned in frame.params:
            frame.pinned[ref.pinned] = bool(self._value(ref))  # a parametrized test: keep the live value
            return True
        try:
            pinned = ast.literal_eval(ref.pinned) if ref.pinned is not None else None
        except (ValueError, SyntaxError):
            return None
        return bool(pinned) == bool(self._value(ref))

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator | cst.RemovalSentinel:
        ref = self._ref(original_node.decorator) or self._method_decorator(original_node.decorator)
        if ref is None:
            return updated_node
        if ref.kind is RefKind.PREDICATE:
            return self._predicate(original_node, updated_node, ref)
        if ref.kind is RefKind.DECORATOR:
            keep_path = bool(self._value(ref))
            reason = f"it is only reachable while flag {ref.key!r} is on"
        elif ref.kind is RefKind.TEST_OVERRIDE:
            match = self._pinned_matches(ref)
            if not match:
                self._pin_stays(ref)
            if match is None:
                self._note(original_node, ref.key, "review", f"test override of {ref.key!r} pins a non-literal value")
                return updated_node
            keep_path = match
            reason = f"it tests flag {ref.key!r} in its discarded state"
        else:
            return updated_node
        if keep_path:
            self._changed()
            return cst.RemoveFromParent()
        if self.state.decorated:  # the decorated function or class
            self.state.decorated[-1].doom = reason
        return updated_node

    def _method_decorator(self, decorator: cst.BaseExpression) -> FlagRef | None:
        """The flag decorator Django's `@method_decorator(D(K), ...)` puts on a method (or, with
        `name=`, on a class's method): it gates the definition as `@D(K)` would."""
        if not isinstance(decorator, cst.Call) or last_name(decorator.func) != "method_decorator":
            return None
        if not decorator.args or decorator.args[0].keyword is not None:
            return None
        ref = self._ref(decorator.args[0].value)
        return ref if ref is not None and ref.kind is RefKind.DECORATOR else None

    def _predicate(
        self, original_node: cst.Decorator, updated_node: cst.Decorator, ref: FlagRef
    ) -> cst.Decorator | cst.RemovalSentinel:
        """`@view_config(..., feature="k")`: once k is fixed the keyword either always holds (it goes)
        or never does: the registration never applies, so it goes when another decorator of the same
        call remains, and otherwise the definition is useless (an unsafe fix).
        """
        pattern = self.patterns.get(ref.pattern)
        call = updated_node.decorator
        if pattern is None or not isinstance(call, cst.Call):
            return updated_node
        wanted = ref.pinned != "False"
        if bool(self._value(ref)) == wanted:
            self._changed()
            keep = [a.keyword is None or a.keyword.value not in pattern.key.keywords for a in call.args]
            return updated_node.with_changes(decorator=call.with_changes(args=kept_elements(call.args, keep)))
        owner = self.state.decorated[-1].node if self.state.decorated else None
        token = pattern.token
        others = [
            d
            for d in (owner.decorators if owner is not None else ())
            if d is not original_node and isinstance(d.decorator, cst.Call) and last_name(d.decorator.func) == token
        ]
        if others:
            self._changed()
            return cst.RemoveFromParent()
        if self.state.decorated:
            state = "on" if wanted else "off"
            self.state.decorated[-1].doom = f"it only applies while flag {ref.key!r} is {state}"
        return updated_node

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel | cst.RemovalSentinel:
        self.state.guarded -= 1
        kept: list[cst.WithItem] = []
        for original, item in zip(original_node.items, updated_node.items, strict=True):
            ref = self._ref(original.item)
            if ref is None or ref.kind is not RefKind.TEST_OVERRIDE:
                kept.append(item)
                continue
            match = self._pinned_matches(ref)
            if match is None:
                self._note(original, ref.key, "review", f"test override of {ref.key!r} pins a non-literal value")
                kept.append(item)
            elif match:
                self._changed()
                self._dropped(item.asname)
            else:
                kept.append(item)
                if self.state.functions:
                    self.state.functions[-1].doom = f"it tests flag {ref.key!r} in its discarded state"
        if len(kept) == len(updated_node.items):
            return updated_node
        if not kept:
            return self._flatten(self._statements(updated_node.body, updated_node.leading_lines))
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(items=kept)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        frame = self.state.functions.pop()
        self.state.decorated.pop()
        for name, keep in frame.pinned.items():
            updated_node = self._narrow(updated_node, frame, name, keep)
        if frame.doom is not None:
            return self._doomed(original_node, updated_node, frame.doom)
        in_class = bool(self.state.decorated) and isinstance(self.state.decorated[-1], _Class)
        if frame.unpinned and in_class and _only_calls_super(updated_node):
            return cst.RemoveFromParent()  # `def setUp(self): super().setUp()` once its pin went
        if self._emptied_test(original_node, updated_node):
            return self._doomed(original_node, updated_node, "nothing of the test is left once the flag is retired")
        if in_class and self._flag_override(original_node, updated_node):
            owner = self.state.decorated[-1].node.name.value
            why = f"its only job was a retired flag; it now returns what `{owner}`'s base class is assumed to"
            name = f"override `{owner}.{updated_node.name.value}`"
            return cst.RemoveFromParent() if self._offer(original_node, None, name, why) else updated_node
        return self._without_final_return(updated_node)

    def _flag_override(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> bool:
        """A method of a class with bases whose body was only `return <check>` (a docstring aside),
        now `return True`: it existed to answer the flag (`def is_enabled(self): return "k" in
        features`), and a base class presumably answers the same without it."""
        owner = self.state.decorated[-1].node
        if not isinstance(owner, cst.ClassDef) or not owner.bases or original.decorators:
            return False
        body = original.body.body if isinstance(original.body, cst.IndentedBlock) else []
        statements = [s for s in body if not _is_docstring(s)]
        if len(statements) != 1 or not m.matches(statements[0], m.SimpleStatementLine([m.Return()])):
            return False
        value = statements[0].body[0].value  # type: ignore[attr-defined]
        ref = self._ref(value) if value is not None else None
        if ref is None or ref.kind is not RefKind.CHECK:
            return False
        after = (
            [s for s in updated.body.body if not _is_docstring(s)]
            if isinstance(updated.body, cst.IndentedBlock)
            else []
        )
        if len(after) != 1 or not m.matches(after[0], m.SimpleStatementLine([m.Return()])):
            return False
        known, constant = self.constants.get(after[0].body[0].value)  # type: ignore[attr-defined]
        return known and constant is True

    def _without_final_return(self, node: cst.FunctionDef) -> cst.FunctionDef:
        """A bare `return` the fold brought to the end of a function does nothing there: it goes,
        and the comments above it stay as the end of the body."""
        body = node.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) < 2:
            return node
        last = body.body[-1]
        bare_return = m.SimpleStatementLine(
            body=[m.Return(value=None)], trailing_whitespace=m.TrailingWhitespace(comment=None)
        )
        if id(last) not in self.state.spliced or not m.matches(last, bare_return):
            return node
        blanks = _blank_prefix(last.leading_lines)
        comments = last.leading_lines[blanks:]
        if any(line.comment is None for line in comments):
            return node  # blank lines between its comments: where they belong is not clear
        self._changed()
        footer = [*(last.leading_lines if comments else ()), *body.footer]
        return node.with_changes(body=body.with_changes(body=body.body[:-1], footer=footer))

    def _emptied_test(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> bool:
        """Whether the rewrite left a test (`test...` in a test file) nothing but `pass` or its docstring."""
        if not updated.name.value.startswith("test") or not _TEST_FILE.search(self.path):
            return False
        if not isinstance(updated.body, cst.IndentedBlock) or len(updated.body.body) != 1:
            return False
        if id(updated.body.body[0]) in self.state.padding:
            return True
        return updated.get_docstring() is not None and len(original.body.body) > 1  # type: ignore[attr-defined]

    def _narrow(self, node: cst.FunctionDef, frame: _Function, name: str, keep: bool) -> cst.FunctionDef:
        """Keep only the parametrized values of `name` that match the flag's kept state; with one
        left (and the name not rebound in the body), drop the decorator and the parameter and use
        the value in the body.
        """
        values = [v for v in frame.params[name] if bool(v) == keep]
        if not values:
            frame.doom = f"it only tests the discarded state of a flag (parameter `{name}`)"
            return node
        self._changed()
        inline = len(values) == 1 and name not in _BindingCounter.of(node.body)
        decorators = []
        for decorator in node.decorators:
            found = _parametrized(decorator)
            if found is None or found[0] != name:
                decorators.append(decorator)
                continue
            if not inline:
                call = decorator.decorator
                assert isinstance(call, cst.Call)
                container = call.args[1].value
                kept = [e for e, v in zip(container.elements, frame.params[name], strict=True) if bool(v) == keep]  # type: ignore[attr-defined]
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                new_args = [call.args[0], call.args[1].with_changes(value=container.with_changes(elements=kept))]
                decorators.append(decorator.with_changes(decorator=call.with_changes(args=[*new_args, *call.args[2:]])))
        node = node.with_changes(decorators=decorators)
        if not inline:
            return node
        params = [p for p in node.params.params if p.name.value != name]
        if params:
            params[-1] = params[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        literal = repr(values[0])
        body = node.body.visit(_ReplaceName(name, lambda: self.constants.make(literal)))
        self.state.refold = True
        return node.with_changes(params=node.params.with_changes(params=params), body=body)

    # -- blocks --

    def _only_padding(self, block: cst.BaseSuite) -> bool:
        return isinstance(block, cst.IndentedBlock) and all(id(s) in self.state.padding for s in block.body)

    def _tidy(self, body: Sequence[cst.BaseStatement]) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
        """Drop code after a terminator the fold brought in; move comments trailing a spliced branch."""
        out: list[cst.BaseStatement] = []
        carry: list[cst.EmptyLine] = []
        for index, statement in enumerate(body):
            trailing = self.state.after.pop(id(statement), [])
            spliced = id(statement) in self.state.spliced
            terminates = spliced and _is_terminator(statement)
            if spliced and out and _overwrites(out[-1], statement, self.state.guarded > 0):
                # `x = None` then, from the live branch, `x = v`: the first store is dead.
                dead = out.pop()
                statement = statement.with_changes(leading_lines=[*dead.leading_lines, *statement.leading_lines])
                self._changed()
            if carry:
                statement = statement.with_changes(leading_lines=[*carry, *statement.leading_lines])
            out.append(statement)
            carry = trailing
            if terminates and index < len(body) - 1:
                self._changed()
                self._dropped(*body[index + 1 :])
                break
        return out, carry

    def _pad(self) -> cst.SimpleStatementLine:
        statement = cst.SimpleStatementLine([cst.Pass()])
        self.state.padding[id(statement)] = statement
        return statement

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body, carry = self._tidy(updated_node.body)
        body = self._return_directly(original_node.body, body)
        footer = [*carry, *updated_node.footer]
        body = list(_opening_kept(original_node.body, body)) if body else [self._pad()]
        if list(body) == list(updated_node.body) and footer == list(updated_node.footer):
            return updated_node
        return updated_node.with_changes(body=body, footer=footer)

    def _return_directly(
        self, original: Sequence[cst.BaseStatement], body: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        """`x = v` then `return x` ending a block, brought together by the fold (what stood between
        them went): `return v`. Not where the author wrote them so, in a `try`, or in a function
        that declares names global or nonlocal."""
        if len(body) < 2 or self.state.guarded or not self.state.functions:
            return body
        store, last = body[-2], body[-1]
        stored = _single_store(store)
        returned = m.SimpleStatementLine(body=[m.Return(value=m.Name())])
        if stored is None or not m.matches(last, returned) or last.body[0].value.value != stored[0]:  # type: ignore[attr-defined]
            return body
        ending = cst.Module([]).code_for_node(last).strip()
        for before, after in itertools.pairwise(original):
            author = _single_store(before)  # the author's own `x = ...` / `return x`
            if author is not None and author[0] == stored[0] and cst.Module([]).code_for_node(after).strip() == ending:
                return body
        if re.search(r"\b(?:global|nonlocal)\b", cst.Module([]).code_for_node(self.state.functions[-1].node)):
            return body
        self._changed()
        comments = [line for line in last.leading_lines if line.comment is not None]
        merged = last.with_changes(
            body=[last.body[0].with_changes(value=stored[1])],  # type: ignore[attr-defined]
            leading_lines=[*store.leading_lines, *comments],
        )
        return [*body[:-2], merged]

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        return updated_node if updated_node.body else updated_node.with_changes(body=[cst.Pass()])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        for ref in self.state.refusing.values():
            why = f"with flag {ref.key!r} off the view it wraps refuses every request: remove its use by hand"
            self.state.notes.append(Note(self.path, ref.span.line, ref.key, "review", why))
        self.state.refusing.clear()
        body, carry = self._tidy(updated_node.body)
        return updated_node.with_changes(body=body, footer=[*carry, *updated_node.footer])


# --- data flow after folding ----------------------------------------------------------------------


class _InlineCandidates(cst.CSTVisitor):
    """`name = <constant>` that can be inlined: assigned once in its function, directly in the
    function's own block (so it always runs), and read only after it (so every read sees it).
    """

    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, constants: _Constants) -> None:
        super().__init__()
        self.constants = constants
        self.order: dict[int, int] = {}
        self.blocks: list[int] = []
        self.function_bodies: set[int] = set()
        self.found: list[tuple[cst.Assign, cst.metadata.Scope, str, object]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.order[id(node)] = len(self.order)
        return super().on_visit(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.function_bodies.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.blocks.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        known, value = self.constants.get(node.value)
        if not known or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        if not self.blocks or self.blocks[-1] not in self.function_bodies:
            return
        scope = self.get_metadata(ScopeProvider, node, None)
        name = node.targets[0].target.value
        if isinstance(scope, cst.metadata.FunctionScope) and len(scope.assignments[name]) == 1:
            self.found.append((node, scope, name, value))

    def inlinable(self) -> tuple[set[int], dict[int, object]]:
        drop: set[int] = set()
        uses: dict[int, object] = {}
        for node, scope, name, value in self.found:
            accesses = list(scope.accesses[name])
            if any(a.is_annotation or a.is_type_hint for a in accesses):
                continue
            if all(self.order.get(id(a.node), -1) > self.order[id(node)] for a in accesses):
                drop.add(id(node))
                uses.update((id(a.node), value) for a in accesses)
        return drop, uses


class _InlineConstants(_KeepConstants):
    """Replace the reads of inlinable constants and drop their assignments."""

    def __init__(self, constants: _Constants, drop: set[int], uses: dict[int, object]) -> None:
        super().__init__()
        self.constants = constants
        self.drop = drop
        self.uses = uses

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) in self.uses:
            made = self.constants.make(repr(self.uses[id(original_node)]))
            self.constants.inlined.add(id(made))
            return made
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign | cst.RemovalSentinel:
        return cst.RemoveFromParent() if id(original_node) in self.drop else updated_node


_NAME_USE = re.compile(r"(?<![\w.])[^\W\d]\w*")


def _mentions(code: str) -> collections.Counter[str]:
    """How often each name appears in `code` (not as an attribute): one pass for every import."""
    return collections.Counter(_NAME_USE.findall(code))


def _drop_new_unused_imports(old_code: str, after: cst.Module, new_code: str) -> cst.Module:
    """Remove the imports the rewrite left unused: module-level ones and those inside functions.

    A name that appears nowhere in the new text but in its own import cannot be used (a name in
    `__all__`, a string or a comment counts as a use, so such imports stay), and one that appeared
    only there before was unused already and stays. With unusedness proven from the text of the
    whole module, the removal is a plain edit of the import's names; LibCST's RemoveImportsVisitor
    would repeat a scope analysis, at ~35 ms a call, to prove the same.
    """
    if "import" not in new_code:
        return after
    counts = _Uses(old_code, new_code)
    body, carry, changed = _without_unused_imports(after.body, counts)
    if any(counts.gone(name) for name in _indented_imports(new_code)):
        nested = _NestedImports(counts)
        visited = after.with_changes(body=body).visit(nested)
        if nested.changed:
            return _no_new_blank_start(after, visited.with_changes(footer=[*carry, *after.footer]))
    if not changed:
        return after
    return _no_new_blank_start(after, after.with_changes(body=body, footer=[*carry, *after.footer]))


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
        if carry and not _blank_prefix(statement.leading_lines):
            statement = statement.with_changes(leading_lines=[*carry, *statement.leading_lines])
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
                carry = _blank(statement.leading_lines)
                continue
            statement = kept
        body.append(statement)
    return body, carry, changed


class _NestedImports(cst.CSTTransformer):
    """Newly unused imports inside functions and classes (`from x import y` in a def); a block
    is never emptied by it."""

    def __init__(self, counts: _Uses) -> None:
        super().__init__()
        self.counts = counts
        self.changed = False

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not any(_imports_names(s) for s in updated_node.body):
            return updated_node
        body, _, changed = _without_unused_imports(updated_node.body, self.counts)
        if not changed or not body:
            return updated_node
        self.changed = True
        return updated_node.with_changes(body=_opening_kept(updated_node.body, body))


_IMPORT_ERRORS = m.Name("ImportError") | m.Name("ModuleNotFoundError")


def _optional_import_gone(statement: cst.Try, uses: _Uses) -> bool:
    """Whether `try: from x import y` / `except ImportError: y = None` imports only names the
    rewrite left unused: named nowhere now but there, where code named them before."""
    if statement.orelse or statement.finalbody or len(statement.handlers) != 1:
        return False
    body, handler = statement.body.body, statement.handlers[0]
    if len(body) != 1 or not _imports_names(body[0]) or handler.name is not None:
        return False
    if not m.matches(handler.type, _IMPORT_ERRORS | m.Tuple(elements=[m.AtLeastN(m.Element(_IMPORT_ERRORS), n=1)])):
        return False
    bound: collections.Counter[str] = collections.Counter()
    for small in body[0].body:  # type: ignore[attr-defined]
        if not isinstance(small, (cst.Import, cst.ImportFrom)) or isinstance(small.names, cst.ImportStar):
            return False
        bound.update((a.evaluated_alias or a.evaluated_name).split(".")[0] for a in small.names)
    for line in handler.body.body:
        fallback = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name())])])
        if m.matches(line, m.SimpleStatementLine(body=[m.Pass()])):
            continue
        if not m.matches(line, fallback) or not _pure(line.body[0].value):  # type: ignore[attr-defined]
            return False
        name = line.body[0].targets[0].target.value  # type: ignore[attr-defined]
        if name not in bound:
            return False
        bound[name] += 1
    return all(uses.new[name] == count < uses.old[name] for name, count in bound.items())


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

    def __init__(self, old_code: str, new_code: str) -> None:
        self.old_code, self.new_code = old_code, new_code
        self.old, self.new = _mentions(old_code), _mentions(new_code)
        self._precise: tuple[collections.Counter[str], collections.Counter[str]] | None = None

    def gone(self, name: str) -> bool:
        """Whether only its own import names `name` now, where code named it before."""
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


class _ReplaceName(cst.CSTTransformer):
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


class _BindingCounter(cst.CSTVisitor):
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


def _function_scopes(tree: cst.Module) -> dict[tuple[str, ...], tuple[set[str], set[str]]]:
    """(local names, read names) of each function scope, keyed by the chain of enclosing names."""
    scopes = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(ScopeProvider)
    found: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}
    for scope in {s for s in scopes.values() if isinstance(s, cst.metadata.FunctionScope)}:
        local, read = found.setdefault(_scope_key(scope), (set(), set()))
        local.update(a.name for a in scope.assignments)
        read.update(a.node.value for a in scope.accesses if isinstance(a.node, cst.Name))
    return found


_DYNAMIC_SCOPE = re.compile(r"\b(?:locals|vars|eval|exec)\s*\(|\b(?:global|nonlocal)\b")


def _newly_unread_locals(before: cst.Module, after: cst.Module, old_code: str, new_code: str) -> set[int]:
    """The `name = value` statements of `after` (one plain name assigned, in a function) whose
    name the rewrite left unread: read in that function before, read nowhere now (ruff's F841).
    Functions that reach their locals dynamically (`locals()`, `eval`, `global`) are left alone.
    """
    old_words, new_words = _mentions(old_code), _mentions(new_code)
    fewer = {w for w, n in new_words.items() if n < old_words.get(w, 0) and not w.startswith("_")}
    if not fewer or not re.search(rf"^[ \t]+(?:{'|'.join(map(re.escape, fewer))})[ \t]*=[^=]", new_code, re.M):
        return set()

    def assignments(tree: cst.Module) -> dict[tuple[tuple[str, ...], str], tuple[bool, list[cst.CSTNode]]]:
        scopes = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(ScopeProvider)
        found: dict[tuple[tuple[str, ...], str], tuple[bool, list[cst.CSTNode]]] = {}
        functions = [s for s in {*scopes.values()} if isinstance(s, cst.metadata.FunctionScope)]
        keys = collections.Counter(_scope_key(scope) for scope in functions)
        for scope in functions:
            if keys[_scope_key(scope)] > 1 or _DYNAMIC_SCOPE.search(tree.code_for_node(scope.node)):
                continue  # two functions of one name in one scope: which is which is not clear
            for name in {a.name for a in scope.assignments} & fewer:
                bound = list(scope.assignments[name])
                read = any(a.references for a in bound)
                found[(_scope_key(scope), name)] = (read, [a.node for a in bound])
        return found

    before_found = assignments(before)
    statements: dict[int, int] = {}  # id(target name) -> id(its statement)
    for line in m.findall(after, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name())])])):
        statements[id(line.body[0].targets[0].target)] = id(line)  # type: ignore[attr-defined]
    unread: set[int] = set()
    for key, (read, nodes) in assignments(after).items():
        was_read = before_found.get(key, (False, []))[0]
        if was_read and not read and all(id(n) in statements for n in nodes):
            unread.update(statements[id(n)] for n in nodes)
    return unread


class _DropUnreadLocals(cst.CSTTransformer):
    """`name = value` with `name` unread: the value stays as a statement where evaluating it may
    matter (a call: `Model.objects.get(...)` that raises), else the statement goes."""

    def __init__(self, statements: set[int]) -> None:
        super().__init__()
        self.statements = statements

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if id(original_node) not in self.statements:
            return updated_node
        value = updated_node.body[0].value  # type: ignore[attr-defined]
        if _pure(value):
            return cst.RemoveFromParent()
        return updated_node.with_changes(body=[cst.Expr(value=value, semicolon=updated_node.body[0].semicolon)])

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return (
            updated_node
            if updated_node.body
            else updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        )


def _scope_key(scope: cst.metadata.Scope) -> tuple[str, ...]:
    """A function scope named by the chain of scopes that enclose it."""
    chain: list[str] = []
    current: cst.metadata.Scope | None = scope
    while current is not None and not isinstance(current, cst.metadata.GlobalScope):
        chain.append(f"{type(current).__name__}:{getattr(current, 'name', '')}")
        current = current.parent
    return tuple(reversed(chain))


def _symbol_scopes(code: str) -> dict[tuple[str, ...], tuple[set[str], set[str]]] | None:
    """`_function_scopes` from CPython's own symbol tables (a C pass, many times faster than
    LibCST's scope analysis); None when this interpreter cannot compile the code."""
    try:
        top = symtable.symtable(code, "<module>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}
    pending: list[tuple[symtable.SymbolTable, tuple[str, ...]]] = [(top, ())]
    while pending:
        table, chain = pending.pop()
        for child in table.get_children():
            kind = "FunctionScope" if child.get_type() == "function" else "ClassScope"
            if child.get_name() in _COMPREHENSIONS:
                continue  # LibCST's ComprehensionScope: not a function scope
            here = (*chain, f"{kind}:{child.get_name()}")
            if kind == "FunctionScope":
                local, read = found.setdefault(here, (set(), set()))
                for symbol in child.get_symbols():
                    bound = symbol.is_assigned() or symbol.is_parameter() or symbol.is_imported()
                    if symbol.is_local() and (bound or symbol.is_namespace()):
                        local.add(symbol.get_name())
                    if symbol.is_referenced():
                        read.add(symbol.get_name())
            pending.append((child, here))
    return found


_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})


def _scope_changes(before: cst.Module, after: cst.Module) -> list[str]:
    """Names whose scope the rewrite would change: a deleted branch held the last binding of a
    local that is still read (it would turn into a free variable), or a deleted global/nonlocal.
    """
    fast_old, fast_new = _symbol_scopes(before.code), _symbol_scopes(after.code)
    if fast_old is not None and fast_new is not None:
        old, new = fast_old, fast_new
    else:
        old, new = _function_scopes(before), _function_scopes(after)
    changes = []
    for key, (new_local, new_read) in new.items():
        old_local = old.get(key, (new_local, set()))[0]
        lost = (old_local & new_read) - new_local
        gained = new_local - old_local
        where = key[-1].split(":", 1)[1] or "<function>"
        changes.extend(f"`{name}` in `{where}`" for name in sorted(lost | gained))
    return changes


def _wrappers(tree: cst.Module, constants: _Constants) -> list[tuple[str, str]]:
    found = []
    for statement in tree.body:
        if not isinstance(statement, cst.FunctionDef) or not isinstance(statement.body, cst.IndentedBlock):
            continue
        body = [s for s in statement.body.body if not m.matches(s, m.SimpleStatementLine([m.Expr(m.SimpleString())]))]
        if len(body) == 1 and m.matches(body[0], m.SimpleStatementLine([m.Return()])):
            returned = body[0].body[0].value  # type: ignore[attr-defined]
            if returned is not None and constants.get(returned)[0]:
                found.append((statement.name.value, repr(constants.get(returned)[1])))
    return found


_MARKER = "flaglint-stand-in-"


def _statement_lines(text: str) -> list[tuple[int, int, bool]] | None:
    """(first line, last line, holds a function scope) of each top-level statement as LibCST counts
    them (`a; b` is one), from CPython's parser at a fraction of LibCST's position cost; None when
    the text does not parse.
    """
    from flaglint.engine.detect import parse as parse_ast

    parsed = parse_ast("<rewrite>", text)
    if not isinstance(parsed, ast.Module):
        return None
    found: list[tuple[int, int, bool]] = []
    for statement in parsed.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        last = statement.end_lineno or first
        scoped = any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) for n in ast.walk(statement))
        if found and first == found[-1][1]:  # `a; b`: one line, one LibCST statement
            found[-1] = (found[-1][0], last, found[-1][2] or scoped)
        else:
            found.append((first, last, scoped))
    return found


def _touched_positions(
    tree: cst.Module, statements: list[tuple[int, int, bool]] | None, refs: Sequence[FlagRef]
) -> tuple[dict[cst.CSTNode, CodeRange], set[int]] | None:
    """Positions of the nodes in the top-level statements that hold a reference, computed on
    one-statement modules, shifted to the statement's first line (LibCST positions cost ~200 us
    a line; the rest of the module need not pay), and the other statements. None when the
    statements do not line up with LibCST's (then the caller computes all positions).
    """
    if statements is None or len(statements) != len(tree.body):
        return None
    lines = sorted({n for ref in refs for n in (ref.span.line, ref.span.end_line)})
    bounds = [first - len(node.leading_lines) for (first, _, _), node in zip(statements, tree.body, strict=True)]
    positions: dict[cst.CSTNode, CodeRange] = {}
    untouched: set[int] = set()
    for index, statement in enumerate(tree.body):
        first = bounds[index]
        stop = bounds[index + 1] if index + 1 < len(bounds) else 1 << 30
        if not any(first <= line < stop for line in lines):
            untouched.add(id(statement))
            continue
        alone = cst.Module(body=[statement], default_indent=tree.default_indent, default_newline=tree.default_newline)
        shift = first - 1
        for node, where in MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider).items():
            start, end = where.start, where.end
            positions[node] = CodeRange((start.line + shift, start.column), (end.line + shift, end.column))
    return positions, untouched


def _touches_functions(statements: list[tuple[int, int, bool]] | None, refs: Sequence[FlagRef]) -> bool:
    """Whether a top-level statement holding a reference holds a function scope: only then can
    removing dead code change the scope of a name (the check costs a scope analysis).
    """
    if statements is None:
        return True
    lines = {n for ref in refs for n in range(ref.span.line, ref.span.end_line + 1)}
    return any(scoped and any(first <= n <= last for n in lines) for first, last, scoped in statements)


def _without_untouched(tree: cst.Module, refs: Sequence[FlagRef]) -> tuple[cst.Module, dict[str, cst.BaseStatement]]:
    """The module with each top-level def/class that holds no reference replaced by a marked
    stand-in of the same size: the pass then computes positions and rebuilds nodes only where
    references are, and `_restore` puts the untouched statements back.
    """
    from flaglint.engine.scan import stand_in

    lines = sorted({n for ref in refs for n in (ref.span.line, ref.span.end_line)})
    originals: dict[str, cst.BaseStatement] = {}
    body = []
    first = 1 + len(tree.header)
    for index, statement in enumerate(tree.body):
        count = tree.code_for_node(statement).count("\n")
        last = first + count - 1
        holds = any(first <= line <= last for line in lines)
        first = last + 1
        marker = f"{_MARKER}{index}"
        replacement = statement if holds else stand_in(tree, statement, marker, count)
        if replacement is not statement:
            originals[marker] = statement
        body.append(replacement)
    return (tree.with_changes(body=body) if originals else tree), originals


def _restore(tree: cst.Module, originals: Mapping[str, cst.BaseStatement]) -> cst.Module:
    if not originals:
        return tree
    body = []
    for statement in tree.body:
        comment = getattr(getattr(getattr(statement, "body", None), "header", None), "comment", None)
        marker = comment.value[2:] if comment is not None else ""
        if marker in originals:
            statement = originals[marker].with_changes(leading_lines=statement.leading_lines)
        body.append(statement)
    return tree.with_changes(body=body)


def rewrite(
    path: str,
    tree: cst.Module,
    refs: Sequence[FlagRef],
    values: Mapping[str, str | None],
    patterns: Mapping[str, Pattern],
    *,
    unsafe: bool = False,
    text: str | None = None,
    expand: Callable[[str], str | None] | None = None,
    reduced: bool = False,
    reads: Sequence[Span] = (),
    named: frozenset[str] = frozenset(),
) -> Rewrite:
    """Rewrite `tree` as if every flag in `values` always had that value: a Python literal, or
    None for a flag that is off, where every call answers with its SDK default. When `tree` is
    already `reduced` (untouched defs stood in for), `expand` maps its code to the whole file's
    (imports are judged on that). `named`: route names used elsewhere in the project.
    """
    constants = _Constants()

    @functools.cache
    def whole() -> str:
        base = text if text is not None else tree.code
        return (expand(base) or base) if reduced and expand is not None else base

    retire = _Retire(path, refs, values, patterns, constants, unsafe, whole, reads, named)
    # Every pass works on the module with untouched top-level statements stood in for: metadata
    # and visits then cost what the touched statements cost; `_restore` puts the rest back.
    module, originals = (tree, {}) if reduced else _without_untouched(tree, refs)
    # One CPython parse, when needed, serves the positions and the scope check.
    statements = functools.cache(lambda: _statement_lines(text if text is not None else tree.code))
    touched = _touched_positions(module, statements(), refs) if reduced else None
    if touched is not None:
        retire.positions, retire.untouched = touched
        new = module.visit(retire)
    else:
        new = MetadataWrapper(module, unsafe_skip_copy=True).visit(retire)
    notes = list(retire.state.notes)
    changed = retire.state.changed
    dropped = retire.state.dropped_bindings
    stores = retire.state.constant_stores
    arguments = dict.fromkeys(retire.state.arguments)
    if retire.state.refold:
        fold = _Retire(path, (), values, patterns, constants, unsafe, whole)
        new = MetadataWrapper(new, unsafe_skip_copy=True).visit(fold)
        arguments.update(dict.fromkeys(fold.state.arguments))
        dropped = dropped or fold.state.dropped_bindings
        stores = stores or fold.state.constant_stores
    for _ in range(8):  # inlining exposes more folding; a handful of rounds reaches the fixed point
        if not stores:
            break
        candidates = _InlineCandidates(constants)
        MetadataWrapper(new, unsafe_skip_copy=True).visit(candidates)
        drop, uses = candidates.inlinable()
        if not drop:
            break
        inlined = new.visit(_InlineConstants(constants, drop, uses))
        fold = _Retire(path, (), values, patterns, constants, unsafe, whole)
        new = MetadataWrapper(inlined, unsafe_skip_copy=True).visit(fold)
        notes.extend(fold.state.notes)
        arguments.update(dict.fromkeys(fold.state.arguments))
        dropped = dropped or fold.state.dropped_bindings
        stores = fold.state.constant_stores
    if changed and dropped and _touches_functions(statements(), refs):
        broken = _scope_changes(module, new)
        if broken:
            message = f"left unchanged: removing the dead code would change the scope of {', '.join(broken)}"
            return Rewrite(path, tree, False, (*notes, Note(path, 0, None, "error", message)))
    if changed:
        unread = _newly_unread_locals(module, new, module.code, new.code)
        if unread:
            new = new.visit(_DropUnreadLocals(unread))
    new = _restore(new, originals)
    released = tuple(retire.state.released)
    if released:  # a reduced module may lack the tearDown: clean releases the whole file again then
        new = release(new, released)
        released = released if reduced else ()
    wrappers = _wrappers(new, constants)
    old_code = text if text is not None else tree.code
    new_code = new.code
    if changed:
        whole_old = expand(old_code) if expand else old_code
        whole_new = expand(new_code) if expand else new_code
        pruned = new
        if whole_old is not None and whole_new is not None:
            pruned = _drop_new_unused_imports(whole_old, new, whole_new)
        if pruned is not new:
            new, new_code = pruned, pruned.code
    if not unsafe:
        for name, _ in wrappers:
            message = f"function `{name}` now always returns the same constant: inline it (--unsafe-fixes)"
            notes.append(Note(path, 0, None, "unsafe-skipped", message))
    changed = changed and new_code != old_code
    return Rewrite(
        path,
        new,
        changed,
        tuple(notes),
        tuple(wrappers),
        new_code,
        tuple(retire.state.fixtures),
        released,
        tuple(arguments),
    )


def release(tree: cst.Module, names: Iterable[tuple[str, str]]) -> cst.Module:
    """Without the `self.row.delete()` statements (anywhere) and `row.delete()` statements (in
    the function named with it) of the model rows whose pin went, as `(function, local)` or
    `("", attribute)` pairs; a method left only calling the same method of its parent goes too.
    """
    wanted = set(names)
    delete = m.Expr(m.Call(func=m.Attribute(attr=m.Name("delete")), args=[]))

    class Release(_KeepBlankLines):
        def __init__(self) -> None:
            super().__init__()
            self.scope: list[str] = []
            self.emptied: list[bool] = []

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            self.scope.append(node.name.value)

        def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
            self.scope.pop()
            return updated_node

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            self.scope.append(node.name.value)
            self.emptied.append(False)

        def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.Expr | cst.RemovalSentinel:
            if not m.matches(original_node, delete):
                return updated_node
            row = original_node.value.func.value  # type: ignore[attr-defined]
            if m.matches(row, m.Attribute(value=m.Name("self"), attr=m.Name())):
                key = ("", row.attr.value)
            elif isinstance(row, cst.Name) and self.emptied:
                key = (".".join(self.scope), row.value)
            else:
                return updated_node
            if key not in wanted:
                return updated_node
            if self.emptied:
                self.emptied[-1] = True
            return cst.RemoveFromParent()

        def leave_SimpleStatementLine(
            self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
        ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
            return updated_node if updated_node.body else cst.RemoveFromParent()

        def leave_FunctionDef(
            self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
        ) -> cst.FunctionDef | cst.RemovalSentinel:
            self.scope.pop()
            if self.emptied.pop() and _only_calls_super(updated_node):
                return cst.RemoveFromParent()
            return updated_node

    return tree.visit(Release())


def remove_definitions(
    tree: cst.Module, names: Iterable[str], *, imports: bool = False
) -> tuple[cst.Module, list[str]]:
    """Delete module constants, functions and class/enum members (`NAME`, `Class.MEMBER`) named in
    `names`; with `imports`, also the imports only they used.
    """
    wanted = set(names)
    removed: list[str] = []

    class Remover(_KeepBlankLines):
        def __init__(self) -> None:
            super().__init__()
            self.prefix: list[str] = []

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            self.prefix.append(node.name.value)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def leave_FunctionDef(
            self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
        ) -> cst.FunctionDef | cst.RemovalSentinel:
            qualified = ".".join([*self.prefix, updated_node.name.value])
            if qualified in wanted:
                removed.append(qualified)
                return cst.RemoveFromParent()
            return updated_node

        def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
            self.prefix.pop()
            if isinstance(updated_node.body, cst.IndentedBlock) and not updated_node.body.body:
                return updated_node.with_changes(
                    body=updated_node.body.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
                )
            return updated_node

        def leave_SimpleStatementLine(
            self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
        ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
            if len(updated_node.body) != 1:
                return updated_node
            small = updated_node.body[0]
            target = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
            elif isinstance(small, cst.AnnAssign):
                target = small.target
            if isinstance(target, cst.Name):
                qualified = ".".join([*self.prefix, target.value])
                if qualified in wanted:
                    removed.append(qualified)
                    if _heads_a_group(original_node, target.value, small.value):
                        self._headers.add(id(original_node))
                    return cst.RemoveFromParent()
            return updated_node

    new = tree.visit(Remover())
    if imports and removed:
        new = _drop_new_unused_imports(tree.code, new, new.code)
    return new, removed


def remove_requesters(tree: cst.Module, fixtures: Iterable[str]) -> tuple[cst.Module, list[tuple[str, int, bool]]]:
    """Delete the functions and classes that request one of `fixtures` (a parameter of that name,
    or `@pytest.mark.usefixtures("name")`), and the imports that only they used. Returns the new
    module and, per definition removed, (qualified name, line, whether it is a fixture itself).
    """
    wanted = set(fixtures)
    removed: list[tuple[str, int, bool]] = []
    old_code = tree.code

    def requests(node: cst.FunctionDef | cst.ClassDef) -> bool:
        for decorator in node.decorators:
            call = decorator.decorator
            if m.matches(call, m.Call(func=m.Attribute(attr=m.Name("usefixtures")))):
                for arg in call.args:  # type: ignore[attr-defined]
                    if isinstance(arg.value, cst.SimpleString) and arg.value.evaluated_value in wanted:
                        return True
        if isinstance(node, cst.ClassDef):
            return False
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        return any(p.name.value in wanted for p in every)

    class Remover(_KeepBlankLines):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self) -> None:
            super().__init__()
            self.prefix: list[str] = []

        def _gone(self, node: cst.FunctionDef | cst.ClassDef, fixture: bool) -> cst.RemovalSentinel:
            line = self.get_metadata(PositionProvider, node).start.line
            removed.append((".".join([*self.prefix, node.name.value]), line, fixture))
            return cst.RemoveFromParent()

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            self.prefix.append(node.name.value)
            return not requests(node)

        def leave_ClassDef(
            self, original_node: cst.ClassDef, updated_node: cst.ClassDef
        ) -> cst.ClassDef | cst.RemovalSentinel:
            self.prefix.pop()
            if requests(original_node):
                return self._gone(original_node, False)
            if isinstance(updated_node.body, cst.IndentedBlock) and not updated_node.body.body:
                return self._gone(original_node, False)  # every test in it requested the fixture
            return updated_node

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def leave_FunctionDef(
            self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
        ) -> cst.FunctionDef | cst.RemovalSentinel:
            if requests(original_node):
                return self._gone(original_node, is_fixture(original_node))
            return updated_node

    new = MetadataWrapper(tree, unsafe_skip_copy=True).visit(Remover())
    if removed:
        new = _drop_new_unused_imports(old_code, new, new.code)
    return new, removed


def _heads_a_group(statement: cst.SimpleStatementLine, name: str, value: cst.BaseExpression | None) -> bool:
    """Whether the comment right above a constant being removed heads its group (`# Build
    features` over several constants) rather than speaking of it: it names neither the constant
    nor its value. Such a comment stays for the next line, when that line follows on directly.
    """
    comments = [line.comment.value for line in statement.leading_lines if line.comment is not None]
    if not comments or statement.leading_lines[-1].comment is None:
        return False
    spoken = comment_words(" ".join(comments))
    own = [comment_words(name)]
    if isinstance(value, cst.SimpleString):
        own.append(comment_words(str(value.evaluated_value)))
    return not any(part and part in spoken for part in own)


def comment_words(text: str) -> str:
    """The words of a comment or a name, lower case, one space apart (`NEW_SEARCH` -> "new search")."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


class _InlineCalls(_KeepConstants):
    """Replace calls of functions known to return a constant (by qualified name) with the constant."""

    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, targets: Mapping[str, str], module: ModuleName, constants: _Constants) -> None:
        super().__init__()
        self.targets = targets
        self.module = module
        self.constants = constants
        self.inlined = 0
        self.kept: list[str] = []

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        scope = self.get_metadata(ScopeProvider, node, None)
        if scope is None:
            return set()
        from flaglint.engine.scan import absolute_name

        found = {absolute_name(q, self.module) for q in scope.get_qualified_names_for(node)}
        return {name for name in found if name is not None}

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        found = self._qualified(original_node.func) & set(self.targets)
        if not found:
            return updated_node
        if not all(_pure(arg.value) for arg in updated_node.args):
            self.kept.append(cst.Module([]).code_for_node(updated_node))
            return updated_node
        self.inlined += 1
        return self.constants.make(self.targets[found.pop()])


def inline_calls(path: str, tree: cst.Module, targets: Mapping[str, str], module: ModuleName) -> tuple[Rewrite, int]:
    """Replace calls of `targets` (qualified function name -> literal) and fold what that makes
    constant; calls whose arguments might have side effects stay (and are noted).
    """
    constants = _Constants()
    inliner = _InlineCalls(targets, module, constants)
    new = MetadataWrapper(tree, unsafe_skip_copy=True).visit(inliner)
    notes = [
        Note(path, 0, None, "review", f"kept `{call}`: its arguments may have side effects") for call in inliner.kept
    ]
    if not inliner.inlined:
        return Rewrite(path, tree, False, tuple(notes)), 0
    fold = _Retire(path, (), {}, {}, constants, True)
    new = MetadataWrapper(new, unsafe_skip_copy=True).visit(fold)
    if fold.state.dropped_bindings and _scope_changes(tree, new):
        message = "left unchanged: inlining would change the scope of a name"
        return Rewrite(path, tree, False, (*notes, Note(path, 0, None, "error", message))), 0
    old_code, new_code = tree.code, new.code
    new = _drop_new_unused_imports(old_code, new, new_code)
    new_code = new.code
    return Rewrite(path, new, new_code != old_code, tuple(notes), code=new_code), inliner.inlined
