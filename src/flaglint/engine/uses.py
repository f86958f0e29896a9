"""The project's use index: which definitions an edit deleted, and where each is still named.

`clean` asks it once all edits of a step are planned: a definition that something still names
(another module's import, an attribute read, a dotted string in settings, a keyword argument, a
template) must not go, and a name the edit left unbound in its own module is a broken module.
Plain functions over texts: the caller decides which files to show (tests, migrations and
templates included) and what to do with the answer.
"""

from __future__ import annotations

import ast
import builtins
import collections
import dataclasses
import re
import symtable
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from flaglint.engine.mentions import Mentions, MentionsCache, quiet_parse
from flaglint.engine.source import common_frame
from flaglint.engine.stubs import STUB_VALUE
from flaglint.model import ModuleName


@dataclass(frozen=True, order=True)
class Defined:
    """A definition in a module: `NAME` (module level: assignments, functions, classes and
    imports), `Class.attr` (class level: members, methods, fields), `function(param)` (a
    parameter that callers can name) or `"key"` (a string key of a dict, as templates read it).
    An "override" is a method that only handed its arguments to its parent's: once it goes, the
    parent's answers to the name, so only a reference through its own class (`Owner.method`) is
    a use of it."""

    path: str
    name: str
    line: int
    kind: str = "global"  # "global", "import", "member", "override", "parameter" or "key"

    @property
    def word(self) -> str:
        """The identifier a mention spells."""
        if self.name.startswith('"'):
            return self.name.strip('"')
        if self.name.endswith(")"):
            return self.name[self.name.index("(") + 1 : -1]
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True, order=True)
class Use:
    """A place that still names a definition the edit deleted (or, `undefined`, a name the edit
    left unbound in its own module)."""

    path: str
    line: int
    definition: Defined
    undefined: bool = False

    def __str__(self) -> str:
        if self.undefined:
            return f"`{self.definition.word}` would be left undefined at {self.path}:{self.line}"
        return f"`{self.definition.name}` is still named at {self.path}:{self.line}"


_IDENTIFIER = re.compile(r"^[^\W\d]\w*$")


def _targets(node: ast.AST) -> Iterator[ast.Name]:
    if isinstance(node, ast.Name):
        yield node
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def _block_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a module or class body, those inside `if`/`try`/`with`/`for` blocks too
    (they bind in the same namespace), but not inside functions or classes."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _block_statements(getattr(node, name, ()) or ())
        for handler in getattr(node, "handlers", ()) or ():
            yield from _block_statements(handler.body)
        for case in getattr(node, "cases", ()) or ():
            yield from _block_statements(case.body)


def _bound(node: ast.stmt) -> Iterator[tuple[str, ast.AST | None]]:
    """(name, the class or function node when it is one) for what a statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name, node
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            yield from ((n.id, None) for n in _targets(target))
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
        yield node.target.id, None
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        yield from ((n.id, None) for n in _targets(node.target))
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                yield from ((n.id, None) for n in _targets(item.optional_vars))
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                yield (alias.asname or alias.name.split(".")[0]), None


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[str]:
    """The parameters a caller can name by keyword."""
    arguments = node.args
    for argument in (*arguments.args, *arguments.kwonlyargs):
        if argument.arg not in ("self", "cls"):
            yield argument.arg


def definitions(tree: ast.Module, lines: tuple[int, int] | None = None) -> collections.Counter[tuple[str, int, str]]:
    """Every definition of a module (see `Defined`), as (name, line, kind) counts; string keys
    only from the statements that overlap `lines` (first, last), when given."""
    found: collections.Counter[tuple[str, int, str]] = collections.Counter()

    def walk(body: Iterable[ast.stmt], prefix: str) -> None:
        imported = "import" if not prefix else "member"
        for statement in _block_statements(body):
            kind = imported if isinstance(statement, (ast.Import, ast.ImportFrom)) else "member" if prefix else "global"
            for name, node in _bound(statement):
                found[(prefix + name, statement.lineno, kind)] += 1
                if isinstance(node, ast.ClassDef):
                    walk(node.body, f"{prefix}{name}.")
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for parameter in _parameters(node):
                        found[(f"{prefix}{name}({parameter})", statement.lineno, "parameter")] += 1

    walk(tree.body, "")
    for node in _overlapping(tree, lines):
        for key, line in _context_keys(node):
            found[(f'"{key}"', line, "key")] += 1
    return found


def _overlapping(tree: ast.Module, lines: tuple[int, int] | None) -> Iterator[ast.AST]:
    """Every node of the top-level statements that overlap `lines` (all of them without)."""
    for statement in tree.body:
        if lines is None or (statement.lineno <= lines[1] and (statement.end_lineno or statement.lineno) >= lines[0]):
            yield from ast.walk(statement)


def changed_lines(before: str, after: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """The (first, last) lines of `before` and of `after` between their common head and tail."""
    start, tail = common_frame(before, after)
    first = before.count("\n", 0, start) + 1
    return (first, before.count("\n", 0, len(before) - tail) + 1), (first, after.count("\n", 0, len(after) - tail) + 1)


def _context_keys(node: ast.AST) -> Iterator[tuple[str, int]]:
    """String keys a dict display or a subscript store gives (`{"show_beta": True}`,
    `context["show_beta"] = True`): what a template may read by name."""
    if isinstance(node, ast.Dict):
        for key in node.keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and _IDENTIFIER.match(key.value):
                yield key.value, key.lineno
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and _IDENTIFIER.match(key.value):
            yield key.value, key.lineno
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        for keyword in node.keywords:
            if keyword.arg is not None:
                yield keyword.arg, keyword.value.lineno


def gone(path: str, before: str, after: str) -> list[Defined]:
    """The definitions of `before` that `after` no longer has (none when either does not parse)."""
    old, new = quiet_parse(before), quiet_parse(after)
    if old is None or new is None:  # syntax newer than this interpreter's (LibCST rewrote it)
        return _gone_by_text(path, before, after)
    old_lines, new_lines = changed_lines(before, after)
    kept = {name for name, _, _ in definitions(new, new_lines)}
    lines: dict[str, tuple[int, str]] = {}
    for name, line, kind in definitions(old, old_lines):
        if name not in kept:
            lines.setdefault(name, (line, kind))
    return [Defined(path, name, line, kind) for name, (line, kind) in sorted(lines.items())]


_BINDING = re.compile(
    r"^([ \t]*)(?:(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)|(\w+)[ \t]*(?::[^=\n]*)?=(?!=))", re.M
)


def _gone_by_text(path: str, before: str, after: str) -> list[Defined]:
    """`gone` for text CPython cannot parse: the module-level and top-level class-level names
    bound at the start of a line (`def`, `class`, `NAME =`, a module-level import) fewer times
    after than before. It may name more than was deleted (a statement inside a string); never
    less of those kinds."""
    old, new = _bound_by_text(before), _bound_by_text(after)
    return [
        Defined(path, name, line, kind)
        for (name, kind), (count, line) in sorted(old.items())
        if count > new.get((name, kind), (0, 0))[0]
    ]


def _bound_by_text(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(name, kind) -> (how many lines bind it, the first of them)."""
    found: dict[tuple[str, str], tuple[int, int]] = {}
    owner, body = "", None  # the top-level class being read, and its body's indentation
    for match in _BINDING.finditer(text):
        indent, name = match.group(1), match.group(2) or match.group(3) or match.group(4)
        if not indent:
            owner, body = (name, None) if match.group(3) else ("", None)
            key = (name, "global")
        elif owner and (body is None or indent == body):
            body = indent
            key = (f"{owner}.{name}", "member")
        else:
            continue  # a function's local, or deeper
        count, line = found.get(key, (0, text.count("\n", 0, match.start()) + 1))
        found[key] = (count + 1, line)
    for match in _IMPORT_LINE.finditer(text):
        names = match.group(2) if match.group(2) is not None else match.group(1)
        for part in names.strip("()").replace("\\", " ").split(","):
            words = part.split()
            if not words or words[0] == "*":
                continue
            bound = words[-1] if len(words) == 3 and words[1] == "as" else words[0].split(".")[0]
            count, line = found.get((bound, "import"), (0, text.count("\n", 0, match.start()) + 1))
            found[(bound, "import")] = (count + 1, line)
    return found


# A module-level import: `import a.b as c, d` (group 1) or `from x import (a, b as c)` (group 2).
_IMPORT_LINE = re.compile(r"^import[ \t]+([^\n#;]+)|^from[ \t]+[\w.]+[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]+)", re.M)


_STAR_IMPORT = re.compile(r"\bimport[ \t\\(]*\*")
BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__path__", "__builtins__"}
BUILTINS |= {"__loader__", "__package__", "__annotations__", "__dict__", "__module__", "__qualname__", "__class__"}


def unbound(text: str) -> dict[str, int] | None:
    """Names some scope of the module reads from the module's globals that nothing binds there
    (what pyflakes calls an undefined name), with a line that reads them; None when the module
    does not parse or imports with `*` (any name may come from there)."""
    if _STAR_IMPORT.search(text):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            top = symtable.symtable(text, "<module>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    read: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for symbol in table.get_symbols():
            name = symbol.get_name()
            if table is top:
                if symbol.is_referenced():
                    read.add(name)
                continue
            if symbol.is_declared_global() and symbol.is_assigned():
                bound.add(name)
            if symbol.is_referenced() and symbol.is_global():
                if table.get_type() == "class" and (symbol.is_assigned() or symbol.is_imported()):
                    continue
                read.add(name)
    missing = read - bound - BUILTINS - {STUB_VALUE}  # a reduced module's stubs read it
    tree = quiet_parse(text) if missing else None
    if tree is None:
        return {} if not missing else {name: 1 for name in missing}
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in missing and isinstance(node.ctx, ast.Load):
            lines.setdefault(node.id, node.lineno)
    return {name: lines.get(name, 1) for name in missing}


def newly_unbound(path: str, before: str, after: str) -> list[Use]:
    """Names the edit left unbound in its own module (read, and bound before but not after)."""
    new = unbound(after)
    if not new:
        return []  # the usual case: one symbol table, nothing read that nothing binds
    old = unbound(before)
    if old is None:
        return []
    fresh = sorted((name, line) for name, line in new.items() if name not in old)
    return [Use(path, line, Defined(path, name, line), undefined=True) for name, line in fresh]


@dataclass(frozen=True)
class Facts:
    """What an edit of one file deleted and left unbound: worked out where the edit is made (a
    worker, on the reduced module it rewrote), so the gate need not parse the file again."""

    removed: tuple[Defined, ...] = ()
    unbound: tuple[Use, ...] = ()


def facts(path: str, before: str, after: str, to_original: Callable[[int], int] | None = None) -> Facts:
    """The `Facts` of an edit from `before` to `after`; `to_original` maps their line numbers
    back to the file's when they are a reduced module's (stand-ins keep every name)."""
    removed = gone(path, before, after)
    unbound = newly_unbound(path, before, after)
    if to_original is not None:
        removed = [dataclasses.replace(d, line=to_original(d.line)) for d in removed]
        unbound = [
            dataclasses.replace(
                u, line=to_original(u.line), definition=dataclasses.replace(u.definition, line=to_original(u.line))
            )
            for u in unbound
        ]
    return Facts(tuple(removed), tuple(unbound))


def _moved(use: Use, line: int) -> Use:
    return dataclasses.replace(use, line=line, definition=dataclasses.replace(use.definition, line=line))


def _same_module(spelt: str, module: str) -> bool:
    """Whether a dotted module name as a file spells it may be `module`: the same, or one ends
    with the other at a dot (a project whose `src` layout flaglint does not know, or that puts a
    package folder on `sys.path`, still counts)."""
    return spelt == module or module.endswith(f".{spelt}") or spelt.endswith(f".{module}")


def _names(said: Mentions, definition: Defined, module: str, same_file: bool = False) -> int | None:
    """The line where a file's mentions name `definition` (of `module`), or None."""
    word = definition.word
    kind = definition.kind
    if same_file and kind in ("global", "import") and word in said.names:
        return said.names[word]  # still read in its own module (a local of the same name counts too)
    if kind == "key":
        return None  # a template reads a context key; Python code reads it as a string of its own
    if kind == "parameter":  # named by a caller's keyword only (a call passing `**mapping` keeps it)
        function = definition.name[: definition.name.index("(")].rsplit(".", 1)[-1]
        for callee, keyword, line in said.keywords:
            if keyword == word and callee is not None and callee.rsplit(".", 1)[-1] == function:
                return line
        return None
    for text, line in said.strings:
        parts = re.split(r"[.:]", text)
        if kind == "import":  # `mock.patch("app.views.is_active")` patches the module's own name
            if len(parts) > 1 and parts[-1] == word and _same_module(".".join(parts[:-1]), module):
                return line
        elif parts[-1] == word:
            return line
    if kind == "override":  # `Owner.method(...)`: the class's own attribute, not the parent's
        owner = definition.name.rsplit(".", 2)[-2]
        for receiver, attribute, line in said.attributes:
            if attribute == word and receiver is not None and receiver.rsplit(".", 1)[-1] == owner:
                return line
        return None
    if kind == "member":
        owner = definition.name.rsplit(".", 2)[-2]
        for receiver, attribute, line in said.attributes:
            # `super().setUp()` reaches the member only from a subclass of its class
            if attribute == word and (receiver != "super()" or owner in said.bases):
                return line
        for _, keyword, line in said.keywords:
            if keyword == word:
                return line
        return None
    for source, name, line in said.from_imports:
        if name == word and _same_module(source, module):
            return line
    for receiver, attribute, line in said.attributes:
        if attribute != word or receiver is None:
            continue
        target = said.aliases.get(receiver.split(".")[0])
        spelt = receiver if target is None else target + receiver[len(receiver.split(".")[0]) :]
        if _same_module(spelt, module):
            return line
    if word in said.names and any(_same_module(source, module) for source in said.star_imports):
        return said.names[word]
    return None


@dataclass
class UseIndex:
    """Where the project names things, read lazily: `python(words)` gives (file, text, module) of
    the Python files whose text holds any of the words (tests, migrations and excluded folders
    too), `others(words)` (file, text) of templates and other text files. `cache` holds what each
    Python file says by content (a workspace's, kept across plans and runs)."""

    python: Callable[[tuple[str, ...]], Iterable[tuple[str, str, ModuleName]]]
    others: Callable[[tuple[str, ...]], Iterable[tuple[str, str]]]
    module_of: Callable[[str], ModuleName]
    cache: MentionsCache = field(default_factory=lambda: MentionsCache(None))

    def still_named(self, deleted: Iterable[Defined], plain: Iterable[str] = ()) -> list[Use]:
        """For each deleted definition something still names, the first place that does. A
        word in `plain` (a retired flag's own key) is not looked for in text files, where it is
        the flag (a registry file, a template's flag tag), not the definition."""
        pending = sorted(set(deleted))
        # A member of a class deleted with it is reached only through the class: the class's own
        # name is what is looked for (an attribute `.get` elsewhere belongs to other objects).
        classes = {(d.path, d.name) for d in pending}
        pending = [d for d in pending if d.kind != "member" or (d.path, d.name.rsplit(".", 1)[0]) not in classes]
        if not pending:
            return []
        words = tuple(sorted({d.word for d in pending}))
        uses: dict[Defined, Use] = {}
        for rel, text, module in self.python(words):
            if len(uses) == len(pending):
                break  # every definition is named somewhere: the rest of the files cannot change that
            said = self.cache.get(text, module)
            if said is None:  # syntax newer than this interpreter's: read as words
                for definition in pending:
                    spelt = None if definition in uses else _spelt(definition, text, self.module_of, rel)
                    if spelt is not None:
                        uses[definition] = Use(rel, spelt, definition)
                continue
            for definition in pending:
                if definition in uses or definition.word not in text:
                    continue
                home = self.module_of(definition.path).name
                line = _names(said, definition, home, same_file=rel == definition.path)
                if line is not None:
                    uses[definition] = Use(rel, line, definition)
        skip = set(plain)
        # a template, a configuration file or a doc reaches module globals, members and keys, not
        # a module's imports or a function's parameters
        textual = [d for d in pending if d not in uses and d.kind in _TEXTUAL and d.word not in skip]
        if textual:
            patterns = {d: _word(d.word) for d in textual}
            for rel, text in self.others(tuple(sorted({d.word for d in textual}))):
                code = None
                for definition, pattern in patterns.items():
                    if definition in uses:
                        continue
                    if definition.kind == "key":  # a context key is read in a template's own code
                        code = template_code(text) if code is None else code
                    found = pattern.search(code if definition.kind == "key" and code is not None else text)
                    if found is not None:
                        uses[definition] = Use(rel, text.count("\n", 0, found.start()) + 1, definition)
        return sorted(uses.values())


def _spelt(definition: Defined, text: str, module_of: Callable[[str], ModuleName], rel: str) -> int | None:
    """The line where a file CPython cannot parse spells a definition as a whole word, or None;
    an import of another file counts only where it is reached through that file's module
    (`views.NAME`, `"app.views.NAME"`, `from app.views import NAME`): a name imported from
    elsewhere is not this import; a parameter only as a keyword (`name=`) in a file that spells
    its function."""
    found = _word(definition.word).search(text)
    if found is not None and definition.kind == "override":
        owner = re.escape(definition.name.rsplit(".", 2)[-2])
        found = re.search(rf"(?<![\w.]){owner}[ \t]*\.[ \t]*{re.escape(definition.word)}(?![\w-])", text)
    elif found is not None and definition.kind == "parameter":  # only a call's keyword names it
        function = definition.name[: definition.name.index("(")].rsplit(".", 1)[-1]
        if _word(function).search(text) is None:
            return None
        found = re.search(rf"(?<![\w.-]){re.escape(definition.word)}[ \t]*=(?!=)", text)
    elif found is not None and definition.kind == "import" and rel != definition.path:
        home = module_of(definition.path).name.rsplit(".", 1)[-1]
        if home:  # through that module: `home.NAME`, "pkg.home.NAME", or `from ...home import NAME`
            word, module = re.escape(definition.word), re.escape(home)
            found = re.search(
                rf"(?<![\w-]){module}[ \t]*\.[ \t]*{word}(?![\w-])"
                rf"|\bfrom[ \t]+[\w.]*?\b{module}[ \t]+import[ \t]*(?:\([^)]*?|[^\n;]*?)(?<![\w-]){word}(?![\w-])",
                text,
            )
    return None if found is None else text.count("\n", 0, found.start()) + 1


_TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\$\{.*?\}", re.S)


def template_code(text: str) -> str:
    """A template's text with everything outside its tags and expressions (`{{ }}`, `{% %}`,
    `${ }`) blanked, lines kept: where a template reads its context, not its markup."""
    parts = []
    last = 0
    for found in _TEMPLATE_CODE.finditer(text):
        parts += [_NOT_NEWLINE.sub(" ", text[last : found.start()]), found.group()]
        last = found.end()
    parts.append(_NOT_NEWLINE.sub(" ", text[last:]))
    return "".join(parts)


_NOT_NEWLINE = re.compile(r"[^\n]")
_TEXTUAL = frozenset({"global", "member", "key"})


def _word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
