"""The retired flags' declarations: registry.code entries, flag objects, settings, key constants."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet

from flaglint.engine.config import Config
from flaglint.engine.resolve import Definition
from flaglint.engine.workspace import Workspace
from flaglint.fix.base import TEST_FILE, Note
from flaglint.fix.definitions import remove_definitions
from flaglint.fix.project.unused import named_at, remove_unused
from flaglint.fix.texts import Texts
from flaglint.model import Problem


def remove_declarations(
    config: Config,
    values: Mapping[str, str | None],
    texts: Texts,
    notes: list[Note],
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> dict[str, list[str]]:
    """The retired flags' entries in the code that declares the project's flags (registry.code);
    returns, per file, the constants those entries named (removed next, once nothing names them).
    """
    from flaglint.engine.scan import parse
    from flaglint.registry.code import remove_declared

    named: dict[str, list[str]] = {}
    for rel, name in config.declarations:
        found = texts.text(rel)
        if isinstance(found, Problem) or not any(key in found[0] for key in values):
            continue
        tree = parse(rel, found[0])
        if isinstance(tree, Problem):
            continue
        kept = {member for path, member in keep if path == rel}
        new_tree, removed, constants = remove_declared(rel, found[0], tree, name, values, kept)
        if removed:
            texts.edits[rel] = (new_tree.code, found[1])
            named.setdefault(rel, []).extend(constants)
            for key in removed:
                notes.append(Note(rel, 0, key, "declaration", f"removed the declaration of {key!r} from {name}"))
    return named


def remove_objects(
    workspace: Workspace,
    texts: Texts,
    made: Iterable[Definition],
    notes: list[Note],
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> None:
    """Delete the retired flags' objects (`X = WaffleSwitch("k", ...)` and the comments above it)
    once the fold left nothing naming X: any mention of the word anywhere counts, since a flag
    object is reached in ways a module's name does not show (`settings.X` for a settings module).
    """
    by_file: dict[str, dict[str, str]] = {}
    for site in made:
        rel = workspace.module_file(site.module)
        if rel is not None:
            by_file.setdefault(rel, {})[site.name] = site.value
    for rel, names in sorted(by_file.items()):
        gone = set(remove_unused(texts, rel, sorted(names), strict=True, keep=keep))
        for name, key in sorted(names.items()):
            if name in gone:
                notes.append(Note(rel, 0, key, "declaration", f"removed `{name}`, the flag object of {key!r}"))
            else:
                where = named_at(texts, rel, name, strict=True)
                message = f"`{name}`, the flag object of {key!r}, is still named{where}; kept"
                notes.append(Note(rel, 0, key, "review", message))


def holder_setting(key: str) -> str | None:
    """The setting a flag named by what holds its key is read from (`settings.X_FLAG_KEY`:
    X_FLAG_KEY), or None when `key` is not spelt so (a plain key, a parameter's name)."""
    head, _, last = key.rpartition(".")
    return last if head and last.isidentifier() and last.isupper() else None


def remove_settings(
    texts: Texts, keys: Sequence[str], notes: list[Note], keep: AbstractSet[tuple[str, str]] = frozenset()
) -> None:
    """A retired flag read as a setting (an attribute pattern: `settings.ENABLE_X`) is defined by
    `ENABLE_X = ...` at the top of the settings modules: those lines go, with the comments that
    speak of them, once nothing else names the setting - any mention in another Python file, in
    a settings module beyond its own definition, or in a template keeps all of them."""
    from flaglint.engine.scan import parse

    for key in keys:
        word = re.escape(key)
        define = re.compile(rf"^{word}[ \t]*(?::[^=\n]*)?=(?!=)", re.M)
        found = list(texts.containing(key))
        sites = {rel: (text, encoding) for rel, text, encoding in found if define.search(text)}
        if not sites or any((rel, key) in keep for rel in sites):
            continue
        mention = re.compile(rf"\b{word}\b")
        others = [
            rel for rel, text, _ in found if mention.search(_without_setting(text, key) if rel in sites else text)
        ]
        others += [rel for rel, text in texts.templates(key) if mention.search(text)]
        if others:
            for rel in sorted(sites):
                notes.append(Note(rel, 0, key, "review", f"setting `{key}` is still named in {others[0]}; kept"))
            continue
        for rel, (text, encoding) in sorted(sites.items()):
            tree = parse(rel, text)
            if isinstance(tree, Problem):
                continue
            new_tree, removed = remove_definitions(tree, [key], imports=True)
            if removed:
                texts.edits[rel] = (new_tree.code, encoding)
                notes.append(Note(rel, 0, key, "declaration", f"removed setting `{key}`"))


def _without_setting(text: str, key: str) -> str:
    """A settings module's text without its top-level assignments of `key`, however many lines
    they take (`X = env.bool(` on one line, `"X", default=False)` on the next), and the comment
    lines right above them."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text
    lines = text.splitlines(keepends=True)
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == key for t in targets):
            first = node.lineno - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            for index in range(first, node.end_lineno or node.lineno):
                lines[index] = "\n"
    return "".join(lines)


def key_constants(texts: Texts, values: Mapping[str, str | None], symbols: AbstractSet[str]) -> dict[str, list[str]]:
    """Module-level constants that spell a retired key (`NEW_HEADER = "new-header"`) in a module
    of key constants: one that defines a name some flag check uses (or, earlier in the same run,
    used) as its key. Nothing may check the flag any more (or never did): the constant goes when
    nothing names it.
    """
    found: dict[str, list[str]] = {}
    if not symbols:
        return found
    for key in values:
        quoted = re.escape(key)
        spelled = re.compile(rf"^([^\W\d]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*(['\"]){quoted}\2[ \t]*(?:#.*)?$", re.M)
        for rel, text, _ in texts.containing(key):
            if TEST_FILE.search(rel):
                continue
            names = [m.group(1) for m in spelled.finditer(text)]
            constants = set(re.findall(r"^([^\W\d]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*['\"]", text, re.M))
            if names and constants & symbols:
                found.setdefault(rel, []).extend(names)
    return found
