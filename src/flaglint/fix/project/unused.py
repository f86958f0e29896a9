"""Definitions that nothing in the project names any more, and where one still is named."""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import PurePosixPath

from flaglint.engine.source import without_prose
from flaglint.fix.definitions import remove_definitions
from flaglint.fix.texts import Texts
from flaglint.model import Problem


def named_at(texts: Texts, rel: str, name: str, *, strict: bool = False) -> str:
    """ " in path:line" of the first place outside `rel` that names the definition `name` of `rel`
    (as `remove_unused` judges it), else " in this module".
    """
    found = _naming_elsewhere(texts, rel, name, strict=strict)
    if found is None:
        return " in this module"
    other_rel, other, match = found
    return f" in {other_rel}:{other.count(chr(10), 0, match.start()) + 1}"


def _naming_elsewhere(
    texts: Texts, rel: str, name: str, *, strict: bool = False
) -> tuple[str, str, re.Match[str]] | None:
    """(file, its text, the mention) of the first file other than `rel` that may name the
    definition `name` of `rel`, comments and docstrings aside (`strict`: any mention of the word);
    None when none does.
    """
    short = name.rsplit(".", 1)[-1]
    pattern = re.compile(rf"\b{re.escape(short)}\b")
    module = None if "." in name or strict else _module_word(rel)
    for other_rel, other, _ in texts.containing(short):
        if other_rel != rel:
            match = _naming(other if strict else without_prose(other), pattern, module)
            if match is not None:
                return other_rel, other, match
    return None


def remove_unused(
    texts: Texts,
    rel: str,
    names: Sequence[str],
    *,
    strict: bool = False,
    keep: AbstractSet[tuple[str, str]] = frozenset(),
    imports: bool | None = None,
) -> list[str]:
    """Delete the definitions `names` (`NAME`, `Class.MEMBER`, functions) from `rel` when nothing in
    the project names them any more: their own definition is their only mention anywhere, and
    the use index did not ask to `keep` them. `imports` (default: `strict`): the imports only
    they used go too.
    """
    from flaglint.engine.scan import parse

    found = texts.text(rel)
    if isinstance(found, Problem):
        return []
    text, encoding = found
    unused = []
    for name in sorted(set(names) - {kept for path, kept in keep if path == rel}):
        short = name.rsplit(".", 1)[-1]
        pattern = re.compile(rf"\b{re.escape(short)}\b")
        # `NAME = "NAME"`: the definition's own line names it once, however often it spells it.
        word = re.escape(short)
        own = re.compile(rf"^[ \t]*(?:{word}[ \t]*(?::[^=\n]*)?=(?!=)|(?:async[ \t]+)?def[ \t]+{word}\b).*$", re.M)
        if strict:  # the comments right above a flag object go with it (`# .. toggle_name: NAME`)
            own = re.compile(rf"(?:^[ \t]*#.*\n)*{own.pattern}", re.M)
        elsewhere = own.sub("", text if strict else without_prose(text), count=1)
        if (
            own.search(text)
            and not pattern.search(elsewhere)
            and _naming_elsewhere(texts, rel, name, strict=strict) is None
        ):
            unused.append(name)
    tree = parse(rel, text) if unused else None
    if tree is None or isinstance(tree, Problem):
        return []
    new_tree, removed = remove_definitions(tree, unused, imports=strict if imports is None else imports)
    if removed:
        texts.edits[rel] = (new_tree.code, encoding)
    return removed


def _module_word(rel: str) -> str:
    """The name a module's importers use for it: its file's stem, or its package's folder."""
    path = PurePosixPath(rel)
    return path.parent.name if path.stem == "__init__" else path.stem


_QUALIFIER = re.compile(r"(\w+)\s*\.\s*\Z")


def _naming(text: str, pattern: re.Pattern[str], module: str | None) -> re.Match[str] | None:
    """The first mention in `text` that may name the definition `pattern` finds. For a
    module-level name (`module` given), `other.NAME` counts only when `other` may be that module
    (its name, or an alias imported for it): `settings.ENABLE_X` is another object's attribute.
    """
    for found in pattern.finditer(text):
        qualifier = _QUALIFIER.search(text, max(0, found.start() - 80), found.start())
        if module is None or qualifier is None:
            return found
        word = qualifier.group(1)
        if word == module or re.search(rf"\b{re.escape(module)}\s+as\s+{re.escape(word)}\b", text):
            return found
    return None
