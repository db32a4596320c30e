"""Options offered only while a condition holds (an option's ``when:``), and ``jurisdiction_is``:
an option that is not offered is not shown, not accepted and not supposed on the way ahead."""

from __future__ import annotations

import textwrap
from io import BytesIO

import pytest
import yaml
from conftest import Plain, inline_dialogue

from app.dialogue import DialogueError, Facts
from app.dialogue import render as rendering
from app.dialogue.answers import InvalidAnswer, allowed_values, check_value
from app.dialogue.engine import Dialogue
from app.dialogue.extract import extract_dialogue
from app.dialogue.load import parse_dialogue

TINY = """
id: tiny
version: 1
title: Tiny
start: role
steps:
  role:
    kind: choice
    ask: Who are you?
    sets: respondent
    options:
      - value: self
        label: I am the person
      - value: relative
        label: I am a relative
        staff: Relative
      - value: lpa_wales
        label: I hold a Welsh lasting power of attorney
        staff: Attorney (Wales)
        when: {jurisdiction_is: wales}
  help:
    kind: multi
    ask: What would help?
    options:
      - value: talk
        label: Someone to talk to
      - value: welsh
        label: Help in Welsh
        when: {jurisdiction_is: wales}
      - value: carer_break
        label: A break for me as a carer
        when: {answer_is: [role, relative]}
  more:
    kind: text
    ask: Tell us more
    optional: true
    next:
      - when: {answer_includes: [help, carer_break]}
        go: carer
      - go: check
  carer:
    kind: text
    ask: What break would help?
    next: check
  check:
    kind: review
    say: Check your answers
    next: bye
  bye:
    kind: end
    say: Thank you
"""

ENGLAND, WALES = Facts(), Facts(jurisdiction="wales")


def parse(text: str = TINY):
    text = textwrap.dedent(text)
    return parse_dialogue(yaml.safe_load(text), "dialogues/tiny.yaml", text=text)


def load(text: str = TINY) -> Dialogue:
    return inline_dialogue(text)


def problems_of(text: str) -> list[str]:
    with pytest.raises(DialogueError) as caught:
        parse(text)
    return [str(p) for p in caught.value.problems]


def offered(dialogue: Dialogue, key: str, facts: Facts) -> list[str]:
    return [o["value"] for o in rendering.options(dialogue, key, facts, Plain())]


def test_facts_are_in_england_unless_told():
    assert Facts().jurisdiction == "england"


def test_a_wales_only_option_is_shown_only_in_wales():
    dialogue = load()
    assert offered(dialogue, "role", ENGLAND) == ["self", "relative"]
    assert offered(dialogue, "role", WALES) == ["self", "relative", "lpa_wales"]
    turn = rendering.turn(dialogue, "role", WALES, Plain())
    assert [o["label"] for o in turn["input"]["options"]][-1] == "I hold a Welsh lasting power of attorney"


def test_choosing_a_wales_only_option_in_england_is_refused_like_any_unknown_value():
    dialogue = load()
    with pytest.raises(InvalidAnswer) as caught:
        check_value(dialogue, "role", ENGLAND, "lpa_wales", 100)
    assert caught.value.code == "not_an_option"  # the same calm words as a value never offered
    assert check_value(dialogue, "role", WALES, "lpa_wales", 100) == "lpa_wales"


def test_a_multi_answer_with_an_option_not_offered_is_refused_whole():
    dialogue = load()
    with pytest.raises(InvalidAnswer) as caught:
        check_value(dialogue, "help", ENGLAND, ["talk", "welsh"], 100)
    assert caught.value.code == "not_an_option"
    assert check_value(dialogue, "help", WALES, ["talk", "welsh"], 100) == ["talk", "welsh"]


def test_an_option_may_depend_on_an_earlier_answer():
    dialogue = load()
    relative = Facts(answers={"role": "relative"}, respondent="relative")
    assert offered(dialogue, "help", relative) == ["talk", "carer_break"]
    assert offered(dialogue, "help", Facts(answers={"role": "self"}, respondent="self")) == ["talk"]
    assert allowed_values(dialogue, "help", relative) == {"talk", "carer_break"}


def test_the_way_ahead_supposes_only_options_that_would_be_offered():
    # Only a relative is offered the carer's break, which alone leads to the extra question.
    dialogue = load()
    as_self = Facts(answers={"role": "self"}, respondent="self")
    relative = Facts(answers={"role": "relative"}, respondent="relative")
    assert dialogue.ahead("help", as_self) == (1, 1)
    assert dialogue.ahead("help", relative) == (1, 2)


def test_an_answer_given_while_its_option_was_offered_is_still_read_back():
    # A council that moves from Wales to England keeps what was answered: it reads back by its label.
    dialogue = load()
    facts = Facts(answers={"role": "lpa_wales", "help": ["talk"], "more": ""}, respondent="lpa_wales")
    review = rendering.turn(dialogue, "check", facts, Plain())["review"]
    assert review[0]["answer"] == "I hold a Welsh lasting power of attorney"


def test_a_role_offered_only_somewhere_is_still_a_role_and_needs_its_staff_label():
    assert parse().roles() == {"relative": "Relative", "lpa_wales": "Attorney (Wales)"}
    text = TINY.replace("        staff: Attorney (Wales)\n", "")
    assert any("D014" in p and "lpa_wales" in p for p in problems_of(text))


@pytest.mark.parametrize(
    ("when", "said"),
    [
        (
            "{jurisdiction_is: wale}",
            '"jurisdiction_is" names "wale", which is not a jurisdiction: use england or wales.'
            ' Did you mean "wales"?',
        ),
        ("{jurisdiction_is: scotland}", '"scotland", which is not a jurisdiction: use england or wales.'),
        ("{jurisdiction_iz: wales}", '"jurisdiction_iz" is not a check a dialogue can use. Did you mean'),
        ("{answer_is: [role, cousin]}", 'compares the answer to "role" with "cousin"'),
    ],
)
def test_a_wrong_option_condition_is_named_by_file_line_and_option(when, said):
    text = TINY.replace("when: {jurisdiction_is: wales}", f"when: {when}", 1)
    found = problems_of(text)
    assert len(found) == 1, found
    assert found[0].startswith("dialogues/tiny.yaml:20:9: D008 "), found[0]
    assert said in found[0]
    assert found[0].endswith("(step 'role', options[2].when)")


def test_an_option_condition_is_not_text_for_translators():
    found = [m for _, _, m, _ in extract_dialogue(BytesIO(TINY.encode()), [], [], {})]
    assert "wales" not in found and "I hold a Welsh lasting power of attorney" in found
