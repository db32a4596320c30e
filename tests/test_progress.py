"""Progress is true and steady: the question number only goes up, a total is shown only once the
answers still to come cannot change it (and then never shrinks), and until then the card says how
many questions there are at least, never a total that may turn out wrong. The Skip control is
offered exactly where a question may be skipped, and says so in words."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from conftest import Plain
from flask import render_template

from app.dialogue import Facts, Registry
from app.dialogue import render as rendering

ROOT = Path(__file__).resolve().parents[1]
SKIP = object()  # in a plan: leave the question unanswered (skip it)


def outcomes(registry, n):
    choices = [o.value for o in registry["part1"].spec.steps["outcome_choices"].options]
    return (
        {"part1": {"outcome_words": "To feel safe at home", "outcome_choices": choices[: n - 1]}} if n else {}
    )


def default_answer(step):
    """Skip what may be skipped; otherwise the first option, or a name."""
    if step.kind == "review":
        return "confirm"
    if not step.is_question or step.optional:
        return None
    if step.kind == "text":
        return "Sam"
    return step.options[0].value if step.kind == "choice" else [step.options[0].value]


def go(dialogue, facts, plan):
    """Answer turn after turn as the services do (``sets`` included), from ``plan`` by step id (a
    value, or SKIP), else ``default_answer``. Returns every turn shown, with its key."""
    turns, key = [], dialogue.first_key(facts)
    for _ in range(100):
        turn = rendering.turn(dialogue, key, facts, Plain())
        turns.append(turn)
        if turn["finished"]:
            return turns
        step = dialogue.step(key)
        value = plan.get(key.partition(".")[0], default_answer(step))
        value = None if value is SKIP else value
        facts.answers[key] = value
        if step.sets == "respondent" and value:
            facts.respondent = value
        if step.sets == "name" and value:
            facts.name = value
        key = dialogue.next_key(key, facts)
    raise AssertionError("never finished")


def assert_true_and_steady(dialogue, facts, turns):
    """What every walk must show, question after question."""
    shown = [t for t in turns if dialogue.step(t["step"]).is_question]
    assert shown, "no questions asked"
    for turn in turns:
        if not dialogue.step(turn["step"]).is_question:
            assert turn["progress"]["text"] == ""  # the welcome, the check and the end are not counted
    totals, known = [], False
    for i, turn in enumerate(shown):
        p = turn["progress"]
        assert p["current"] == i + 1, (turn["step"], p)  # one more each time, never back
        assert p["at_least"] <= p["at_most"]
        if i:
            before = shown[i - 1]["progress"]
            assert p["at_least"] >= before["at_least"], (turn["step"], before, p)  # never shrinks
            assert p["at_most"] <= before["at_most"], (turn["step"], before, p)
            # The bar (current of at_most) only ever moves forward.
            assert p["current"] / p["at_most"] > before["current"] / before["at_most"]
        if p["known"]:
            assert p["total"] == p["at_least"] == p["at_most"]
            assert p["text"] == f"Question {p['current']} of {p['total']}"
            left = p["total"] - p["current"]
            assert p["left"] == (f"{left} question left" if left == 1 else f"{left} questions left")
            assert all(t <= p["total"] for t in totals)  # never below a total shown before
            totals.append(p["total"])
            known = True
        else:
            assert not known, f"{turn['step']}: the total was known, then not"
            assert p["total"] is None
            assert p["text"] == f"Question {p['current']}" and " of " not in p["text"]
            fewest = p["at_least"] - p["current"]
            assert p["left"] == (
                f"{fewest} or more questions left" if fewest else "This may be the last question."
            )
    last = shown[-1]["progress"]
    assert last["current"] == len(shown)
    # The last question says it is the last: "N of N", or, if its own answer could have led on,
    # that it may be.
    assert last["total"] == len(shown) if last["known"] else last["left"] == "This may be the last question."
    assert len(set(totals)) <= 1, totals  # once known, the same total to the end
    # Back (or Change from the check page) shows each question's progress again as it was.
    for turn in shown:
        again = rendering.progress(dialogue, turn["step"], facts, Plain())
        assert again == turn["progress"], turn["step"]


PATHS = {
    "part1, for oneself, every question answered": (
        "part1",
        lambda r: Facts(),
        {
            "who": "self",
            "outcome_words": "To be safe",
            "involve_help": "Large print",
            "inform_how": ["phone"],
        },
    ),
    "part1, for oneself, skipping all": ("part1", lambda r: Facts(), {"who": "self"}),
    "part1, invited, Easy Read, one outcome chosen": (
        "part1",
        lambda r: Facts(respondent="self", invited_respondent="self", easy_read=True),
        {"outcome_words": SKIP, "outcome_choices": ["apology"]},
    ),
    "part1, a representative": (
        "part1",
        lambda r: Facts(),
        {"who": "representative", "role": "imca", "name": "Sam", "view": "representative_own"},
    ),
    "part1, an invited attorney, name known, Easy Read": (
        "part1",
        lambda r: Facts(
            respondent="attorney", invited_respondent="attorney", invited_name="Sam", easy_read=True
        ),
        {"outcome_words": "Stay at home"},
    ),
    "part2, for oneself, three outcomes, has questions": (
        "part2",
        lambda r: Facts(respondent="self", invited_respondent="self", linked=outcomes(r, 3)),
        {"has_questions": "yes", "questions": "When is the next meeting?", "recover_help": "no"},
    ),
    "part2, a representative, no outcomes, hoped": (
        "part2",
        lambda r: Facts(),
        {
            "who": "representative",
            "role": "friend",
            "name": "Sam",
            "hoped": "To be safe",
            "recover_help": "yes",
        },
    ),
    "part2, Easy Read, skipping all": (
        "part2",
        lambda r: Facts(respondent="self", invited_respondent="self", easy_read=True, linked=outcomes(r, 1)),
        {},
    ),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_progress_is_true_and_steady_along_each_way(registry, path):
    dialogue_id, make_facts, plan = PATHS[path]
    dialogue, facts = registry[dialogue_id], make_facts(registry)
    turns = go(dialogue, facts, plan)
    assert_true_and_steady(dialogue, facts, turns)


def test_while_branches_ahead_are_open_no_total_is_shown(registry):
    # Part 1 asks "which matters most" only if the person gave an outcome: until then the total is
    # not known, and the card says how many questions there are at least.
    dialogue, facts = registry["part1"], Facts(respondent="self", invited_respondent="self")
    turns = go(dialogue, facts, {"outcome_words": "To be safe"})
    first = next(t for t in turns if dialogue.step(t["step"]).is_question)["progress"]
    assert not first["known"] and first["total"] is None
    assert re.fullmatch(r"\d+ or more questions left", first["left"])
    by_step = {t["step"]: t["progress"] for t in turns}
    assert not by_step["outcome_words"]["known"]
    assert by_step["outcome_choices"]["known"]  # an outcome given: "which matters most" will be asked
    most = by_step["outcome_most"]
    assert most["known"] and most["text"] == f"Question {most['current']} of {most['total']}"
    # The total, once known, holds to the last question.
    last = [t for t in turns if dialogue.step(t["step"]).is_question][-1]["progress"]
    assert last["text"] == f"Question {most['total']} of {most['total']}"


# -- small dialogues that show each case -----------------------------------------------------------


BRANCHING = """\
id: branching
version: 1
title: "Branching"
start: first
steps:
  first:
    kind: choice
    ask: "Shall we go the long way?"
    options:
      - value: long
        label: "The long way"
      - value: short
        label: "The short way"
    next:
      - when: {answer_is: [first, long]}
        go: a
      - go: c
  a:
    kind: text
    ask: "One?"
    optional: true
  b:
    kind: text
    ask: "Two?"
    optional: true
  c:
    kind: choice
    ask: "Anything more?"
    optional: true
    options:
      - value: "yes"
        label: "Yes"
      - value: "no"
        label: "No"
    next:
      - when: {answer_is: [c, "yes"]}
        go: more
      - go: done
  more:
    kind: text
    ask: "Tell us more."
    optional: true
  done:
    kind: end
    say: "Thank you."
"""


@pytest.fixture
def branching(tmp_path):
    (tmp_path / "branching.yaml").write_text(textwrap.dedent(BRANCHING), encoding="utf-8")
    return Registry.load(tmp_path)["branching"]


def test_a_question_that_may_be_the_last_says_so(branching):
    facts = Facts(answers={"first": "short"})
    p = rendering.progress(branching, "c", facts, Plain())
    assert p == {
        "current": 2,
        "at_least": 2,
        "at_most": 3,
        "known": False,
        "total": None,
        "text": "Question 2",
        "left": "This may be the last question.",
    }
    facts.answers["c"] = "yes"
    assert rendering.progress(branching, "more", facts, Plain())["text"] == "Question 3 of 3"


def test_the_fewest_questions_ahead_are_said_until_the_way_is_known(branching):
    p = rendering.progress(branching, "first", Facts(), Plain())
    assert (p["text"], p["left"], p["at_least"], p["at_most"]) == (
        "Question 1",
        "1 or more questions left",
        2,
        5,
    )
    for plan in ({"first": "long", "c": "yes"}, {"first": "long", "c": "no"}, {"first": "short", "c": SKIP}):
        facts = Facts()
        assert_true_and_steady(branching, facts, go(branching, facts, plan))


# -- the card --------------------------------------------------------------------------------------


def card(app, turn, live=True) -> str:
    with app.test_request_context():
        return render_template("_card.html", turn=turn, live=live)


@pytest.mark.parametrize("live", [True, False])
def test_the_card_shows_a_total_only_when_it_is_known(app, registry, live):
    dialogue, facts = registry["part1"], Facts(respondent="self", invited_respondent="self")
    turns = go(dialogue, facts, {"outcome_words": "To be safe"})
    by_step = {t["step"]: t for t in turns}
    # Before any outcome is given the way ahead is open; once one is, the total is known.
    open_way = card(app, by_step["matters"], live)
    p = by_step["matters"]["progress"]
    assert f'<p class="app-progress__text">Question {p["current"]} <span' in open_way
    assert f"{p['at_least'] - p['current']} or more questions left" in open_way
    assert f'max="{p["at_most"]}" value="{p["current"]}"' in open_way
    known = card(app, by_step["involve_help"], live)
    p = by_step["involve_help"]["progress"]
    assert f"Question {p['current']} of {p['total']}" in known and f'max="{p["total"]}"' in known


@pytest.mark.parametrize("live", [True, False])
def test_skip_is_offered_with_words_exactly_where_a_question_may_be_skipped(app, registry, live):
    for dialogue in registry.values():
        facts = Facts(respondent="self", linked=outcomes(registry, 2))
        for key in dialogue.walk(facts) + list(dialogue.spec.steps):
            if not dialogue.is_valid_key(key):
                continue
            step = dialogue.step(key)
            turn = rendering.turn(dialogue, key, facts, Plain())
            skippable = step.optional and step.is_question
            assert turn["input"]["optional"] == skippable, key
            drawn = card(app, turn, live)
            assert ("Skip this question" in drawn) == skippable, (dialogue.id, key)
            assert ("You can skip this question." in drawn) == skippable, (dialogue.id, key)
            assert ('data-action="skip"' in drawn or 'value="skip"' in drawn) == skippable, (dialogue.id, key)


def test_a_required_question_offers_no_skip_and_an_optional_one_says_it_may_be_skipped(app, registry):
    part1, facts = registry["part1"], Facts()
    required = card(app, rendering.turn(part1, "who", facts, Plain()))
    assert "Skip" not in required and "skip this question" not in required
    optional = card(app, rendering.turn(part1, "involve_help", Facts(respondent="self"), Plain()))
    hint = optional.index("You can skip this question.")
    assert hint < optional.index('data-action="skip"')  # said before the buttons, next to them


NONE_OPTIONAL = """\
id: words
version: 1
title: "Words"
start: hello
steps:
  hello:
    kind: none
    optional: true
    say: "Hello."
  done:
    kind: end
    say: "Thank you."
"""


def test_a_step_with_nothing_to_answer_offers_no_skip_even_if_marked_optional(app, tmp_path):
    (tmp_path / "words.yaml").write_text(NONE_OPTIONAL, encoding="utf-8")
    dialogue = Registry.load(tmp_path)["words"]
    turn = rendering.turn(dialogue, "hello", Facts(), Plain())
    assert turn["input"]["optional"] is False
    assert "skip" not in card(app, turn).lower()
