"""Drop a parameter that every caller now passes the same constant. Pure.

After a fold, `index.handle(event, synchronous=True)` may be the only way a function is still
called: its parameter carries no choice any more. `survey` tells, file by file, whether every use
of the function's name is a call that passes that constant; `drop_argument` removes the argument
from those calls and `drop_parameter` removes the parameter and folds its reads as constants.
`clean` offers this as an unsafe fix: code outside the project may call the function too.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper, PositionProvider

from flaglint.engine.astparse import functions
from flaglint.engine.scan import last_name
from flaglint.engine.source import common_frame
from flaglint.fix.base import Constants, KeepBlankLines, Note, Rewrite, _literal, _pure, is_docstring
from flaglint.fix.cascade import AFTER_SUBSTITUTION, FileContext, run_cascade
from flaglint.fix.imports import BindingCounter, ReplaceName

LINE_LENGTH = 88  # black's and ruff's default: a call that now fits goes back on one line


@dataclass(frozen=True)
class Definition:
    """A `def` of the function: the names a caller may pass by position (without the bound
    `self`/`cls` of a method), and every parameter name."""

    line: int
    positional: tuple[str, ...]
    names: tuple[str, ...]
    bound: bool
    owner: str  # the class it is defined in, or ""
    decorated: bool  # by more than staticmethod/classmethod: the decorator may call it its own way
    private: bool  # its name starts with `_`, or it is a module-level function


@dataclass(frozen=True)
class Survey:
    """What one file does with the function's name."""

    definitions: tuple[Definition, ...]
    agreeing: int  # calls that pass the constant
    others: tuple[int, ...]  # lines of any other use (another value, no value, a mention, a string)


def _bound(node: cst.FunctionDef, in_class: bool) -> bool:
    names = {d.decorator.value for d in node.decorators if isinstance(d.decorator, cst.Name)}
    return in_class and "staticmethod" not in names


def _decorated(node: cst.FunctionDef) -> bool:
    plain = ("staticmethod", "classmethod")
    return any(not (isinstance(d.decorator, cst.Name) and d.decorator.value in plain) for d in node.decorators)


def constant_given(literal: object) -> Callable[[cst.BaseExpression | None], bool]:
    """Accepts a call that passes `literal` (same type and value)."""

    def accept(given: cst.BaseExpression | None) -> bool:
        known, value = _literal(given) if given is not None else (False, None)
        return known and type(value) is type(literal) and value == literal

    return accept


def droppable_given(given: cst.BaseExpression | None) -> bool:
    """Accepts a call that leaves the parameter out or passes something whose evaluation can go."""
    return given is None or _pure(given)


def _supplied(call: cst.Call, param: str, position: int | None) -> cst.Arg | bool | None:
    """The argument that gives `param` in `call`: an Arg, None when the call leaves it out, or
    False when it cannot be told (a `*args` / `**kwargs` or a positional argument after it)."""
    if any(arg.star for arg in call.args):
        return False
    positional = [arg for arg in call.args if arg.keyword is None]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param:
            return arg
    if position is not None and position < len(positional):
        return positional[position] if position == len(positional) - 1 else False
    return None


class _Survey(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        name: str,
        param: str,
        accept: Callable[[cst.BaseExpression | None], bool],
        definition: Definition | None,
        functions_too: bool,
    ) -> None:
        super().__init__()
        self.name, self.param, self.accept, self.definition = name, param, accept, definition
        # A module-level function has the same name: a bare name or `module.name` is that one.
        self.functions_too = functions_too
        self.modules: set[str] = set()  # names this file binds by import
        self.attrs: set[int] = set()
        self.classes: list[str] = []
        self.in_class: list[bool] = [False]
        self.seen: set[int] = set()
        self.definitions: list[Definition] = []
        self.agreeing = 0
        self.others: list[int] = []

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def visit_Module(self, node: cst.Module) -> None:
        if self.functions_too:
            for alias in m.findall(node, m.ImportAlias()):
                assert isinstance(alias, cst.ImportAlias)
                bound: cst.BaseExpression = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(bound, cst.Attribute):
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    self.modules.add(bound.value)

    def _elsewhere(self, node: cst.BaseExpression) -> bool:
        """Whether `node` (a called or named thing) is the module-level function of the same name."""
        if not self.functions_too:
            return False
        if isinstance(node, cst.Name):
            return True
        return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in self.modules

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attrs.add(id(node.attr))
        if node.attr.value == self.name and self._elsewhere(node):
            self.seen.add(id(node.attr))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)
        self.in_class.append(True)
        self.seen.add(id(node.name))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()
        self.in_class.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.seen.add(id(node.name))
        if node.name.value == self.name:
            bound = _bound(node, self.in_class[-1])
            params = node.params
            positional = [p.name.value for p in (*params.posonly_params, *params.params)]
            names = [*positional, *(p.name.value for p in params.kwonly_params)]
            owner = self.classes[-1] if self.in_class[-1] else ""
            self.definitions.append(
                Definition(
                    self._line(node),
                    tuple(positional[1:] if bound else positional),
                    tuple(names),
                    bound,
                    owner,
                    _decorated(node),
                    not owner or self.name.startswith("_"),
                )
            )
        self.in_class.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.in_class.pop()

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.seen.add(id(node.keyword))  # `name=` in a call is a keyword, not a use

    def visit_ImportAlias(self, node: cst.ImportAlias) -> bool:
        return False  # importing the function is how callers reach it

    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) != self.name:
            return
        func = node.func
        self.seen.add(id(func.attr if isinstance(func, cst.Attribute) else func))
        if self._elsewhere(func):
            return
        if self.definition is None or self._through_class(func):
            self.others.append(self._line(node))
            return
        position = self._position()
        arg = _supplied(node, self.param, position)
        given = arg.value if isinstance(arg, cst.Arg) else None
        if arg is not False and self.accept(given):
            self.agreeing += 1
        else:
            self.others.append(self._line(node))

    def _position(self) -> int | None:
        assert self.definition is not None
        if self.param in self.definition.positional:
            return self.definition.positional.index(self.param)
        return None

    def _through_class(self, func: cst.BaseExpression) -> bool:
        """`Owner.method(obj, ...)` passes `self` by position: the positions shift."""
        assert self.definition is not None
        return (
            self.definition.bound
            and isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self.definition.owner
        )

    def visit_Name(self, node: cst.Name) -> None:
        if node.value != self.name or id(node) in self.seen:
            return
        if id(node) not in self.attrs and self.functions_too:
            return  # a bare name: the function, its import, or something else that is not the method
        self.others.append(self._line(node))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if node.evaluated_value == self.name:  # getattr(obj, "name") and the like
            self.others.append(self._line(node))


def survey(
    tree: MetadataWrapper,
    name: str,
    param: str,
    accept: Callable[[cst.BaseExpression | None], bool],
    definition: Definition | None,
    functions_too: bool = False,
) -> Survey:
    """The definitions of `name` in `tree` (a wrapper: its positions are worked out once for every
    look) and, given the one definition, whether each call
    passes what `accept` accepts for `param`.
    With `functions_too` (the definition is a method and a module-level function has its name),
    bare names and `module.name` are that function's, not uses of the method.
    """
    visitor = _Survey(name, param, accept, definition, functions_too)
    tree.visit(visitor)
    return Survey(tuple(visitor.definitions), visitor.agreeing, tuple(visitor.others))


class _DropArgument(KeepBlankLines):
    """Remove the argument that gives `param` from every call of `name`; a call that then fits
    on its line goes back on one line, as a formatter would put it."""

    def __init__(self, name: str, param: str, position: int | None, indent: str) -> None:
        super().__init__()
        self.name, self.param, self.position, self.indent = name, param, position, indent
        self.depth: list[str] = []
        self.edited: list[bool] = []
        self.count = 0

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.depth.append(node.indent if node.indent is not None else self.indent)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.BaseSuite:
        self.depth.pop()
        return updated_node

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.edited.append(False)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if not self.edited.pop():
            return updated_node
        flat = cst.ensure_type(updated_node.visit(_OneLine()), cst.SimpleStatementLine)
        code = cst.Module([]).code_for_node(flat).rstrip("\n")
        width = sum(len(level) for level in self.depth) + len(code)
        fits = "\n" not in code and "#" not in cst.Module([]).code_for_node(updated_node.body[0])
        return flat if fits and width <= LINE_LENGTH else updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if last_name(updated_node.func) != self.name:
            return updated_node
        arg = _supplied(updated_node, self.param, self.position)
        if not isinstance(arg, cst.Arg):
            return updated_node
        args = list(updated_node.args)
        index = next(i for i, a in enumerate(args) if a is arg)
        del args[index]
        if index == len(args) and args:  # it was last: the one before takes its comma and spacing
            args[-1] = args[-1].with_changes(comma=arg.comma, whitespace_after_arg=arg.whitespace_after_arg)
        self.count += 1
        if self.edited:
            self.edited[-1] = True
        changes: dict[str, object] = {"args": args}
        if not args:
            changes["whitespace_before_args"] = cst.SimpleWhitespace("")
        return updated_node.with_changes(**changes)


class _OneLine(cst.CSTTransformer):
    """Every call that spans lines without a magic trailing comma, on one line."""

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        args = updated_node.args
        if not args or isinstance(args[-1].comma, cst.Comma):
            return updated_node
        last = len(args) - 1
        flat = [
            a.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if i < last else cst.MaybeSentinel.DEFAULT,
                whitespace_after_arg=cst.SimpleWhitespace(""),
            )
            for i, a in enumerate(args)
        ]
        return updated_node.with_changes(args=flat, whitespace_before_args=cst.SimpleWhitespace(""))


def drop_argument(path: str, tree: cst.Module, name: str, param: str, position: int | None) -> tuple[Rewrite, int]:
    """`tree` without the argument that gives `param` in the calls of `name`, and how many went."""
    dropper = _DropArgument(name, param, position, tree.default_indent)
    new = tree.visit(dropper)
    code = new.code
    return Rewrite(path, new, dropper.count > 0 and code != tree.code, (), code=code), dropper.count


def _documented(param: str) -> re.Pattern[str]:
    """A docstring field for the parameter (`:param x:`, `:param bool x:`, `:type x:`, `:x:`)."""
    return re.compile(rf"^(\s*):(?:param\s+(?:[^:\s]+\s+)?|type\s+)?{re.escape(param)}:")


def _without_field(docstring: cst.SimpleString, param: str) -> cst.SimpleString:
    """The docstring without the lines documenting `param` (and their more-indented sequel)."""
    field = _documented(param)
    lines = docstring.value.split("\n")
    kept: list[str] = []
    dropping: int | None = None
    for line in lines[1:-1] if len(lines) > 2 else ():
        indent = len(line) - len(line.lstrip())
        if dropping is not None and line.strip() and indent > dropping:
            continue
        dropping = None
        found = field.match(line)
        if found:
            dropping = len(found.group(1))
            continue
        kept.append(line)
    if len(lines) <= 2 or len(kept) == len(lines) - 2:
        return docstring
    ended_blank = not lines[-2].strip()
    while kept and not kept[-1].strip() and (not ended_blank or (len(kept) > 1 and not kept[-2].strip())):
        kept.pop()  # the blank line that led into the removed field goes with it
    return docstring.with_changes(value="\n".join([lines[0], *kept, lines[-1]]))


class _DropParameter(cst.CSTTransformer):
    def __init__(self, name: str, param: str, literal: str | None, constants: Constants) -> None:
        super().__init__()
        self.name, self.param, self.literal, self.constants = name, param, literal, constants
        self.done = 0
        self.refused = ""

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if original_node.name.value != self.name:
            return updated_node
        if BindingCounter.of(updated_node.body)[self.param] or "locals" in cst.Module([]).code_for_node(
            updated_node.body
        ):
            self.refused = f"`{self.param}` is rebound or read through locals() inside `{self.name}`"
            return updated_node
        params = _without_param(updated_node.params, self.param)
        if params is None:
            return updated_node
        read: list[bool] = []

        def constant() -> cst.BaseExpression:
            read.append(True)
            return self.constants.make(self.literal or "None")

        body = updated_node.body.visit(ReplaceName(self.param, constant))
        assert isinstance(body, cst.BaseSuite)
        if read and self.literal is None:
            self.refused = f"`{self.name}` still reads `{self.param}`"
            return updated_node
        body = _undocumented(body, self.param)
        self.done += 1
        return updated_node.with_changes(params=params, body=body)


def _undocumented(body: cst.BaseSuite, param: str) -> cst.BaseSuite:
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return body
    first = body.body[0]
    if not is_docstring(first):
        return body
    assert isinstance(first, cst.SimpleStatementLine)
    expression = first.body[0]
    assert isinstance(expression, cst.Expr)
    string = expression.value
    if not isinstance(string, cst.SimpleString):
        return body  # an implicitly concatenated docstring is left as it is
    new = _without_field(string, param)
    if new is string:
        return body
    line = first.with_changes(body=[expression.with_changes(value=new)])
    return body.with_changes(body=[line, *body.body[1:]])


def _without_param(params: cst.Parameters, param: str) -> cst.Parameters | None:
    """`params` without `param`; when it was the last one, the one now last takes its comma and
    spacing (so a magic trailing comma and the closing line stay as they were)."""
    fields = ("posonly_params", "params", "kwonly_params")
    for field in fields:
        group: Sequence[cst.Param] = getattr(params, field)
        for index, item in enumerate(group):
            if item.name.value != param:
                continue
            last = _ordered(params)[-1] is item
            changes: dict[str, object] = {field: [*group[:index], *group[index + 1 :]]}
            if field == "kwonly_params" and len(group) == 1 and isinstance(params.star_arg, cst.ParamStar):
                changes["star_arg"] = cst.MaybeSentinel.DEFAULT  # a bare `*` needs a name after it
            new = params.with_changes(**changes)
            order = _ordered(new)
            if not last or not order or not isinstance(order[-1], cst.Param):
                return new
            tail = order[-1].with_changes(comma=item.comma, whitespace_after_param=item.whitespace_after_param)
            for other in fields:
                items = list(getattr(new, other))
                if items and items[-1] is order[-1]:
                    items[-1] = tail
                    return new.with_changes(**{other: items})
            return new
    return None


def _ordered(params: cst.Parameters) -> list[cst.CSTNode]:
    """The parameters and markers in the order they are written."""
    return [
        *params.posonly_params,
        *([params.posonly_ind] if isinstance(params.posonly_ind, cst.ParamSlash) else []),
        *params.params,
        *([params.star_arg] if not isinstance(params.star_arg, cst.MaybeSentinel) else []),
        *params.kwonly_params,
        *([params.star_kwarg] if params.star_kwarg is not None else []),
    ]


def drop_parameter(path: str, tree: cst.Module, name: str, param: str, literal: str | None) -> Rewrite:
    """`tree` with `param` gone from the definition of `name` and its reads folded as `literal`
    (with None, the parameter must be read nowhere)."""
    constants = Constants()
    dropper = _DropParameter(name, param, literal, constants)
    new = tree.visit(dropper)
    if dropper.refused or dropper.done != 1:
        why = dropper.refused or f"`{name}` has no parameter `{param}` to drop"
        return Rewrite(path, tree, False, (Note(path, 0, None, "review", f"kept `{param}` of `{name}`: {why}"),))

    def kept(names: str) -> Note:
        why = "folding it would change the scope of a name"
        return Note(path, 0, None, "review", f"kept `{param}` of `{name}`: {why}")

    context = FileContext(path, tree, tree, constants, new=new, on_scope_change=kept)
    run_cascade(context, AFTER_SUBSTITUTION)
    if context.stopped:
        return Rewrite(path, tree, False, tuple(context.notes))
    code = context.new_code
    return Rewrite(path, context.current, code != tree.code, tuple(context.fold_notes), code=code)


def unread_parameters(old: str, new: str) -> Iterator[tuple[str, str]]:
    """(function, parameter) for the parameters a rewrite left unread: read in `old`, in a
    function that `new` still has (same chain of enclosing definitions), and read nowhere there.
    `self`/`cls` of a method and `*args`/`**kwargs` are never offered."""
    if not maybe_unread(old, new):
        return
    # Only a function around the changed lines can read less: the others are the same text.
    start, tail = common_frame(old, new)
    first = old.count("\n", 0, start) + 1
    try:
        before = _functions(ast.parse(old), first, old.count("\n", 0, len(old) - tail) + 1)
        after = _functions(ast.parse(new), first, new.count("\n", 0, len(new) - tail) + 1)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return
    for chain, (params, reads) in after.items():
        old_reads = before.get(chain, ((), set()))[1]
        for param in params:
            if param in old_reads and param not in reads:
                yield chain[-1], param


_WORD = re.compile(r"[^\W\d]\w*")
# A def's parameter list, with one level of nested brackets in defaults (a deeper one is not seen:
# the look below then misses a chance, never makes a wrong change).
_HEADER = re.compile(r"\bdef[ \t]+\w+[ \t]*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")


def changed_middle(old: str, new: str) -> tuple[str, str]:
    """The parts of `old` and `new` between their common first and last lines."""
    start, tail = common_frame(old, new)
    return old[start : len(old) - tail], new[start : len(new) - tail]


def maybe_unread(old: str, new: str) -> bool:
    """A cheap look before two parses: some name is mentioned fewer times where the texts differ,
    and is in the parameter list of a `def` in `new`."""
    before, after = changed_middle(old, new)
    old_counts, new_counts = Counter(_WORD.findall(before)), Counter(_WORD.findall(after))
    fewer = {word for word, n in old_counts.items() if new_counts[word] < n and not keyword.iskeyword(word)}
    fewer -= {"self", "cls"}  # never offered (see unread_parameters)
    if not fewer:
        return False
    return any(fewer.intersection(_WORD.findall(header)) for header in _HEADER.findall(new))


def _functions(tree: ast.AST, first: int, last: int) -> dict[tuple[str, ...], tuple[tuple[str, ...], set[str]]]:
    """(parameters, names read) of each function whose lines meet `first`..`last`."""
    found: dict[tuple[str, ...], tuple[tuple[str, ...], set[str]]] = {}
    for chain, function, in_class in functions(tree, first, last):
        args = function.args
        params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        if in_class and params and params[0] in ("self", "cls"):
            params = params[1:]
        reads = {n.id for part in function.body for n in ast.walk(part) if isinstance(n, ast.Name)}
        found[chain] = (tuple(params), reads)
    return found
