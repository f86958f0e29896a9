"""Private helpers the fold left without a caller: `def _install_fast_path(self)` called only from
the branch that went. They served the flag and go with it (replay cause: code that only served
the flag).

A helper qualifies when its name is private (`_name`, not a dunder), defined at module level or
in a top-level class of a file the checks' pass rewrote, the rewrite removed a mention of it, and
nothing in the project names it any more (`remove_unused` judges that; the use index checks it
again and keeps what is still named). A private module-level function without decorators whose
own body the rewrite changed (it held a retired check) and that nothing names goes too: with no
caller before either, the check was all it still carried. A module that reaches its own names dynamically
(`getattr(obj, name)` with a computed name, `globals()`, `__getattr__`) keeps its helpers.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet

from flaglint.engine.source import common_frame, decode, without_prose
from flaglint.fix.base import Note
from flaglint.fix.project.unused import remove_unused
from flaglint.fix.texts import Texts
from flaglint.model import Problem

_DYNAMIC = re.compile(r"\bgetattr\([^,()\n]*,\s*(?![\"'])|\bglobals\(\)|\bvars\(|__getattr__|__getattribute__")
_ROUNDS = 3  # a helper that went may leave the helpers only it called: a few rounds reach them


def remove_orphans(
    texts: Texts, rewritten: Mapping[str, str], notes: list[Note], keep: AbstractSet[tuple[str, str]]
) -> set[str]:
    """Delete the private helpers the rewrite of each file in `rewritten` (file -> its text before
    the plan) left unnamed; the files changed."""
    changed: set[str] = set()
    for rel, before in sorted(rewritten.items()):
        for _ in range(_ROUNDS):
            found = texts.text(rel)
            if isinstance(found, Problem):
                break
            frame = common_frame(before, found[0])  # (common head, common tail): where the rewrite changed it
            holders = set(_uncalled_holders(before, found[0], frame))
            candidates = sorted({*_fewer_mentions(before, found[0], frame), *holders})
            if candidates and any(map(_DYNAMIC.search, (found[0], before))):
                break
            gone = remove_unused(texts, rel, candidates, keep=keep, imports=True) if candidates else []
            if not gone:
                break
            changed.add(rel)
            for name in gone:
                why = f"removed `{name}`: the retired flag's branch was its only caller"
                if name in holders:
                    why = f"removed `{name}`: nothing calls it, and the retired flag's check was what it held"
                notes.append(Note(rel, 0, None, "helper", why))
    return changed


_PRIVATE_WORD = re.compile(r"\b_\w+")


def _fewer_mentions(before: str, after: str, frame: tuple[int, int]) -> Iterator[str]:
    """The private helpers of `after` (`_name`, `Class._name`) named fewer times than before: the
    private words the changed lines lost first (cheap: most rewrites lose none), then tokens."""
    start, tail = frame
    old_words = Counter(_PRIVATE_WORD.findall(before, start, len(before) - tail))
    new_words = Counter(_PRIVATE_WORD.findall(after, start, len(after) - tail))
    lost = [word for word, count in old_words.items() if new_words[word] < count]
    if not any(f"def {word}(" in after for word in lost):  # a helper of that name is still defined
        return
    try:
        tree = ast.parse(after)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    old, new = without_prose(before), without_prose(after)
    for qualified, short in _helpers(tree):
        word = re.compile(rf"\b{re.escape(short)}\b")
        if len(word.findall(new)) < len(word.findall(old)):
            yield qualified


_TOP_PRIVATE_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(_\w+)[ \t]*\(", re.M)


_TOP_LEVEL = re.compile(r"^[\w@]", re.M)  # a line that starts a module-level statement


def _uncalled_holders(before: str, after: str, frame: tuple[int, int]) -> Iterator[str]:
    """The private module-level functions (undecorated) whose text the rewrite changed and whose
    name the module spells only where it defines it (cheap: only a function whose lines reach the
    changed part of the text is looked at, a word count first, a parse only for such a function)."""
    start, tail = frame
    end = len(after) - tail
    lonely = []
    for found in _TOP_PRIVATE_DEF.finditer(after, 0, end):
        following = _TOP_LEVEL.search(after, found.end())
        if following is not None and following.start() <= start:
            continue  # it ends before the change
        name = found.group(1)
        if _private(name) and len(re.findall(rf"\b{re.escape(name)}\b", after)) == 1:
            lonely.append(name)
    if not lonely:
        return
    try:
        new, old = ast.parse(after), ast.parse(before)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    was = {n.name: n for n in old.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in new.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.decorator_list:
            continue
        if node.name not in lonely or node.name not in was:
            continue
        if ast.get_source_segment(after, node) != ast.get_source_segment(before, was[node.name]):
            yield node.name  # the rewrite changed it


def _helpers(tree: ast.Module) -> Iterator[tuple[str, str]]:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(node.name):
            yield node.name, node.name
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(member.name):
                    yield f"{node.name}.{member.name}", member.name


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def texts_before(texts: Texts, files: AbstractSet[str]) -> dict[str, str]:
    """Each file's text as it is on disk (before this plan's edits)."""
    found: dict[str, str] = {}
    for rel in files:
        raw = texts.raw(rel)
        text = decode(rel, raw) if raw is not None else None
        if isinstance(text, str):
            found[rel] = text
    return found
