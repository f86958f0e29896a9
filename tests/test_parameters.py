"""The pieces behind dropping a parameter the fold left without a choice (`flaglint.fix.parameters`);
the behaviour end to end is in fixtures/clean/parameter-*."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
from hypothesis import given
from hypothesis import strategies as st

from flaglint.engine.config import load_config
from flaglint.engine.source import common_frame
from flaglint.fix.parameters import changed_middle, drop_argument, drop_parameter, maybe_unread, unread_parameters

lines = st.lists(st.sampled_from(["a = 1", "def f(x):", "    return x", "", "b(c)", "# note"]), max_size=8)


@given(lines, lines, lines, lines)
def test_the_changed_middle_is_framed_by_text_both_share(
    head: list[str], old: list[str], new: list[str], tail: list[str]
) -> None:
    before = "\n".join([*head, *old, *tail])
    after = "\n".join([*head, *new, *tail])
    start, end = common_frame(before, after)
    assert before[:start] == after[:start]
    assert start == 0 or before[start - 1] == "\n"  # the head ends at a line's start
    assert start <= len(before) - end
    assert start <= len(after) - end
    assert before[len(before) - end :] == after[len(after) - end :]
    old_mid, new_mid = changed_middle(before, after)
    assert before == before[:start] + old_mid + before[len(before) - end :]
    assert after == after[:start] + new_mid + after[len(after) - end :]


def test_unread_parameters_names_what_the_rewrite_stopped_reading() -> None:
    old = textwrap.dedent(
        """\
        def storage(*, project, build_id):
            if not project.has_feature("x"):
                return {}
            return {"id": build_id}


        class Builder:
            def run(self, project):
                return project
        """
    )
    new = old.replace('    if not project.has_feature("x"):\n        return {}\n', "")
    assert maybe_unread(old, new)
    assert list(unread_parameters(old, new)) == [("storage", "project")]
    assert list(unread_parameters(old, old)) == []


def test_the_cheap_look_passes_over_a_rewrite_that_touched_no_parameter_name() -> None:
    old = 'import sdk\n\n\ndef f(x):\n    return x\n\n\nif sdk.on("k"):\n    mode = "new"\n'
    new = 'import sdk\n\n\ndef f(x):\n    return x\n\n\nmode = "new"\n'
    assert not maybe_unread(old, new)


def test_drop_parameter_keeps_a_magic_trailing_comma_and_removes_its_docstring_field() -> None:
    source = textwrap.dedent(
        '''\
        def handle(
            event,
            synchronous=False,
        ):
            """Handle it.

            :param event: the event
            :param synchronous: do it now,
                not later
            """
            return "now" if synchronous else "later"
        '''
    )
    done = drop_parameter("m.py", cst.parse_module(source), "handle", "synchronous", "True")
    assert done.code == textwrap.dedent(
        '''\
        def handle(
            event,
        ):
            """Handle it.

            :param event: the event
            """
            return "now"
        '''
    )


def test_drop_parameter_refuses_a_parameter_the_body_rebinds() -> None:
    source = "def handle(event, synchronous=False):\n    synchronous = event.now\n    return synchronous\n"
    done = drop_parameter("m.py", cst.parse_module(source), "handle", "synchronous", "True")
    assert not done.changed
    assert "rebound" in done.notes[0].message


def test_drop_argument_rejoins_a_call_that_now_fits_and_leaves_one_with_a_trailing_comma() -> None:
    source = textwrap.dedent(
        """\
        index.handle(
            event, synchronous=True
        )
        index.handle(
            event,
            synchronous=True,
        )
        other(event, synchronous=True)
        """
    )
    done, count = drop_argument("m.py", cst.parse_module(source), "handle", "synchronous", 1)
    assert count == 2
    assert done.code == "index.handle(event)\nindex.handle(\n    event,\n)\nother(event, synchronous=True)\n"


def test_a_function_named_in_very_many_files_keeps_its_parameters(tmp_path: Path) -> None:
    from flaglint.fix import clean
    from flaglint.fix.project import signatures

    (tmp_path / "pyproject.toml").write_text("[tool.flaglint]\n")
    (tmp_path / "index.py").write_text(
        "import UnleashClient\n\nclient = UnleashClient.UnleashClient()\n\n\n"
        "def handle(event, synchronous=False):\n    return synchronous\n\n\n"
        'def save(event):\n    return handle(event, synchronous=client.is_enabled("sync"))\n'
    )
    for number in range(signatures._PARAMETER_FILES + 1):
        (tmp_path / f"caller_{number}.py").write_text("from index import handle\n\nhandle(1, synchronous=True)\n")
    config = load_config(tmp_path / "pyproject.toml", tmp_path)
    step = clean.plan(config, {"sync": "True"}, unsafe=True, use_cache=False)
    assert [e.path for e in step.edits] == ["index.py"]  # the check folds; the parameter stays
    assert any("`handle` is named in 202 files" in n.message for n in step.notes)
