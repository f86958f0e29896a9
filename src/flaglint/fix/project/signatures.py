"""Parameters the fold left without a choice: every caller passes one constant, or nothing reads it."""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from flaglint.engine.workspace import discover
from flaglint.fix.base import TEST_FILE, Note
from flaglint.fix.texts import Texts
from flaglint.model import Problem

if TYPE_CHECKING:
    import libcst as cst

    from flaglint.fix.parameters import Definition as ParameterHome

_PARAMETER_FILES = 200  # files naming a function past which its parameters are left alone


def _drop_parameter(
    texts: Texts, name: str, where: str, literal: str | None, unsafe: bool, notes: list[Note]
) -> dict[str, str]:
    """A parameter of `name` that the fold left without a choice: every caller now
    passes the constant `literal` to it (`where`: a keyword, or `#N` for a position), or, with
    `literal` None, the function no longer reads it (`where` is its name). It goes when the one
    definition of `name` in the project's code has it and every use of `name` outside tests is
    a call that passes that constant (or, for an unread one, passes nothing whose evaluation
    matters); the argument goes from every call, the parameter from the definition, its reads
    fold. Uses in tests are listed. An unsafe fix, but for a private function (`_name`) that no
    test names. Returns the files changed, with their text before.
    """
    from libcst.metadata import MetadataWrapper

    from flaglint.engine.scan import parse
    from flaglint.fix.parameters import constant_given, drop_argument, drop_parameter, droppable_given, survey

    word = re.compile(rf"\b{re.escape(name)}\b")
    defined = re.compile(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", re.M)
    mentions = [(rel, text, encoding) for rel, text, encoding in texts.containing(name) if word.search(text)]
    # A look before any parse: most arguments go to functions the project does not define
    # (a framework's `render`), and a name in many files is not worth a LibCST parse of each.
    defining = [rel for rel, text, _ in mentions if not TEST_FILE.search(rel) and defined.search(text)]
    if not defining:
        return {}
    if len(mentions) > _PARAMETER_FILES:
        why = f"`{name}` is named in {len(mentions)} files: its parameters were not looked at"
        notes.append(Note(defining[0], 0, None, "review", why))
        return {}
    trees: dict[str, cst.Module] = {}
    wrapped: dict[str, MetadataWrapper] = {}  # positions worked out once per file, for both looks
    before: dict[str, tuple[str, str]] = {}
    for rel, text, encoding in mentions:
        tree = parse(rel, text)
        if isinstance(tree, Problem):
            return {}
        trees[rel], before[rel] = tree, (text, encoding)
        wrapped[rel] = MetadataWrapper(tree, unsafe_skip_copy=True)
    found = {rel: survey(tree, name, "", droppable_given, None).definitions for rel, tree in wrapped.items()}
    defs = [(rel, d) for rel, ds in found.items() for d in ds if not TEST_FILE.search(rel)]
    homes = [(rel, d) for rel, d in defs if _takes(d, where)]
    if len(homes) != 1:
        return {}
    home, definition = homes[0]
    rivals = [d for rel, d in defs if d is not definition]
    if rivals and (not definition.bound or any(d.bound for d in rivals)):
        return {}  # which definition a call reaches is not known from its name
    if definition.decorated or (literal is None and not definition.private):
        return {}  # a decorator or a framework may call it with that parameter
    param = definition.positional[int(where[1:])] if where.startswith("#") else where
    accept = droppable_given if literal is None else constant_given(ast.literal_eval(literal))
    position = definition.positional.index(param) if param in definition.positional else None
    in_tests: list[str] = []
    agreeing = 0
    default = _default_of(before[home][0], definition.line, param) if literal is not None else None
    for rel, wrapper in wrapped.items():
        seen = survey(wrapper, name, param, accept, definition, functions_too=bool(rivals))
        tested = TEST_FILE.search(rel) is not None
        if seen.others and not tested:
            return {}  # a caller still passes something else, or the name is used another way
        if tested and literal is not None and default != ast.literal_eval(literal):
            # a call that leaves the parameter out relies on its default: a use of the default
            relying = survey(wrapper, name, param, lambda given: given is None, definition, functions_too=bool(rivals))
            if relying.agreeing:
                why = f"{_what_of(name, param, literal)}, but {rel} calls it without `{param}` (its default); kept"
                notes.append(Note(home, definition.line, None, "review", why))
                return {}
        if tested:
            own = [d.line for d in seen.definitions if _takes(d, param)]  # a fake of the method, say
            in_tests.extend(f"{rel}:{line}" for line in (*seen.others, *own))
        else:
            agreeing += seen.agreeing
    if not agreeing:
        return {}  # no call in the project's code (tests aside): whatever calls it is elsewhere
    what = _what_of(name, param, literal)
    hidden = _named_in_left_out(texts, name)
    if hidden is not None:
        notes.append(Note(home, definition.line, None, "review", f"{what}, but {hidden} (excluded) names it; kept"))
        return {}
    # A private function that only the project calls, and no test: nothing outside can see the change.
    provable = name.startswith("_") and not in_tests
    if not unsafe and not provable:
        message = f"{what}: drop the parameter (--unsafe-fixes)"
        notes.append(Note(home, definition.line, None, "unsafe-skipped", message))
        return {}
    changed: dict[str, str] = {}
    for rel, tree in trees.items():
        done, count = drop_argument(rel, tree, name, param, position)
        if count and done.changed:
            texts.edits[rel] = (done.code, before[rel][1])
            changed[rel] = before[rel][0]
            trees[rel] = done.tree
    done = drop_parameter(home, trees[home], name, param, literal)
    notes.extend(done.notes)
    if done.changed:
        texts.edits[home] = (done.code, before[home][1])
        changed[home] = before[home][0]
        kind = "signature" if provable else "unsafe-applied"
        notes.append(Note(home, definition.line, None, kind, f"{what}: dropped the parameter"))
    elif changed:  # the calls lost an argument the definition still takes: undo them
        for rel in changed:
            texts.edits[rel] = before[rel]
        return {}
    if in_tests:
        message = f"tests still use `{param}` of `{name}`: {', '.join(in_tests[:5])}"
        notes.append(Note(home, definition.line, None, "review", message))
    return changed


def _what_of(name: str, param: str, literal: str | None) -> str:
    """What the fold made of a parameter, in words."""
    return f"every call of `{name}` passes `{param}={literal}`" if literal else f"`{name}` no longer reads `{param}`"


_NO_DEFAULT = object()


def _default_of(text: str, line: int, param: str) -> object:
    """The literal default of `param` in the `def` at `line` (a marker when it has none or it is
    not a literal)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return _NO_DEFAULT
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and line in (
            node.lineno,
            *(d.lineno for d in node.decorator_list),
        ):
            arguments = node.args
            positional = [*arguments.posonlyargs, *arguments.args]
            pairs = list(zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True))
            pairs += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is not None]
            for argument, value in pairs:
                if argument.arg == param:
                    try:
                        return ast.literal_eval(value)
                    except ValueError:
                        return _NO_DEFAULT
    return _NO_DEFAULT


def _named_in_left_out(texts: Texts, name: str) -> str | None:
    """The first Python file the settings exclude (`exclude`) that names `name`, or None."""
    config = texts.workspace.config
    if not config.exclude:
        return None
    root = texts.workspace.root
    everything, _ = discover(root, [root], dataclasses.replace(config, exclude=()))
    listed = set(texts.files)
    word = re.compile(rf"\b{re.escape(name)}\b")
    for rel in everything:
        if rel not in listed:
            data = texts.raw(rel)
            if data is not None and word.search(data.decode("utf-8", "replace")):
                return rel
    return None


def drop_parameters(
    texts: Texts,
    candidates: Iterable[tuple[str, str, str | None]],
    unsafe: bool,
    notes: list[Note],
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> set[str]:
    """Drop the parameters the fold left without a choice, and then those that dropping an
    argument left unread in the callers (a parameter passed only down to the one that went)."""
    from flaglint.fix.parameters import unread_parameters

    pending = list(dict.fromkeys(candidates))
    tried: set[tuple[str, str, str | None]] = set()
    changed: set[str] = set()
    while pending and len(tried) < 50:
        candidate = pending.pop(0)
        if candidate in tried:
            continue
        tried.add(candidate)
        name, where, _ = candidate
        if any(kept == f"{name}({where})" or kept.endswith(f".{name}({where})") for _, kept in keep):
            continue
        done = _drop_parameter(texts, *candidate, unsafe, notes)
        changed.update(done)
        for rel, old in done.items():
            pending.extend((name, param, None) for name, param in unread_parameters(old, texts.edits[rel][0]))
    return changed


def _takes(definition: ParameterHome, where: str) -> bool:
    """Whether a definition has the parameter a call gave by keyword or at position `#N`."""
    if where.startswith("#"):
        return int(where[1:]) < len(definition.positional)
    return where in definition.names
