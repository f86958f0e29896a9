"""MkDocs hook: fill the pages' generated tables from flaglint's own rule and pattern tables."""

from __future__ import annotations

from typing import Any

from flaglint.faces.docs import expand


def on_page_markdown(markdown: str, **_: Any) -> str:
    return expand(markdown)
