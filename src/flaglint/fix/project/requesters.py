"""Tests, fixtures and classes that request a fixture the rewrite removed go with it (unsafe)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from flaglint.fix.base import Note
from flaglint.fix.texts import Texts, left_out
from flaglint.model import Problem


def _remove_requesters(texts: Texts, fixtures: Mapping[str, Sequence[str]], notes: list[Note]) -> set[str]:
    """Tests, fixtures and classes that request a fixture the rewrite removed (it pinned a
    retired flag to its discarded value) are removed too, and so on for fixtures removed that way:
    without them pytest would fail with "fixture not found". Only where a conftest.py fixture is
    seen (its folder) or in the fixture's own module. When a removed fixture (or test helper
    method, whose callers the rewrite removed with it) is still named anywhere afterwards, every
    rewrite of this step that removed one is undone instead: a broken test suite is worse than a
    kept fixture. Returns the files whose text changed here.
    """
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import remove_requesters

    before = {rel: texts.edits.get(rel) for rel in texts.files}
    queue = [(rel, name) for rel, names in fixtures.items() for name in names]
    gone: set[tuple[str, str]] = set()
    found: list[Note] = []
    while queue:
        origin, name = queue.pop()
        if (origin, name) in gone:
            continue
        gone.add((origin, name))
        folder = PurePosixPath(origin).parent if PurePosixPath(origin).name == "conftest.py" else None
        for rel, text, encoding in list(texts.containing(name)):
            if rel != origin and (folder is None or not PurePosixPath(rel).is_relative_to(folder)):
                continue
            tree = parse(rel, text)
            if isinstance(tree, Problem):
                continue
            new_tree, removed = remove_requesters(tree, [name])
            if not removed:
                continue
            texts.edits[rel] = (new_tree.code, encoding)
            for qualified, line, fixture in removed:
                why = f"removed `{qualified}`: it requests fixture `{name}`, removed with its flag"
                found.append(Note(rel, line, None, "unsafe-applied", why))
                if fixture:
                    queue.append((rel, qualified.rsplit(".", 1)[-1]))
    names = sorted({name for _, name in gone})
    mentions = [re.compile(rf"\b{name}\b") for name in names]
    left = [rel for rel, text, _ in texts.containing(*names) if any(p.search(text) for p in mentions)]
    folders = {PurePosixPath(rel).parent for rel in fixtures if PurePosixPath(rel).name == "conftest.py"}
    left += [rel for rel, text in left_out(texts, folders) if any(p.search(text) for p in mentions)]
    if not left:
        notes.extend(found)
        return {rel for rel, old in before.items() if texts.edits.get(rel) != old}
    for rel, old in before.items():
        if rel in fixtures or texts.edits.get(rel) != old:
            if rel in fixtures or old is None:
                texts.edits.pop(rel, None)
            else:
                texts.edits[rel] = old
    notes[:] = [note for note in notes if note.path not in fixtures]
    for rel in fixtures:
        message = f"left unchanged: removing `{fixtures[rel][0]}` would leave it named in {left[0]}"
        notes.append(Note(rel, 0, None, "error", message))
    return set(fixtures)
