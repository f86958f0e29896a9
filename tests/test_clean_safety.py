"""The codemod's safety guarantees, each checked on real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flaglint.engine.config import Config
from flaglint.fix import workers as workers_module
from flaglint.fix import write as write_module
from flaglint.fix.base import Rewrite
from flaglint.fix.clean import plan, plan_each
from flaglint.fix.write import apply, write_atomic

SOURCE = (
    "import UnleashClient\n\n\ndef f(client):\n    # keep me\n"
    '    if client.is_enabled("k"):\n        return \'new\'\n    return "old"\n'
)
AFTER = "import UnleashClient\n\n\ndef f(client):\n    # keep me\n    return 'new'\n"


def project(tmp_path: Path, files: dict[str, bytes]) -> Config:
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return Config(root=tmp_path)


def retire(config: Config, **values: str | None) -> None:
    step = plan(config, values, use_cache=False)
    assert step.problems == ()
    assert apply(config.root, step.edits) == []


def test_crlf_line_endings_survive(tmp_path: Path) -> None:
    config = project(tmp_path, {"m.py": SOURCE.replace("\n", "\r\n").encode()})
    retire(config, k="True")
    data = (tmp_path / "m.py").read_bytes()
    assert data == AFTER.replace("\n", "\r\n").encode()


def test_bom_survives(tmp_path: Path) -> None:
    config = project(tmp_path, {"m.py": b"\xef\xbb\xbf" + SOURCE.encode()})
    retire(config, k="True")
    assert (tmp_path / "m.py").read_bytes() == b"\xef\xbb\xbf" + AFTER.encode()


def test_coding_cookie_and_its_encoding_survive(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\n" + SOURCE.replace("keep me", "garçon")
    config = project(tmp_path, {"m.py": text.encode("latin-1")})
    retire(config, k="True")
    expected = "# -*- coding: latin-1 -*-\n" + AFTER.replace("keep me", "garçon")
    assert (tmp_path / "m.py").read_bytes() == expected.encode("latin-1")


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    target.write_bytes(b"old\n")
    inode = target.stat().st_ino
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_ino != inode  # replaced by rename, never truncated in place
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]


def test_failed_write_keeps_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "m.py"
    target.write_bytes(b"old\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]


def test_a_rewrite_that_would_not_parse_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project(tmp_path, {"m.py": SOURCE.encode()})
    broken = "def f(:\n    pass\n"
    monkeypatch.setattr(
        workers_module, "rewrite", lambda path, tree, *a, **k: Rewrite(path, tree, True, (), code=broken)
    )
    step = plan(config, {"k": "True"}, use_cache=False)
    assert step.edits == ()
    assert [p.message.split(":")[0] for p in step.problems] == ["rewrite skipped, it would not parse"]
    assert (tmp_path / "m.py").read_bytes() == SOURCE.encode()


def test_a_file_changed_since_planning_is_left_alone(tmp_path: Path) -> None:
    config = project(tmp_path, {"m.py": SOURCE.encode()})
    step = plan(config, {"k": "True"}, use_cache=False)
    (tmp_path / "m.py").write_text(SOURCE + "# edited meanwhile\n")
    assert [(p.path, p.message) for p in apply(tmp_path, step.edits)] == [
        ("m.py", "changed while flaglint ran; left alone")
    ]
    assert (tmp_path / "m.py").read_text().endswith("# edited meanwhile\n")


def test_a_file_gone_since_planning_is_named_and_the_others_are_written(tmp_path: Path) -> None:
    config = project(tmp_path, {"a.py": SOURCE.encode(), "m.py": SOURCE.encode(), "z.py": SOURCE.encode()})
    step = plan(config, {"k": "True"}, use_cache=False)
    (tmp_path / "m.py").unlink()
    problems = apply(tmp_path, step.edits)
    assert [(p.path, p.message) for p in problems] == [("m.py", "not written: No such file or directory")]
    for name in ("a.py", "z.py"):
        assert (tmp_path / name).read_text() != SOURCE


FLAGS = """
import UnleashClient

A = "flag-a"


def f(client, user):
    enabled = client.is_enabled(A)
    if enabled and client.is_enabled("flag-b"):
        return "both"
    elif client.is_enabled("flag-b"):
        return "b"
    return "neither" if not client.is_enabled(A) else "a"
"""


@pytest.mark.parametrize(("a", "b"), [("True", "True"), ("True", None), (None, "True"), (None, None)])
def test_order_of_flags_does_not_matter(tmp_path: Path, a: str | None, b: str | None) -> None:
    results = []
    for order in (("flag-a", "flag-b"), ("flag-b", "flag-a")):
        root = tmp_path / "-".join(order)
        config = project(root, {"m.py": FLAGS.encode()})
        values = {"flag-a": a, "flag-b": b}
        steps = plan_each(config, {key: values[key] for key in order}, use_cache=False)
        for step in steps:
            assert apply(root, step.edits) == []
        results.append((root / "m.py").read_text())
    assert results[0] == results[1]
    assert "is_enabled" not in results[0]
    together = tmp_path / "together"
    config = project(together, {"m.py": FLAGS.encode()})
    retire(config, **{"flag-a": a, "flag-b": b})
    assert (together / "m.py").read_text() == results[0]


def test_a_key_constant_whose_check_an_earlier_flag_folded_away_goes_too(tmp_path: Path) -> None:
    # Retiring flag-a off drops `client.is_enabled(B)` with the `and`; flag-b's step then finds no
    # check, but its constant sat in a module of key constants the run saw checks use: it goes too.
    files = {
        "keys.py": b'A = "flag-a"\nB = "flag-b"\n',
        "m.py": b"from keys import A, B\n\n\ndef f(flags):\n    return flags.is_enabled(A) and flags.is_enabled(B)\n",
    }
    config = project(tmp_path, files)
    steps = plan_each(config, {"flag-a": None, "flag-b": None}, use_cache=False)
    for step in steps:
        assert apply(tmp_path, step.edits) == []
    assert (tmp_path / "keys.py").read_text() == ""
    assert (tmp_path / "m.py").read_text() == "def f(flags):\n    return False\n"


def test_a_key_constant_named_only_in_prose_goes_but_not_one_a_string_names(tmp_path: Path) -> None:
    # A test's docstring, a comment and a sentence naming the constant do not use it;
    # `getattr(keys, "B")` and a string whose method is called (`"C D".split()`) do.
    files = {
        "keys.py": b'A = "flag-a"\nB = "flag-b"\nC = "flag-c"\n',
        "m.py": (
            b"from keys import A, B, C\n\n\ndef f(flags):\n"
            b"    return flags.is_enabled(A) or flags.is_enabled(B) or flags.is_enabled(C)\n"
        ),
        "tests/test_m.py": (
            b'import keys\n\n\ndef test_f():\n    """f is on when A is on."""\n'
            b'    # see keys.A\n    print("turn A on to see it")\n    assert getattr(keys, "B")\n'
            b'    assert all(getattr(keys, n) for n in "C D".split())\n'
        ),
    }
    config = project(tmp_path, files)
    step = plan(config, {"flag-a": "True", "flag-b": "True", "flag-c": "True"}, use_cache=False)
    assert apply(tmp_path, step.edits) == []
    assert (tmp_path / "keys.py").read_text() == 'B = "flag-b"\nC = "flag-c"\n'
    assert (tmp_path / "m.py").read_text() == "def f(flags):\n    return True\n"


def test_files_without_references_keep_bytes_and_mtime(tmp_path: Path) -> None:
    config = project(tmp_path, {"m.py": SOURCE.encode(), "other.py": b"x  =  1 # odd\r\n"})
    os.utime(tmp_path / "other.py", ns=(5, 5))
    retire(config, k="True")
    assert (tmp_path / "other.py").read_bytes() == b"x  =  1 # odd\r\n"
    assert (tmp_path / "other.py").stat().st_mtime_ns == 5
