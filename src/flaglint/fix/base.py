"""The pieces every fix pass shares: notes and results, synthetic constants, purity and
literal tests, container shrinking, the blank-line keeper."""

from __future__ import annotations

import ast
import collections
import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import libcst as cst
import libcst.matchers as m

from flaglint.model import TEST_FILE as TEST_FILE  # re-exported: the fix passes read it from here
from flaglint.model import FlagRef
from flaglint.model import is_test_file as is_test_file


@dataclass(frozen=True)
class Note:
    """Something the user should know about a rewrite: what was skipped, applied or left to review."""

    path: str
    line: int
    key: str | None
    kind: str  # "unsafe-skipped" | "unsafe-applied" | "review" | "error" | "declaration" | "helper" | ...
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
    # `Class.method` overrides the fold left only calling super(), removed: the attribute stays
    # (the parent's), so no use of the name is a use of what went
    overrides: tuple[str, ...] = ()
    entries: tuple[str, ...] = ()  # keys of dict entries that only carried a flag, removed (unsafe)


_Node = TypeVar("_Node", bound=cst.CSTNode)


class Constants:
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

    def adopt(self, node: _Node, value: object) -> _Node:
        self._nodes[id(node)] = (node, value)
        return node

    def get(self, node: cst.CSTNode) -> tuple[bool, object]:
        found = self._nodes.get(id(node))
        return (True, found[1]) if found is not None and found[0] is node else (False, None)


ATOMS = (
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
FOLDED_BUILTINS = frozenset({"bool", "all", "any"})
PREDICATES = frozenset({"isinstance", "issubclass", "hasattr", "callable"})


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


def plain_test(node: cst.BaseExpression) -> bool:
    """Whether evaluating `node` may be left out: plain values, comparisons of plain values, and
    `not`/`and`/`or` of such."""
    if _pure(node):
        return True
    if isinstance(node, cst.Comparison):
        return _pure(node.left) and all(_pure(c.comparator) for c in node.comparisons)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return plain_test(node.expression)
    if isinstance(node, cst.BooleanOperation):
        return plain_test(node.left) and plain_test(node.right)
    return False


def _literal(node: cst.BaseExpression) -> tuple[bool, object]:
    literal_types = (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Tuple, cst.List, cst.Set)
    if isinstance(node, literal_types) or (isinstance(node, cst.Name) and node.value in ("True", "False", "None")):
        try:
            return True, ast.literal_eval(cst.Module([]).code_for_node(node).strip())
        except (ValueError, SyntaxError):
            return False, None
    return False, None


COMPARE = {
    cst.Equal: lambda a, b: a == b,
    cst.NotEqual: lambda a, b: a != b,
    cst.In: lambda a, b: a in b,
    cst.NotIn: lambda a, b: a not in b,
    cst.LessThan: lambda a, b: a < b,
    cst.LessThanEqual: lambda a, b: a <= b,
    cst.GreaterThan: lambda a, b: a > b,
    cst.GreaterThanEqual: lambda a, b: a >= b,
}


def single_store(statement: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """`(name, value)` of a statement that is only `name = value`. (Checked by type: a matcher
    costs 16 us a call, and every statement the fold splices is asked.)"""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        assign = statement.body[0]
        target = assign.targets[0].target if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
        if isinstance(assign, cst.Assign) and isinstance(target, cst.Name):
            return target.value, assign.value
    return None


def _overwrites(first: cst.CSTNode, second: cst.CSTNode, guarded: bool) -> bool:
    """Whether `second` stores to the same name as `first` without reading it, and `first` is pure.

    Inside try/with the second value might raise and a handler read the first one; there only a
    literal (which cannot raise) overwrites.
    """
    a, b = single_store(first), single_store(second)
    if a is None or b is None or a[0] != b[0] or not _pure(a[1]):
        return False
    if guarded and not _literal(b[1])[0]:
        return False
    return not reads_name(b[1], a[0])


def reads_name(node: cst.BaseExpression, name: str) -> bool:
    """Whether evaluating `node` may read the variable `name`: an attribute or a keyword argument
    of that spelling is not a read (a lambda's parameter of that name counts: no harm)."""
    spelt = len(m.findall(node, m.Name(name)))
    others = len(m.findall(node, m.Attribute(attr=m.Name(name)) | m.Arg(keyword=m.Name(name))))
    return spelt > others


def only_calls_super(node: cst.FunctionDef) -> bool:
    """Whether a method only hands its own arguments, in order, to the same method of its parent
    class (an override that changes nothing): `def setUp(self): super().setUp()`, `def
    dispatch(self, *args, **kwargs): return super().dispatch(*args, **kwargs)`; no decorators.
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
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if not names:
        return False
    expected = [("", name) for name in names[1:]]  # (how it is passed, the name passed)
    if isinstance(params.star_arg, cst.Param):
        expected.append(("*", params.star_arg.name.value))
    expected += [(f"{p.name.value}=", p.name.value) for p in params.kwonly_params]
    if params.star_kwarg is not None:
        expected.append(("**", params.star_kwarg.name.value))
    passed = []
    for argument in call.args:
        if not isinstance(argument.value, cst.Name):
            return False
        how = f"{argument.keyword.value}=" if argument.keyword is not None else str(argument.star)
        passed.append((how, argument.value.value))
    return passed == expected


def is_terminator(statement: cst.CSTNode) -> bool:
    """A statement after which nothing in its block runs: a `return`, `raise`, `continue` or
    `break`, or an `if` with an `else` whose every branch ends in one."""
    if isinstance(statement, cst.SimpleStatementLine):
        return isinstance(statement.body[-1], _TERMINATORS)
    if isinstance(statement, cst.If) and statement.orelse is not None:
        rest = statement.orelse if isinstance(statement.orelse, cst.If) else None
        last = statement.orelse.body if rest is None else None
        return _ends(statement.body) and (is_terminator(rest) if rest is not None else _ends(last))
    return False


def _ends(block: cst.BaseSuite | None) -> bool:
    if isinstance(block, cst.SimpleStatementSuite):
        return isinstance(block.body[-1], _TERMINATORS)
    return isinstance(block, cst.IndentedBlock) and bool(block.body) and is_terminator(block.body[-1])


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


_Element = cst.BaseElement | cst.BaseDictElement | cst.Arg


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
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
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
class Function:
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


SET_UP = frozenset({"setUp", "setUpClass", "setUpTestData", "setup_method", "setup_class", "asyncSetUp"})
_FIXTURE = m.Name("fixture") | m.Attribute(attr=m.Name("fixture"))


def calls_own_method(node: ast.AST, name: str) -> bool:
    """`self.name(...)`."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or node.func.attr != name:
        return False
    return isinstance(node.func.value, ast.Name) and node.func.value.id == "self"


def methods_named(statements: Sequence[cst.CSTNode], names: Container[str]) -> list[cst.FunctionDef]:
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
class State:
    refs: dict[tuple[int, int, int, int], FlagRef] = field(default_factory=dict)
    truth: set[int] = field(default_factory=set)
    elifs: set[int] = field(default_factory=set)
    spliced: dict[int, cst.CSTNode] = field(default_factory=dict)
    after: dict[int, list[cst.EmptyLine]] = field(default_factory=dict)
    padding: dict[int, cst.CSTNode] = field(default_factory=dict)
    functions: list[Function] = field(default_factory=list)
    decorated: list[Function | _Class] = field(default_factory=list)  # the definitions being visited
    guarded: int = 0  # depth of try/with blocks around the current node
    constant_stores: bool = False  # some `name = <synthetic constant>` exists (inlining may apply)
    refold: bool = False  # new constants appeared after their surroundings were folded
    dropped: list[cst.CSTNode] = field(default_factory=list)  # deleted code (may it have bound a name?)
    notes: list[Note] = field(default_factory=list)
    changed: bool = False
    fixtures: list[str] = field(default_factory=list)  # pytest fixtures removed
    entries: list[str] = field(default_factory=list)  # keys of dict entries that only carried a flag, removed
    released: list[tuple[str, str]] = field(default_factory=list)  # what pin statements that went bound
    arguments: list[tuple[str, str, str]] = field(default_factory=list)  # see Rewrite.arguments
    overrides: list[str] = field(default_factory=list)  # see Rewrite.overrides
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


class PadEmptyBlocks(cst.CSTTransformer):
    """A block whose every statement a removal took is given `pass`, so the code still parses."""

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if updated_node.body:
            return updated_node
        return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])


class KeepBlankLines(cst.CSTTransformer):
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

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:  # LibCST types it per node
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, (cst.Module, cst.IndentedBlock)):
            self._pending.pop()
            if isinstance(original_node, cst.Module) and isinstance(result, cst.Module):
                return no_new_blank_start(original_node, result)
            if isinstance(original_node, cst.IndentedBlock) and isinstance(result, cst.IndentedBlock):
                kept = opening_kept(original_node.body, result.body)
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
                self._pending[-1] = [*claimed, *leading_lines(original_node)]  # to a next line that follows on
                return cst.RemoveFromParent()
            detached = _detached(leading_lines(original_node))
            if detached and self._pending:  # a comment a blank line sets apart heads what follows
                self._pending[-1] = [*(claimed if any(line.comment for line in claimed) else ()), *detached]
                return cst.RemoveFromParent()
            blanks = _blank(leading_lines(original_node)) or claimed
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
        if len(before) < 2 or len(after) < 2 or not is_docstring(before[0]) or id(before[1]) not in self._removed_ids:
            return after
        follower = after[1]
        count = blank_prefix(leading_lines(follower))
        gap = self.docstring_gap()
        if gap is None or gap == count:
            return after
        lines = [*([cst.EmptyLine(indent=False)] * gap), *leading_lines(follower)[count:]]
        return [after[0], follower.with_changes(leading_lines=lines), *after[2:]]

    def _prepend(self, result: object, blanks: list[cst.EmptyLine]) -> object:
        if isinstance(result, cst.FlattenSentinel):
            first, *rest = result.nodes
            return cst.FlattenSentinel([self._prepend(first, blanks), *rest])
        if isinstance(result, cst.BaseStatement) and not (
            leading_lines(result) and leading_lines(result)[0].comment is None
        ):
            return result.with_changes(leading_lines=[*blanks, *leading_lines(result)])
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


def is_docstring(statement: cst.BaseStatement) -> bool:
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


def no_new_blank_start(before: cst.Module, after: cst.Module) -> cst.Module:
    """A file whose first statement went must not start with the blank lines of the next one; a
    file whose every statement went (and that holds no comment) is empty, not a blank line."""
    if before.body and not after.body and not any(line.comment for line in (*after.header, *after.footer)):
        return after.with_changes(header=[], footer=[], has_trailing_newline=False)
    body = opening_kept(before.body, after.body)
    return after if body is after.body else after.with_changes(body=body)


def opening_kept(
    before: Sequence[cst.BaseStatement], after: Sequence[cst.BaseStatement]
) -> Sequence[cst.BaseStatement]:
    """`after` (a block's or module's statements once some went), opening without blank lines when
    `before` did: the blank lines of a new first statement separated it from one that is gone.
    """
    if not after or (before and blank_prefix(leading_lines(before[0]))):
        return after
    first = after[0]
    count = blank_prefix(leading_lines(first))
    if not count:
        return after
    return [first.with_changes(leading_lines=leading_lines(first)[count:]), *after[1:]]


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """The blank and comment lines above a statement (every kind of statement has them)."""
    assert isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    return statement.leading_lines


def blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count


class KeepConstants(KeepBlankLines):
    """A transformer that carries the synthetic mark over to the copies LibCST makes of a node."""

    constants: Constants

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:  # LibCST types it per node
        result = super().on_leave(original_node, updated_node)
        known, value = self.constants.get(original_node)
        if known and isinstance(result, cst.CSTNode) and result is not original_node:
            self.constants.adopt(result, value)
        return result
