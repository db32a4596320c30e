"""``flask dialogue check``: mistakes by file, line and column, in plain words, with a suggestion;
and ``diagram`` and ``outline`` of the real dialogues."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.authoring.commands import dialogue, register
from app.dialogue import DialogueError, Registry

DIALOGUES = Path(__file__).resolve().parents[1] / "dialogues"


@pytest.fixture
def misspelt(tmp_path) -> tuple[Path, int]:
    """A copy of dialogues/ where Part 1's 'view' step goes to "involve_hwo"; and that line."""
    folder = tmp_path / "dialogues"
    shutil.copytree(DIALOGUES, folder)
    part1 = folder / "part1.yaml"
    lines = part1.read_text(encoding="utf-8").split("\n")
    at = lines.index("    sets: view") + 1
    lines.insert(at, "    next: involve_hwo")
    part1.write_text("\n".join(lines), encoding="utf-8")
    return folder, at + 1


def test_a_misspelt_step_is_named_by_file_line_code_and_suggestion(misspelt):
    folder, line = misspelt
    result = CliRunner().invoke(dialogue, ["check", str(folder / "part1.yaml")])
    assert result.exit_code == 1
    assert (
        f"{folder / 'part1.yaml'}:{line}:11: D007 The step \"involve_hwo\" that 'next' goes to does not"
        ' exist in this dialogue. Did you mean "involve_how"?'
    ) in result.output
    assert "part2" not in result.output  # nothing else is blamed for it


def test_the_app_refuses_to_start_with_the_same_words(misspelt):
    folder, line = misspelt
    with pytest.raises(DialogueError) as caught:
        Registry.load(folder)
    assert f"part1.yaml:{line}:11: D007 " in str(caught.value)
    assert 'Did you mean "involve_how"?' in str(caught.value)
    assert len(caught.value.problems) == 1  # Part 2 reads Part 1's list: not a second, false error


def test_one_file_may_refer_to_another_beside_it():
    # Part 2 takes Part 1's outcomes: checked on its own, it is checked against part1.yaml beside it.
    result = CliRunner().invoke(dialogue, ["check", str(DIALOGUES / "part2.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output == "1 dialogue checked, no problems.\n"


def test_misspelt_keys_conditions_and_options_get_suggestions(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(DIALOGUES, folder)
    part2 = folder / "part2.yaml"
    text = part2.read_text(encoding="utf-8")
    text = text.replace("      - when: {respondent_is: self}", "      - when: {respondent_iz: self}", 1)
    text = text.replace("    optional: true", "    optinal: true", 1)
    text = text.replace('when: {answer_is: [safer, "no"]}', 'when: {answer_is: [safer, "nope"]}')
    text = text.replace("when: {has_items: part1_outcomes}", "when: {has_items: part1_outcome}")
    part2.write_text(text, encoding="utf-8")
    out = CliRunner().invoke(dialogue, ["check", str(part2)]).output
    assert 'D008 "respondent_iz" is not a check a dialogue can use. Did you mean "respondent_is"?' in out
    assert "D003 'optinal' is not a key a step uses. Did you mean \"optional\"?" in out
    assert 'with "nope", which is not one of its options (yes, partly, no, not_sure).' in out
    assert 'There is no list called "part1_outcome" under \'lists\'. Did you mean "part1_outcomes"?' in out
    assert out.count(" D0") == 4, out


def test_an_old_style_key_says_where_it_now_goes(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "id: tiny\nversion: 1\ntitle: Tiny\nstart: hi\nsteps:\n  hi:\n    kind: text\n"
        "    ask: How are you?\n    ask_about: How is {name}?\n  bye:\n    kind: end\n    say: Bye\n"
    )
    out = CliRunner().invoke(dialogue, ["check", str(path)]).output
    assert f"{path}:9:5: D003 'ask_about' is now written inside 'ask' as 'about:'" in out


def test_the_real_dialogues_pass(app):
    register(app)
    result = app.test_cli_runner().invoke(
        args=["dialogue", "check", *map(str, sorted(DIALOGUES.glob("*.yaml")))]
    )
    assert result.exit_code == 0, result.output
    assert result.output == "5 dialogues checked, no problems.\n"


def test_every_code_is_listed():
    out = CliRunner().invoke(dialogue, ["check", "--codes"]).output
    assert "D001" in out and "D014" in out


def test_diagram_is_a_mermaid_flowchart(app):
    register(app)
    out = app.test_cli_runner().invoke(args=["dialogue", "diagram", "part1"]).output
    assert out.startswith("flowchart TD\n")
    assert '    who["who<br/>Who is answering these questions?"]' in out
    assert '    who -->|"the person is answering"| matters' in out
    assert '    who -->|"otherwise"| role' in out
    assert "    name --> view" in out  # the step below, with no 'next' written
    assert '    done(["done<br/>' in out


def test_outline_says_branches_in_plain_words(app):
    register(app)
    out = app.test_cli_runner().invoke(args=["dialogue", "outline", "part1"]).output
    assert "   if the person is answering → matters" in out
    assert "   if the invitation says someone else is answering and the invitation says who is" in out
    assert (
        "   - I am an Independent Mental Capacity Advocate (IMCA), representing and supporting the person"
        " (imca; staff read:" in out
    )
    assert "   asks: How would you like to be involved?" in out
    assert "   otherwise → role" in out and "   then → view" in out


def test_check_runs_without_the_app(misspelt):
    import subprocess
    import sys

    folder, line = misspelt
    done = subprocess.run(
        [sys.executable, "-m", "app.authoring", "check", str(folder / "part1.yaml")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={"PATH": "/usr/bin:/bin"},  # no SECRET_KEY, no settings: it needs none
    )
    assert done.returncode == 1
    assert f"part1.yaml:{line}:11: D007 " in done.stdout
