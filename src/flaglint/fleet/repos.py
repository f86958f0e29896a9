"""The repositories of a fleet: how each is written (a local checkout, a bare mirror, a git URL,
optionally `#REF`), its name, and the commit to scan. URLs are mirrored into a cache folder and
fetched again on later runs; nothing is checked out."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flaglint.model import Problem

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.I)


@dataclass(frozen=True)
class RepoSpec:
    """One repository as the user wrote it: where it is and, optionally, which ref to scan."""

    where: str
    ref: str | None = None
    source: str = ""  # the list file it was written in (none: the command line)
    line: int = 0

    @property
    def is_url(self) -> bool:
        return bool(_URL.match(self.where))


@dataclass(frozen=True)
class Repository:
    """A repository ready to scan: its name in the fleet, its git folder and the commit."""

    name: str
    git_dir: Path
    commit: str
    ref: str


def parse_spec(text: str, source: str = "", line: int = 0) -> RepoSpec:
    """`PATH_OR_URL`, `PATH_OR_URL#REF` or (in a list file) `PATH_OR_URL REF`."""
    words = text.split()
    where, ref = words[0], words[1] if len(words) > 1 else None
    if ref is None and "#" in where:
        where, _, ref = where.partition("#")
    return RepoSpec(where, ref or None, source, line)


def read_list(path: Path) -> list[RepoSpec]:
    """The repositories in a list file: one per line; blank lines and `#` comments skipped.
    OSError when the file cannot be read."""
    specs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            specs.append(parse_spec(text, str(path), number))
    return specs


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )


def url_name(url: str) -> str:
    """`org/service` for `https://git.example.com/org/service.git` or `git@host:org/service.git`."""
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*/?|^[\w.-]+@[\w.-]+:", "", url, flags=re.I)
    parts = [p for p in path.rstrip("/").removesuffix(".git").split("/") if p]
    return "/".join(parts[-2:]) if parts else url


def _mirror(spec: RepoSpec, cache: Path) -> tuple[Path | None, str | None]:
    """The URL's mirror in `cache`, cloned or fetched now; or the reason it could not be."""
    digest = hashlib.blake2b(spec.where.encode(), digest_size=8).hexdigest()
    target = cache / f"{url_name(spec.where).replace('/', '-')}-{digest}.git"
    if (target / "HEAD").is_file():
        done = _git("--git-dir", str(target), "remote", "update", "--prune")
    else:
        cache.mkdir(parents=True, exist_ok=True)
        done = _git("clone", "--mirror", "--quiet", spec.where, str(target))
    if done.returncode != 0:
        return None, _first_line(done.stderr) or "git failed"
    return target, None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1].removeprefix("fatal: ") if lines else ""


def _git_dir(path: Path) -> Path | None:
    """The git folder of a checkout or a bare repository at `path`."""
    done = _git("rev-parse", "--absolute-git-dir", cwd=path) if path.is_dir() else None
    if done is None or done.returncode != 0:
        return None
    return Path(done.stdout.strip())


def resolve(specs: Sequence[RepoSpec], cache: Path, base: Path) -> tuple[list[Repository], list[Problem]]:
    """Each spec's git folder and commit (URLs mirrored into `cache`, paths relative to `base`);
    a spec that cannot be reached is one problem, and the others go on."""
    repositories: list[Repository] = []
    problems: list[Problem] = []
    taken: set[str] = set()
    for spec in specs:

        def fail(message: str, spec: RepoSpec = spec) -> None:
            problems.append(Problem(spec.source or spec.where, spec.line, 0, message))

        if spec.is_url:
            git_dir, error = _mirror(spec, cache)
            name = url_name(spec.where)
            if git_dir is None:
                fail(f"cannot fetch {spec.where}: {error}")
                continue
        else:
            path = (base / spec.where).resolve()
            name = path.name.removesuffix(".git")
            wanted = f"{spec.ref or 'HEAD'}^{{commit}}"
            both = _git("rev-parse", "--absolute-git-dir", wanted, cwd=path) if path.is_dir() else None
            lines = both.stdout.split() if both is not None and both.returncode == 0 else []
            if len(lines) == 2:  # the usual case, in one call: the git folder and the commit
                found_dir, sha = lines
                repositories.append(Repository(_unique(name, taken), Path(found_dir), sha, spec.ref or "HEAD"))
                continue
            found = _git_dir(path)
            if found is None:
                fail(f"{spec.where}: not a git repository" if path.exists() else f"{spec.where}: no such folder")
                continue
            git_dir = found
        ref = spec.ref or "HEAD"
        commit = _git("--git-dir", str(git_dir), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if commit.returncode != 0:
            fail(f"{name}: no commit at {ref!r}" + (" (an empty repository?)" if ref == "HEAD" else ""))
            continue
        repositories.append(Repository(_unique(name, taken), git_dir, commit.stdout.strip(), ref))
    return repositories, problems


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate


_WANTED = (".py", ".pyi")
_SETTINGS = ("pyproject.toml", ".gitignore")  # what the scan reads besides Python files


def read_tree(git_dir: Path, commit: str) -> dict[str, bytes]:
    """The Python files of `commit`, with the settings files the scan reads, by path: read from
    git's objects in one `cat-file` stream (symbolic links and submodules left out)."""
    listing = _git("--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--full-tree", commit)
    wanted: list[tuple[str, str]] = []
    for entry in listing.stdout.split("\0") if listing.returncode == 0 else ():
        meta, _, path = entry.partition("\t")
        mode, kind, sha = [*meta.split(), "", "", ""][:3]
        if kind == "blob" and mode != "120000" and (path.endswith(_WANTED) or path.rsplit("/", 1)[-1] in _SETTINGS):
            wanted.append((path, sha))
    if not wanted:
        return {}
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        input="".join(f"{sha}\n" for _, sha in wanted).encode(),
        capture_output=True,
        check=False,
    )
    out, at, files = done.stdout, 0, {}
    for path, _sha in wanted:
        header_end = out.index(b"\n", at)
        header = out[at:header_end].split()
        if len(header) < 3:  # `<sha> missing`: a broken object is left out like an unreadable file
            at = header_end + 1
            continue
        size = int(header[2])
        files[path] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1  # the contents end with a newline of the stream's own
    return files


def batches(files: Sequence[str], size: int) -> Iterable[tuple[str, ...]]:
    """`files` in runs of at most `size` (a large repository becomes several tasks)."""
    for start in range(0, len(files), size):
        yield tuple(files[start : start + size])
