"""Project-wide removals over one module: definitions nothing names, requesters of removed
fixtures, clean-up of released model rows, calls of functions that return a constant."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

from flaglint.fix.base import (
    Constants,
    KeepBlankLines,
    KeepConstants,
    Note,
    Rewrite,
    _pure,
    is_fixture,
    only_calls_super,
)
from flaglint.fix.imports import drop_new_unused_imports
from flaglint.model import ModuleName


def release(tree: cst.Module, names: Iterable[tuple[str, str]]) -> cst.Module:
    """Without the `self.row.delete()` statements (anywhere) and `row.delete()` statements (in
    the function named with it) of the model rows whose pin went, as `(function, local)` or
    `("", attribute)` pairs; a method left only calling the same method of its parent goes too.
    """
    wanted = set(names)
    delete = m.Expr(m.Call(func=m.Attribute(attr=m.Name("delete")), args=[]))

    class Release(KeepBlankLines):
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
            if self.emptied.pop() and only_calls_super(updated_node):
                return cst.RemoveFromParent()
            return updated_node

    return tree.visit(Release())


def remove_definitions(
    tree: cst.Module, names: Iterable[str], *, imports: bool = False
) -> tuple[cst.Module, list[str]]:
    """Delete module constants, functions, classes and class/enum members (`NAME`, `Class.MEMBER`)
    named in `names`; with `imports`, also the imports only they used.
    """
    wanted = set(names)
    removed: list[str] = []

    class Remover(KeepBlankLines):
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

        def leave_ClassDef(
            self, original_node: cst.ClassDef, updated_node: cst.ClassDef
        ) -> cst.ClassDef | cst.RemovalSentinel:
            qualified = ".".join(self.prefix)
            self.prefix.pop()
            if qualified in wanted:
                removed.append(qualified)
                return cst.RemoveFromParent()
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
            target: cst.BaseExpression | None = None
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign):
                target, value = small.target, small.value
            if isinstance(target, cst.Name):
                qualified = ".".join([*self.prefix, target.value])
                if qualified in wanted:
                    removed.append(qualified)
                    if _heads_a_group(original_node, target.value, value):
                        self._headers.add(id(original_node))
                    return cst.RemoveFromParent()
            return updated_node

    new = tree.visit(Remover())
    if imports and removed:
        new = drop_new_unused_imports(tree.code, new, new.code)
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

    class Remover(KeepBlankLines):
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
        new = drop_new_unused_imports(old_code, new, new.code)
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


class _InlineCalls(KeepConstants):
    """Replace calls of functions known to return a constant (by qualified name) with the constant."""

    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, targets: Mapping[str, str], module: ModuleName, constants: Constants) -> None:
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
    constants = Constants()
    inliner = _InlineCalls(targets, module, constants)
    new = MetadataWrapper(tree, unsafe_skip_copy=True).visit(inliner)
    notes = [
        Note(path, 0, None, "review", f"kept `{call}`: its arguments may have side effects") for call in inliner.kept
    ]
    if not inliner.inlined:
        return Rewrite(path, tree, False, tuple(notes)), 0
    from flaglint.fix.cascade import AFTER_SUBSTITUTION, FileContext, run_cascade

    def left_unchanged(names: str) -> Note:
        return Note(path, 0, None, "error", "left unchanged: inlining would change the scope of a name")

    context = FileContext(path, tree, tree, constants, new=new, notes=notes, on_scope_change=left_unchanged)
    run_cascade(context, AFTER_SUBSTITUTION)
    if context.stopped:
        return Rewrite(path, tree, False, tuple(context.notes)), 0
    code = context.new_code
    return Rewrite(path, context.current, code != tree.code, tuple(context.notes), code=code), inliner.inlined
