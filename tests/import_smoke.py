"""Import every named module of a project and print which ones import, as JSON.

Run as `python tests/import_smoke.py ROOT MODULE...` with ROOT first on `sys.path`. Packages the
project uses but this interpreter lacks (django, waffle, UnleashClient, ...) are stood in for by
permissive stubs, so that what decides is the project's own code: a name it deletes but still
reads fails the import with AttributeError, ImportError or NameError, as it would for the user.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class _Stub(type):
    """A class whose every attribute, call, item and operation gives another such class; called
    with one callable it returns it, so a stubbed decorator leaves the function in place."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _stub(name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return _stub(cls.__name__)

    def __getitem__(cls, item: Any) -> Any:
        return _stub(cls.__name__)

    def __iter__(cls) -> Any:
        return iter(())

    def __or__(cls, other: Any) -> Any:
        return _stub(cls.__name__)

    __ror__ = __or__


def _stub(name: str) -> Any:
    return _Stub(name, (), {})


class _StubModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _stub(name)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on `sys.meta_path`: whatever no other finder found is a stub package."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec:
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def main(argv: Sequence[str]) -> None:
    root, *modules = argv
    here = Path(__file__).resolve().parent
    sys.path[:] = [root, *(p for p in sys.path if Path(p or ".").resolve() != here)]
    sys.meta_path.append(_Finder())
    results = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # any failure is this module's verdict, never the run's
            results[name] = f"{type(exc).__name__}: {exc}"
        else:
            results[name] = "ok"
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
