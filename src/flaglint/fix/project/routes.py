"""Route names (`path(..., name="x")`) that other files of the project spell."""

from __future__ import annotations

import ast
import itertools
import re

from flaglint.fix.base import quoted_names
from flaglint.fix.texts import Texts


def _truthy(literal: str | None) -> bool:
    return literal is not None and bool(ast.literal_eval(literal))


_ROUTE_NAME = re.compile(r"""\bname\s*=\s*["']([\w.-]+)["']""")


def route_names_used(texts: Texts, rel: str, text: str) -> set[str]:
    """The names given in `rel` (`path(..., name="x")`) that another file of the project spells
    as a string: Python (`reverse("x")`, `redirect("app:x")`) or a template (`{% url 'x' %}`)."""
    names = set(_ROUTE_NAME.findall(text))
    if not names:
        return set()
    spelt = quoted_names(names)
    used: set[str] = set()
    others = ((other, body) for other, body, _ in texts.containing(*names) if other != rel)
    for _, body in itertools.chain(others, texts.templates(*names)):
        used.update(spelt.findall(body))
    return used
