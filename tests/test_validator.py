"""The dialogue validator: every mistake is named by file, step and code, and the app refuses it."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from app import create_app
from app.dialogue import DialogueError, load_dialogue
from app.dialogue.load import parse_dialogue
from config import TestConfig

GOOD = """
id: tiny
version: 1
title: Tiny
start: hello
steps:
  hello:
    kind: none
    say: Hello
    next: feel
  feel:
    kind: choice
    ask: How do you feel?
    options:
      - {value: ok, label: OK}
      - {value: bad, label: Not good}
    next:
      - when: {answer_is: [feel, bad]}
        go: why
      - go: bye
  why:
    kind: text
    ask: Tell us more
    optional: true
    next: bye
  bye:
    kind: end
    say: Thank you
"""


def parse(text: str):
    text = textwrap.dedent(text)
    return parse_dialogue(yaml.safe_load(text), "dialogues/tiny.yaml", text=text)


def problems_of(text: str) -> list[str]:
    """Each problem as written for a person: ``file:line:column: CODE message (step, key)``."""
    with pytest.raises(DialogueError) as caught:
        parse(text)
    return [str(p) for p in caught.value.problems]


def codes_of(text: str) -> set[str]:
    with pytest.raises(DialogueError) as caught:
        parse(text)
    return {p.code for p in caught.value.problems}


def test_a_good_dialogue_loads():
    spec = parse(GOOD)
    assert list(spec.steps) == ["hello", "feel", "why", "bye"]
    assert spec.steps["feel"].branches[0].when == {"answer_is": ["feel", "bad"]}


@pytest.mark.parametrize(
    ("old", "new", "code", "where"),
    [
        ("kind: choice", "kind: pick", "D004", "step 'feel', key 'kind'"),
        ("    ask: How do you feel?\n", "", "D002", "step 'feel', key 'ask'"),
        ("go: why", "go: wyh", "D007", "step 'feel', next[0]"),
        ("answer_is: [feel, bad]", "answer_looks_like: [feel, bad]", "D008", "step 'feel', next[0].when"),
        ("answer_is: [feel, bad]", "answer_is: [nowhere, bad]", "D008", "step 'feel', next[0].when"),
        ("      - go: bye\n", "", "D009", "step 'feel', key 'next'"),
        ("{value: bad, label: Not good}", "{value: ok, label: Not good}", "D006", "step 'feel', options[1]"),
        ("ask: Tell us more", "ask: Tell us more, {who}", "D012", "step 'why', key 'ask'"),
        ("    optional: true\n", "    optional: true\n    colour: red\n", "D003", "step 'why', key 'colour'"),
        ("kind: end", "kind: none\n    next: hello", "D011", "key 'steps'"),
        ("start: hello", "start: nowhere", "D007", "key 'start'"),
        (
            "    options:\n      - {value: ok, label: OK}\n      - {value: bad, label: Not good}\n",
            "",
            "D005",
            "step 'feel', key 'options'",
        ),
    ],
)
def test_each_mistake_names_file_step_and_code(old, new, code, where):
    assert old in GOOD
    problems = problems_of(GOOD.replace(old, new))
    assert any(p.startswith("dialogues/tiny.yaml:") and where in p and f": {code} " in p for p in problems), (
        problems
    )


def test_an_unreachable_step_is_reported():
    broken = GOOD + "  lost:\n    kind: text\n    ask: Nobody gets here\n    next: bye\n"
    assert any("step 'lost'" in p and " D010 " in p for p in problems_of(broken))


def test_a_loop_with_no_way_out_is_reported():
    broken = GOOD.replace("    optional: true\n    next: bye", "    optional: true\n    next: why")
    broken = broken.replace("      - go: bye", "      - go: why")
    assert any(" D011 " in p for p in problems_of(broken))


def test_every_problem_is_reported_at_once():
    broken = GOOD.replace("go: why", "go: wyh").replace("kind: text", "kind: essay")
    codes = codes_of(broken)
    assert {"D004", "D007"} <= codes


def test_a_list_must_exist_before_a_step_repeats_over_it():
    broken = GOOD.replace("    optional: true\n", "    optional: true\n    repeat: wishes\n")
    assert any("key 'repeat'" in p and " D013 " in p for p in problems_of(broken))


def test_broken_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nsteps: [unclosed\n")
    with pytest.raises(DialogueError) as caught:
        load_dialogue(path)
    assert str(path) in str(caught.value) and " D001 " in str(caught.value)


def test_the_app_refuses_to_start_on_an_invalid_dialogue(tmp_path):
    (tmp_path / "tiny.yaml").write_text(GOOD.replace("go: why", "go: wyh"))
    with pytest.raises(DialogueError) as caught:
        create_app(TestConfig, DIALOGUE_DIR=str(tmp_path))
    assert (
        "tiny.yaml:19:13: D007 The step \"wyh\" that 'next' goes to does not exist in this dialogue."
        " Did you mean \"why\"? (step 'feel', next[0], key 'go')"
    ) in str(caught.value)


def test_a_list_from_another_dialogue_must_name_its_steps(tmp_path):
    (tmp_path / "tiny.yaml").write_text(
        GOOD.replace("start: hello", "start: hello\nlists:\n  wishes: {dialogue: nope, from: [x]}")
    )
    with pytest.raises(DialogueError) as caught:
        create_app(TestConfig, DIALOGUE_DIR=str(tmp_path))
    assert "list 'wishes'" in str(caught.value) and " D013 " in str(caught.value)


def test_follow_up_rules_are_checked_like_branches():
    good = GOOD + "follow_ups:\n  - {kind: feels_bad, when: {answer_is: [feel, bad]}}\n"
    assert parse(good).follow_ups[0].kind == "feels_bad"
    bad_step = GOOD + "follow_ups:\n  - {kind: feels_bad, when: {answer_is: [nowhere, bad]}}\n"
    assert any("follow_ups[0].when" in p and " D008 " in p for p in problems_of(bad_step))
    no_when = GOOD + "follow_ups:\n  - {kind: feels_bad}\n"
    assert any("follow_ups[0]" in p and " D004 " in p for p in problems_of(no_when))


def test_a_dialogue_is_for_the_person_or_for_staff():
    assert parse(GOOD).audience == "person"
    assert parse(GOOD + "audience: staff\n").audience == "staff"
    assert any("key 'audience'" in p for p in problems_of(GOOD + "audience: public\n"))


def test_follow_ups_hold_when_their_answers_do():
    from app.dialogue import Facts, Registry

    part2 = Registry.load("dialogues")["part2"]
    assert part2.follow_ups(Facts(answers={"safer": "no", "has_questions": "yes"})) == {
        "less_safe",
        "questions",
    }
    assert part2.follow_ups(Facts(answers={"safer": "yes", "contact": "no"})) == set()
