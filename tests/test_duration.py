"""What a dialogue's ``{duration}`` says is measured from the dialogue and rounded up, never down:
"It takes {duration}." reads "It takes about 20 minutes.", with the plural each language needs."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest
from conftest import Plain

from app.dialogue import DialogueError, Facts, Registry
from app.dialogue import duration as timing
from app.dialogue import render as rendering

ROOT = Path(__file__).resolve().parents[1]


class Polish:
    """A second language with three plural forms, chosen by Polish's rule: 1; 2-4 (not 12-14); the
    rest ("ok. 1 minuta", "ok. 2 minuty", "ok. 5 minut")."""

    LINES = {"It takes {duration}.": "To zajmie {duration}."}
    FORMS = ("ok. {n} minuta", "ok. {n} minuty", "ok. {n} minut")

    def gettext(self, message):
        return self.LINES.get(message, message)

    def ngettext(self, singular, plural, n):
        assert (singular, plural) == ("about {n} minute", "about {n} minutes")
        return self.FORMS[polish_form(n)]


def polish_form(n: int) -> int:
    if n == 1:
        return 0
    return 1 if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else 2


def person_dialogues(registry):
    return [d for d in registry.values() if d.spec.audience == "person"]


def outcomes(registry, n):
    """Part 1 answers that give Part 2 ``n`` outcomes to read back (own words, then choices)."""
    if not n:
        return {}
    choices = [o.value for o in registry["part1"].spec.steps["outcome_choices"].options]
    return {"part1": {"outcome_words": "To feel safe at home", "outcome_choices": choices[: n - 1]}}


# -- the rounding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, minutes",
    [(0, 1), (1, 1), (60, 1), (61, 2), (599, 10), (600, 10), (601, 15), (900, 15), (901, 20), (1741, 30)],
)
def test_the_time_is_rounded_up_to_the_minute_then_to_five_minutes_above_ten(seconds, minutes):
    assert timing.rounded(seconds) == minutes


def test_the_time_is_never_rounded_down():
    for seconds in range(1, 3 * 3600, 7):
        said = timing.rounded(seconds)
        assert said * 60 >= seconds
        assert said <= 10 or said % 5 == 0
        assert said * 60 - seconds < (60 if said <= 10 else 300)


# -- the real dialogues ----------------------------------------------------------------------------


@pytest.mark.parametrize("dialogue_id", ["part1", "part2"])
@pytest.mark.parametrize("easy_read", [False, True])
@pytest.mark.parametrize("respondent", ["self", "representative"])
def test_the_time_of_each_part_is_within_what_its_pace_implies(registry, dialogue_id, easy_read, respondent):
    dialogue = registry[dialogue_id]
    facts = Facts(linked=outcomes(registry, 3))
    measured = timing.measure(dialogue, easy_read, respondent, facts)
    assert measured.questions >= 10 and measured.words >= 300
    reading = measured.words * 60 / (timing.EASY_READ_WPM if easy_read else timing.READING_WPM)
    fastest = reading + measured.questions * timing.CHOICE_SECONDS
    slowest = reading + measured.questions * timing.TEXT_SECONDS
    assert fastest <= measured.seconds <= slowest
    assert measured.minutes == timing.rounded(measured.seconds) >= measured.seconds / 60
    # The longest way: no route the answers can take asks more questions.
    for route in dialogue.routes(Facts(linked=facts.linked), respondent=respondent):
        assert sum(1 for key, _ in route if dialogue.step(key).is_question) <= measured.questions


def test_the_pace_is_gentle():
    # Half the usual reading pace, slower still in Easy Read; writing takes longer than choosing.
    assert timing.READING_WPM <= 120 and timing.EASY_READ_WPM < timing.READING_WPM
    assert timing.CHOICE_SECONDS >= 30 and timing.TEXT_SECONDS > timing.CHOICE_SECONDS


def test_someone_answering_for_the_person_is_told_a_time_for_their_own_way(registry):
    # They are also asked who they are, the person's name and whose views they give.
    for dialogue in (registry["part1"], registry["part2"]):
        own = timing.measure(dialogue, respondent="self")
        other = timing.measure(dialogue, respondent="representative")
        assert other.questions > own.questions and other.seconds > own.seconds
        # Until it is known who answers, the time is the longer of the two.
        assert timing.measure(dialogue, respondent=None).seconds == max(own.seconds, other.seconds)


def test_part2_reads_back_each_outcome_given_in_part1(registry):
    part2 = registry["part2"]
    none, three, ten = (timing.measure(part2, facts=Facts(linked=outcomes(registry, n))) for n in (0, 3, 10))
    # With no outcomes it asks what they had hoped for, and whether it happened, instead.
    assert three.questions == none.questions - 2 + 3
    assert ten.questions == three.questions + 7 and ten.seconds > three.seconds


def test_the_time_said_depends_on_who_answers_not_on_what_they_answer(registry):
    part1 = registry["part1"]
    facts = Facts()
    before = timing.minutes(part1, facts)  # not yet known who answers: the longer way
    facts.answers.update({"welcome": None, "consent": "yes", "who": "self"})
    facts.respondent = "self"
    own = timing.minutes(part1, facts)
    assert own == timing.measure(part1, respondent="self").minutes <= before
    # Going on, or back to the welcome, it says the same: it is the whole way, from the start.
    facts.answers.update({"involve_how": ["meetings"], "involve_help": None, "outcome_words": "Safe"})
    assert timing.minutes(part1, facts) == own


# -- the placeholder, end to end -------------------------------------------------------------------


def write(tmp_path, name, text) -> Path:
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


SHORT = """\
    id: short
    version: 1
    title: "A short one"
    start: welcome
    steps:
      welcome:
        kind: none
        say:
          self:
            - "Hello."
            - "It takes {duration}."
          easy:
            - "Hello. It takes {duration}."
      ready:
        kind: choice
        ask: "Are you ready?"
        options:
          - value: "yes"
            label: "Yes"
      done:
        kind: end
        say: "Thank you."
"""


def long_dialogue(questions: int) -> str:
    steps = "".join(
        f"""
  q{i}:
    kind: text
    ask: "Please tell us, in a few words, what you think about this part of the enquiry."
    optional: true"""
        for i in range(questions)
    )
    return f"""\
id: long
version: 1
title: "A longer one"
start: welcome
steps:
  welcome:
    kind: none
    say: "Hello. It takes {{duration}}."{steps}
  done:
    kind: end
    say: "Thank you."
"""


def test_a_dialogue_may_say_it_takes_duration_and_it_loads(tmp_path):
    registry = Registry.load(write(tmp_path, "short.yaml", SHORT))
    assert "short" in registry


def test_a_placeholder_that_is_not_one_is_still_refused_and_duration_suggested(tmp_path):
    write(tmp_path, "short.yaml", SHORT.replace("It takes {duration}.", "It takes {durations}."))
    with pytest.raises(DialogueError) as caught:
        Registry.load(tmp_path)
    problems = caught.value.problems
    assert len(problems) == 2  # the standard line and the Easy Read one
    for problem in problems:
        assert problem.code == "D012" and "{durations}" in problem.message
        assert "{duration}" in problem.message.replace("{durations}", "")


def test_a_short_dialogue_says_about_one_minute_in_the_singular(tmp_path):
    dialogue = Registry.load(write(tmp_path, "short.yaml", SHORT))["short"]
    facts = Facts()
    assert timing.minutes(dialogue, facts) == 1
    turn = rendering.turn(dialogue, dialogue.first_key(facts), facts, Plain())
    assert turn["messages"] == ["Hello.", "It takes about 1 minute."]
    assert rendering.messages(dialogue, "welcome", facts, Polish())[1] == "To zajmie ok. 1 minuta."
    easy = Facts(easy_read=True)
    assert rendering.messages(dialogue, "welcome", easy, Plain()) == ["Hello. It takes about 1 minute."]


def test_a_longer_dialogue_says_its_measured_minutes_in_the_plural(tmp_path):
    dialogue = Registry.load(write(tmp_path, "long.yaml", long_dialogue(12)))["long"]
    facts = Facts()
    measured = timing.measure(dialogue, respondent=None)
    assert measured.questions == 12
    # Twelve answers to write, their words read, at the pace the module states.
    words = measured.words
    seconds = 12 * timing.TEXT_SECONDS + words * 60 / timing.READING_WPM
    assert measured.seconds == pytest.approx(seconds)
    n = timing.rounded(seconds)
    assert n > 10 and n % 5 == 0 and n >= seconds / 60
    assert timing.minutes(dialogue, facts) == n
    assert rendering.messages(dialogue, "welcome", facts, Plain()) == [f"Hello. It takes about {n} minutes."]
    assert rendering.duration_text(dialogue, facts, Polish()) == Polish.FORMS[polish_form(n)].format(n=n)


def test_the_plural_follows_the_number_in_a_language_with_three_forms(tmp_path, monkeypatch):
    dialogue = Registry.load(write(tmp_path, "short.yaml", SHORT))["short"]
    said = {}
    for n in (1, 2, 5, 22, 25):
        monkeypatch.setattr(timing, "minutes", lambda dialogue, facts, n=n: n)
        said[n] = rendering.messages(dialogue, "welcome", Facts(), Polish())[1]
    assert said == {
        1: "To zajmie ok. 1 minuta.",
        2: "To zajmie ok. 2 minuty.",
        5: "To zajmie ok. 5 minut.",
        22: "To zajmie ok. 22 minuty.",
        25: "To zajmie ok. 25 minut.",
    }


def test_the_apps_own_translator_fills_the_duration(app, tmp_path):
    # Flask-Babel's ngettext %-formats its result with num; the {n} in the msgid is left to us.
    from app.i18n import translating

    dialogue = Registry.load(write(tmp_path, "long.yaml", long_dialogue(3)))["long"]
    n = timing.minutes(dialogue, Facts())
    with app.test_request_context():
        for lang in ("en", "cy"):
            with translating(lang) as tr:
                line = rendering.messages(dialogue, "welcome", Facts(), tr)[0]
            assert f"{n}" in line and "{" not in line and "%" not in line, (lang, line)


def test_the_duration_is_worked_out_only_where_a_text_says_it(registry, monkeypatch):
    calls = []
    monkeypatch.setattr(timing, "minutes", lambda dialogue, facts: calls.append(1) or 5)
    part1 = registry["part1"]
    facts = Facts(respondent="self")
    for key in ("involve_how", "involve_help", "outcome_words"):
        rendering.turn(part1, key, facts, Plain())
    assert calls == []


def test_measured_counts_for_the_closing_note(registry):
    """The figures the closing note states (printed with ``pytest -s``)."""
    rows = []
    for dialogue_id, linked in (("part1", 0), ("part2", 0), ("part2", 3)):
        dialogue = registry[dialogue_id]
        for easy_read, respondent in ((False, "self"), (True, "self"), (False, "representative")):
            m = timing.measure(dialogue, easy_read, respondent, Facts(linked=outcomes(registry, linked)))
            rows.append((dialogue_id, linked, easy_read, respondent, m.questions, m.words, m.minutes))
            assert m.minutes >= math.ceil(m.seconds / 60)
    for row in rows:
        print("{} outcomes={} easy_read={} {}: {} questions, {} words, about {} minutes".format(*row))
