"""`[tool.flaglint]` in pyproject.toml: find it, check it, and turn it into a frozen Config."""

from __future__ import annotations

import re
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flaglint.engine import patterns as pattern_table
from flaglint.engine.cachedir import owned
from flaglint.engine.source import DEFAULT_MAX_FILE_SIZE, parse_size
from flaglint.engine.tomlpos import error_line, error_message, locate
from flaglint.model import FlagType, Problem, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_SETTLE_DAYS = 7
DEFAULT_LIFETIMES: Mapping[FlagType, int | None] = {
    FlagType.RELEASE: 40,
    FlagType.EXPERIMENT: 40,
    FlagType.OPERATIONAL: 7,
    FlagType.SUNSET: 90,
    FlagType.KILL_SWITCH: None,
    FlagType.PERMISSION: None,
}

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".flaglint_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pypackages__",
    "__pycache__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

ALL_CODES = frozenset(f"FL00{n}" for n in range(1, 9))


@dataclass(frozen=True)
class SourceSpec:
    """One configured registry source: its kind, a name for messages, and its options."""

    kind: str  # unleash | unleash-export | flagd | code | plugin
    name: str
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, key: str, default: Any = None) -> Any:
        return dict(self.options).get(key, default)


class ConfigError(Exception):
    """A configuration problem the user must fix; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Config:
    root: Path
    config_path: Path | None = None
    registry_path: Path | None = None
    registry_required: bool = False
    exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    src: tuple[str, ...] = (".", "src")
    sdks: tuple[str, ...] | None = None
    custom_patterns: tuple[pattern_table.Pattern, ...] = ()
    lifetimes: Mapping[FlagType, int | None] = field(default_factory=lambda: dict(DEFAULT_LIFETIMES))
    settle_days: int = DEFAULT_SETTLE_DAYS  # a rollout at 100 % is removable only once unchanged this long
    fail_on: Severity = Severity.ERROR
    ignore: frozenset[str] = frozenset()
    jobs: int | None = None
    cache_dir: Path | None = None
    sources: tuple[SourceSpec, ...] = ()
    age_from_git: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE

    def relative(self, path: Path) -> str:
        """`path` as a root-relative POSIX path when it lies in the project, else as given."""
        return path.relative_to(self.root).as_posix() if self.root in path.parents else str(path)

    @property
    def snapshot_path(self) -> Path:
        return self.cache_path / "registry.json"

    @property
    def declarations(self) -> list[tuple[str, str]]:
        """(root-relative module file, dotted name) of every `registry.code` declaration."""
        return [
            (file, name)
            for spec in self.sources
            if spec.kind == "code"
            for file, _, name in (d.partition(":") for d in spec.option("declarations", ()))
        ]

    @property
    def patterns(self) -> tuple[pattern_table.Pattern, ...]:
        return pattern_table.select(self.sdks, self.custom_patterns)

    @property
    def cache_path(self) -> Path:
        return self.cache_dir or self.root / ".flaglint_cache"


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.flaglint] table."""
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            data = _read_toml(candidate)[1]
            if isinstance(data.get("tool"), dict) and "flaglint" in data["tool"]:
                return candidate
    return None


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """A TOML file's text and data; one that cannot be read or parsed is a ConfigError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), 1, 0, f"cannot read config: {exc}")]) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = f"invalid TOML: {error_message(exc)}"
        if "Cannot overwrite a value" in message and re.search(r"^[ \t]*registry[ \t]*=", text, re.M):
            message += (
                '; `registry = "flags.toml"` makes registry a string, so no [tool.flaglint.registry.*] '
                'table can follow: write [tool.flaglint.registry] with path = "flags.toml" instead'
            )
        raise ConfigError([Problem(str(path), error_line(exc, text), 0, message)]) from None


def load_config(path: Path | None, root: Path) -> Config:
    """The settings in the config at `path` (defaults when None) for the project at `root`.
    Relative paths in the settings are relative to the root.
    """
    if path is None:
        default_registry = root / "flags.toml"
        return Config(root=root, registry_path=default_registry if default_registry.is_file() else None)
    text, data = _read_toml(path)
    section = data.get("tool", {}).get("flaglint", {}) if path.name == "pyproject.toml" else data
    if not isinstance(section, dict):
        raise ConfigError([Problem(str(path), locate(text, "tool", "flaglint"), 0, "[tool.flaglint] must be a table")])
    table = "tool.flaglint" if path.name == "pyproject.toml" else ""
    return parse_config(section, text=text, path=path, table=table, root=root)


_KNOWN = {
    "registry",
    "exclude",
    "respect-gitignore",
    "src",
    "sdks",
    "patterns",
    "lifetimes",
    "fail-on",
    "ignore",
    "jobs",
    "cache-dir",
    "max-file-size",
    "settle-days",
    "settle_days",
}


def parse_config(section: Mapping[str, Any], *, text: str, path: Path, table: str, root: Path | None = None) -> Config:
    """Check a `[tool.flaglint]` mapping and build the Config; every problem is collected."""
    root = path.parent if root is None else root
    problems: list[Problem] = []

    def problem(message: str, key: str | None = None, sub: str = "", occurrence: int = 0) -> None:
        where = ".".join(p for p in (table, sub) if p)
        problems.append(Problem(str(path), locate(text, where, key, occurrence), 0, message))

    for key in sorted(set(section) - _KNOWN):
        problem(f"unknown setting {key!r} in [{table or 'flaglint'}]", key)

    registry_path, registry_required, sources, age_from_git = _registry(section.get("registry"), root, problem)
    exclude = _strings(section.get("exclude", []), "exclude", problem)
    src = _strings(section.get("src", [".", "src"]), "src", problem)
    sdks_value = section.get("sdks")
    sdks = None
    if sdks_value is not None:
        sdks = _strings(sdks_value, "sdks", problem)
        for name in sdks:
            if name not in pattern_table.SDKS:
                problem(f"unknown SDK {name!r} in sdks (known: {', '.join(pattern_table.SDKS)})", "sdks")

    custom: list[pattern_table.Pattern] = []
    entries = section.get("patterns", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problem("patterns must be an array of tables ([[tool.flaglint.patterns]])", "patterns")
        entries = []
    for number, entry in enumerate(entries):
        try:
            custom.extend(pattern_table.custom_rows(entry, number))
        except pattern_table.PatternError as exc:
            problem(f"pattern #{number + 1}: {exc}", None, "patterns", number)

    lifetimes = dict(DEFAULT_LIFETIMES)
    given = section.get("lifetimes", {})
    if not isinstance(given, dict):
        problem("lifetimes must be a table of flag type = days", "lifetimes")
        given = {}
    for name, days in given.items():
        try:
            flag_type = FlagType(name)
        except ValueError:
            problem(f"unknown flag type {name!r} in lifetimes", name, "lifetimes")
            continue
        if days is False or days == "never":
            lifetimes[flag_type] = None
        elif isinstance(days, int) and not isinstance(days, bool) and days > 0:
            lifetimes[flag_type] = days
        else:
            problem(f"lifetime of {name!r} must be a positive number of days or 'never'", name, "lifetimes")

    settle_key = "settle_days" if "settle_days" in section else "settle-days"
    settle_days = section.get(settle_key, DEFAULT_SETTLE_DAYS)
    if isinstance(settle_days, bool) or not isinstance(settle_days, int) or settle_days < 0:
        problem(f"{settle_key} must be a whole number of days (0 or more)", settle_key)
        settle_days = DEFAULT_SETTLE_DAYS

    fail_on = Severity.ERROR
    if "fail-on" in section:
        try:
            fail_on = Severity(section["fail-on"])
        except ValueError:
            problem("fail-on must be one of error, warning, info", "fail-on")

    ignore = frozenset(_strings(section.get("ignore", []), "ignore", problem))
    for code in sorted(ignore - ALL_CODES):
        problem(f"unknown code {code!r} in ignore", "ignore")

    jobs = section.get("jobs")
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        problem("jobs must be a positive number", "jobs")
        jobs = None
    cache_dir = section.get("cache-dir")
    if cache_dir is not None and not isinstance(cache_dir, str):
        problem("cache-dir must be a path", "cache-dir")
        cache_dir = None
    elif cache_dir is not None:
        whole = (root / cache_dir).resolve()
        if root.resolve() not in whole.parents:
            problem("cache-dir must be a folder inside the project (not the project root itself)", "cache-dir")
            cache_dir = None
        elif whole.is_dir() and any(whole.iterdir()) and not owned(whole):
            problem(f"cache-dir {cache_dir!r} holds files flaglint did not make: name a new folder", "cache-dir")
            cache_dir = None
    max_file_size = DEFAULT_MAX_FILE_SIZE
    if "max-file-size" in section:
        size = parse_size(section["max-file-size"])
        if size is None:
            problem("max-file-size must be a positive size such as 2097152 or '2 MiB'", "max-file-size")
        else:
            max_file_size = size
    respect = section.get("respect-gitignore", True)
    if not isinstance(respect, bool):
        problem("respect-gitignore must be true or false", "respect-gitignore")
        respect = True

    if problems:
        raise ConfigError(problems)
    return Config(
        root=root,
        config_path=path,
        registry_path=registry_path,
        registry_required=registry_required,
        exclude=exclude,
        respect_gitignore=respect,
        src=src,
        sdks=sdks,
        custom_patterns=tuple(custom),
        lifetimes=lifetimes,
        settle_days=settle_days,
        fail_on=fail_on,
        ignore=ignore,
        jobs=jobs,
        cache_dir=root / cache_dir if cache_dir else None,
        sources=sources,
        age_from_git=age_from_git,
        max_file_size=max_file_size,
    )


_REGISTRY_KEYS = {"path", "unleash", "unleash-export", "flagd", "code", "plugins", "age-from-git"}
_DECLARATION = re.compile(r"[^:]+\.py:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_SOURCE_KEYS = {
    "unleash": {"url", "projects", "production", "token-env", "timeout", "retries"},
    "unleash-export": {"path", "production"},
    "flagd": {"path"},
}


def _registry(value: Any, root: Path, problem: Any) -> tuple[Path | None, bool, tuple[SourceSpec, ...], bool]:
    """The flags.toml path, whether it must exist, the other sources, and age-from-git."""
    default = root / "flags.toml"
    if value is None:
        return (default if default.is_file() else None), False, (), True
    if isinstance(value, str):
        return root / value, True, (), True
    if not isinstance(value, dict):
        problem("registry must be a path or a table", "registry")
        return None, False, (), True
    for key in sorted(set(value) - _REGISTRY_KEYS):
        problem(f"unknown setting {key!r} in registry", key, "registry")
    path: Path | None = default if default.is_file() else None
    required = False
    if "path" in value:
        if isinstance(value["path"], str):
            path, required = root / value["path"], True
        else:
            problem("registry.path must be a path", "path", "registry")
    sources: list[SourceSpec] = []
    for kind in ("unleash", "unleash-export", "flagd"):
        if kind not in value:
            continue
        table = value[kind]
        if not isinstance(table, dict):
            problem(f"registry.{kind} must be a table", kind, "registry")
            continue
        for key in sorted(set(table) - _SOURCE_KEYS[kind]):
            problem(f"unknown setting {key!r} in registry.{kind}", key, f"registry.{kind}")
        needed = "url" if kind == "unleash" else "path"
        if not isinstance(table.get(needed), str):
            problem(f"registry.{kind} needs {needed}", None, f"registry.{kind}")
            continue
        for key in ("projects", "production"):
            if key in table and not (isinstance(table[key], list) and all(isinstance(v, str) for v in table[key])):
                problem(f"registry.{kind}.{key} must be a list of strings", key, f"registry.{kind}")
            elif table.get(key) == []:
                problem(f"registry.{kind}.{key} must name at least one", key, f"registry.{kind}")
        if "token" in table:
            problem("never put the token in the config: name its environment variable in token-env", "token")
        if kind == "unleash":
            _check_unleash(table, lambda message, key: problem(message, key, "registry.unleash"))
        options = dict(table)
        if kind != "unleash":
            options["path"] = str(root / table["path"])
        sources.append(SourceSpec(kind, table[needed], tuple(sorted(options.items()))))
    code = value.get("code")
    if code is not None:
        declared = code.get("declarations") if isinstance(code, dict) else None
        if not isinstance(code, dict) or set(code) != {"declarations"}:
            problem("registry.code takes one setting, declarations", "code", "registry")
        elif not (isinstance(declared, list) and declared and all(isinstance(d, str) for d in declared)):
            problem("registry.code.declarations must list 'file.py:NAME' strings", "declarations", "registry.code")
        elif bad := [d for d in declared if not _DECLARATION.fullmatch(d) or ".." in Path(d.split(":")[0]).parts]:
            problem(
                f"registry.code.declarations: {bad[0]!r} is not 'path/to/module.py:NAME'",
                "declarations",
                "registry.code",
            )
        else:
            sources.append(SourceSpec("code", "code declarations", (("declarations", tuple(declared)),)))
    plugins = value.get("plugins", {})
    if not isinstance(plugins, dict) or not all(isinstance(v, dict) for v in plugins.values()):
        problem("registry.plugins must hold one table per plugin", "plugins", "registry")
        plugins = {}
    for name, options in plugins.items():
        sources.append(SourceSpec("plugin", name, tuple(sorted(options.items()))))
    age = value.get("age-from-git", True)
    if not isinstance(age, bool):
        problem("registry.age-from-git must be true or false", "age-from-git", "registry")
        age = True
    return path, required, tuple(sources), age


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_unleash(table: dict[str, Any], problem: Callable[[str, str], None]) -> None:
    """Every Unleash setting of the right type and range, so a fetch never meets a bad one."""
    try:
        url = urllib.parse.urlsplit(table["url"])
        hostname = url.hostname
    except ValueError as exc:  # `http://[::1`: an address the URL parser refuses
        problem(f"registry.unleash.url is not a valid address ({exc})", "url")
    else:
        if url.scheme not in ("http", "https") or not hostname:
            problem("registry.unleash.url must be an http:// or https:// address", "url")
    timeout = table.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
        problem("registry.unleash.timeout must be a number of seconds between 0 and 600", "timeout")
    retries = table.get("retries", 3)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 1 <= retries <= 10:
        problem("registry.unleash.retries must be a whole number from 1 to 10", "retries")
    token_env = table.get("token-env", "UNLEASH_TOKEN")
    if not isinstance(token_env, str) or not _ENV_NAME.fullmatch(token_env):
        problem("registry.unleash.token-env must name an environment variable", "token-env")


def _strings(value: Any, name: str, problem: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problem(f"{name} must be a list of strings", name)
    return ()
