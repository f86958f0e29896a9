"""Statements and blocks: dead branches, unreachable code, emptied blocks, assignments the
fold made constant."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from flaglint.fix.base import Note, _overwrites, is_terminator, leading_lines, opening_kept, plain_test, single_store
from flaglint.fix.retire.core import RetireCore
from flaglint.model import RefKind

# Words that say a key is a flag rather than what it is about (`USE_X`, `x_enabled`).
_FLAG_WORDS = frozenset({"use", "enable", "enabled", "disable", "disabled", "is", "has", "feature", "flag", "switch"})


def key_phrase(key: str) -> str | None:
    """A pattern for a key's own words as prose, when two or more are left once the words that
    only say "flag" are taken off its ends (one word alone is too common to tell)."""
    name = key.rsplit(".", 1)[-1]
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]
    while words and words[0] in _FLAG_WORDS:
        words.pop(0)
    while words and words[-1] in _FLAG_WORDS:
        words.pop()
    if len(words) < 2:
        return None
    return r"\b" + r"[\s_-]+".join(map(re.escape, words)) + r"\b"


class Prune(RetireCore):
    """Statements and blocks: dead branches, unreachable code, emptied blocks, assignments the"""

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
        statements[0] = statements[0].with_changes(leading_lines=[*lines, *leading_lines(statements[0])])
        if trailing:
            self.state.after[id(statements[-1])] = trailing
        for statement in statements:
            self.state.spliced[id(statement)] = statement
        return statements

    def _dropped(self, *parts: cst.CSTNode | None) -> None:
        """Record code being deleted: if it binds a name, deleting it can change a scope (worked
        out only when the scope check may run)."""
        self.state.dropped.extend(part for part in parts if part is not None)

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
        if node.orelse is None and self._only_padding(node.body) and plain_test(node.test):
            return self._flatten([])  # `if request: pass` once the fold emptied it: nothing to decide
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
        """Whether a comment names a retired flag: its key, its key constant, or the key's words
        written as prose (`USE_LEARNER_RECORD_MFE`: "the Learner Record MFE")."""
        if self._retired_words is None:
            keys = [re.escape(k) for k in self.values if k]
            symbols = {r.key_symbol.rsplit(".", 1)[-1] for r in self.state.refs.values() if r.key_symbol}
            words = [rf"(?<![\w-]){k}(?![\w-])" for k in keys] + [rf"\b{re.escape(n)}\b" for n in symbols]
            words += [f"(?i:{phrase})" for phrase in map(key_phrase, self.values) if phrase]
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
            terminates = spliced and is_terminator(statement)
            if spliced and out and _overwrites(out[-1], statement, self.state.guarded > 0):
                # `x = None` then, from the live branch, `x = v`: the first store is dead.
                dead = out.pop()
                statement = statement.with_changes(leading_lines=[*leading_lines(dead), *leading_lines(statement)])
                self._changed()
            if carry:
                statement = statement.with_changes(leading_lines=[*carry, *leading_lines(statement)])
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
        body = list(opening_kept(original_node.body, body)) if body else [self._pad()]
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
        stored = single_store(store)
        returned = m.SimpleStatementLine(body=[m.Return(value=m.Name())])
        if stored is None or not m.matches(last, returned) or last.body[0].value.value != stored[0]:  # type: ignore[attr-defined]
            return body
        ending = cst.Module([]).code_for_node(last).strip()
        for before, after in itertools.pairwise(original):
            author = single_store(before)  # the author's own `x = ...` / `return x`
            if author is not None and author[0] == stored[0] and cst.Module([]).code_for_node(after).strip() == ending:
                return body
        if re.search(r"\b(?:global|nonlocal)\b", cst.Module([]).code_for_node(self.state.functions[-1].node)):
            return body
        self._changed()
        comments = [line for line in leading_lines(last) if line.comment is not None]
        merged = last.with_changes(
            body=[last.body[0].with_changes(value=stored[1])],  # type: ignore[attr-defined]
            leading_lines=[*leading_lines(store), *comments],
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
