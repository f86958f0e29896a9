"""A generated Python corpus for the benchmarks: ordinary modules, 1 in 50 with flag checks."""

from __future__ import annotations

import random
from pathlib import Path

FLAG_KEYS = [f"flag-{n}" for n in range(40)]


def _plain_function(rng: random.Random, n: int) -> str:
    name = f"compute_{n}_{rng.randrange(10_000)}"
    return f'''
def {name}(items: list[int], factor: float = 1.5) -> dict[str, float]:
    """Summarise items; generated code of ordinary shape."""
    total = 0.0
    seen: set[int] = set()
    for index, item in enumerate(items):
        if item in seen:
            continue  # skip duplicates
        seen.add(item)
        total += item * factor if index % 2 else item / factor
    result = {{"total": total, "count": float(len(seen))}}
    try:
        result["mean"] = total / len(seen)
    except ZeroDivisionError:
        result["mean"] = 0.0
    return result
'''


def _plain_class(rng: random.Random, n: int) -> str:
    return f'''

class Service{n}:
    """A service with state and a few methods."""

    retries = {rng.randrange(1, 9)}

    def __init__(self, name: str, limit: int = 10) -> None:
        self.name = name
        self.limit = limit
        self._cache: dict[str, int] = {{}}

    def lookup(self, key: str) -> int | None:
        if key in self._cache:
            return self._cache[key]
        value = len(key) * self.limit
        self._cache[key] = value
        return value

    def __repr__(self) -> str:
        return f"Service{n}({{self.name!r}}, limit={{self.limit}})"
'''


def _flag_function(rng: random.Random, n: int) -> str:
    key = rng.choice(FLAG_KEYS)
    return f'''
def handler_{n}(request, client) -> str:
    if client.is_enabled("{key}", {{"userId": request.user}}):
        return "new path {n}"
    if client.is_enabled(FLAG_CONSTANT):
        return "constant path"
    return "old path {n}"
'''


def module_text(rng: random.Random, with_flags: bool, decoy: bool) -> str:
    parts = ['"""Generated module."""\n', "from __future__ import annotations\n", "import json\nimport os\n"]
    if with_flags:
        parts.append("import UnleashClient\nfrom bench_app.flag_keys import FLAG_CONSTANT\n")
    for n in range(12):
        parts.append(_plain_function(rng, n) if n % 3 else _plain_class(rng, n))
        if with_flags and n % 3 == 1:
            parts.append(_flag_function(rng, n))
    if decoy:  # a pattern name with no flag in it: passes the prefilter, yields nothing
        parts.append("\n\ndef toggle(widget):\n    return widget.is_enabled()\n")
    return "".join(parts)


def make_corpus(root: Path, files: int = 2_400, seed: int = 7) -> tuple[int, int]:
    """Write the corpus under root; return (files, lines)."""
    rng = random.Random(seed)
    lines = 0
    package = root / "bench_app"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "flag_keys.py").write_text('FLAG_CONSTANT = "flag-constant"\n', encoding="utf-8")
    for n in range(files):
        folder = package / f"pkg{n // 100}"
        folder.mkdir(exist_ok=True)
        text = module_text(rng, with_flags=n % 50 == 0, decoy=n % 100 == 37)
        (folder / f"module_{n}.py").write_text(text, encoding="utf-8")
        lines += text.count("\n")
    return files + 2, lines + 1
