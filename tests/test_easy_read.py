"""Easy Read: short words of its own for every question, and a simple picture beside each step."""

from __future__ import annotations

import re
import string
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import Plain

from app.dialogue import Facts
from app.dialogue import render as rendering

ROOT = Path(__file__).resolve().parents[1]
DIALOGUES = ROOT / "dialogues"
PICTURES = ROOT / "static" / "pictures"
SVG = "{http://www.w3.org/2000/svg}"
LONGEST_SENTENCE = 20  # words; Easy Read guidance aims for 10 to 15
PERSON_DIALOGUES = ("part1", "part2")
# Asked of whoever is answering, before we know who they are ("Shall we start?" among them).
ABOUT_YOU = {"consent", "who", "role", "name"}
# Asked only of someone answering for themselves (never on a representative's way: test_dialogues).
SELF_ONLY = {"with_you"}

# Each Easy Read key and the standard key it stands in for.
PAIRS = (("easy", "ask"), ("easy_about", "ask_about"), ("easy_say", "say"), ("easy_say_about", "say_about"))


def steps(registry):
    """Every step of the dialogues a person (or someone for them) answers; staff ones have no Easy Read."""
    return [(did, step) for did in PERSON_DIALOGUES for step in registry[did].spec.steps.values()]


def placeholders(texts) -> set[str]:
    if isinstance(texts, str):
        texts = [texts]
    return {name for text in texts or () for _, name, _, _ in string.Formatter().parse(text) if name}


def easy_texts(step) -> list[str]:
    found = [t for t in (step.easy, step.easy_about) if t]
    return found + list(step.easy_say or ()) + list(step.easy_say_about or ())


def standard_only(step, variables: dict) -> set[str]:
    """Standard lead-in lines that Easy Read does not share (a few short ones, like "Hello", are)."""
    standard = list(step.say) + list(step.say_about or ())
    shared = list(step.easy_say or ()) + list(step.easy_say_about or ())
    return {line.format_map(variables) for line in standard if line not in shared}


def easy(**more) -> Facts:
    return Facts(easy_read=True, **more)


def test_both_dialogues_are_loaded(registry):
    assert {"part1", "part2"} <= set(registry)


def test_every_question_has_easy_read_words(registry):
    for did, step in steps(registry):
        if step.is_question:
            assert step.easy, f"{did}.{step.id} has no 'easy'"
            if step.ask_about:
                assert step.easy_about, f"{did}.{step.id} has 'ask_about' but no 'easy_about'"
                assert "{name}" in step.easy_about, f"{did}.{step.id}: easy_about should name the person"
            elif step.id not in ABOUT_YOU | SELF_ONLY:
                pytest.fail(f"{did}.{step.id} has no third-person form")


def test_lead_ins_that_matter_have_easy_read_words(registry):
    for did, step in steps(registry):
        if step.kind in ("none", "end", "review"):
            assert step.easy_say, f"{did}.{step.id} says nothing in Easy Read"
        if step.easy_say is not None and step.say_about is not None:
            # Otherwise someone answering for the person would be spoken to as if they were the person.
            assert step.easy_say_about, f"{did}.{step.id} needs 'easy_say_about' beside 'say_about'"
    part2 = registry["part2"].spec.steps["outcome_met"]
    assert part2.easy_say and part2.easy_say_about
    assert "{item}" in part2.easy and "{item}" in part2.easy_about


def test_easy_read_uses_the_same_placeholders_as_the_standard_words(registry):
    for did, step in steps(registry):
        for easy_key, key in PAIRS:
            easy_value = getattr(step, easy_key)
            if easy_value is None:
                continue
            standard = getattr(step, key)
            assert standard is not None, f"{did}.{step.id}: '{easy_key}' without '{key}'"
            assert placeholders(easy_value) == placeholders(standard), (did, step.id, easy_key)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[.?!]", text) if s.strip()]


def test_easy_read_sentences_are_short(registry):
    for did, step in steps(registry):
        for text in easy_texts(step):
            for sentence in sentences(text):
                words = len(sentence.split())
                assert words <= LONGEST_SENTENCE, f"{did}.{step.id}: {words} words: {sentence!r}"


# --- Pictures ------------------------------------------------------------------------------------


def test_every_step_has_a_picture_that_exists(registry):
    for did, step in steps(registry):
        assert step.picture, f"{did}.{step.id} has no picture"
        assert (PICTURES / f"{step.picture}.svg").is_file(), f"{did}.{step.id}: {step.picture}.svg"


def picture_files():
    return sorted(PICTURES.glob("*.svg"))


def test_there_are_pictures():
    assert len(picture_files()) >= 10


@pytest.mark.parametrize("path", picture_files(), ids=lambda p: p.stem)
def test_a_picture_is_small_safe_and_wordless(path):
    data = path.read_bytes()
    assert len(data) < 3 * 1024, f"{path.name} is {len(data)} bytes"
    assert re.fullmatch(r"[a-z0-9_]+", path.stem)
    root = ET.fromstring(data)  # parses as XML
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 120 120"
    tags = {el.tag.split("}")[-1].lower() for el in root.iter()}
    # No script, nothing foreign, no words (it must work in every language), and no title: the
    # picture is decorative beside the words and shown with alt="".
    assert not tags & {"script", "foreignobject", "text", "tspan", "title", "image", "use"}, tags
    text = data.decode("utf-8").lower()
    for banned in (
        "<script",
        "<foreignobject",
        "<text",
        'href="http',
        "href='http",
        "url(http",
        "javascript:",
        "@import",
    ):
        assert banned not in text, banned
    assert not re.search(r"\son[a-z]+\s*=", text), "an event handler attribute"


# --- Rendering -----------------------------------------------------------------------------------


def item_text(dialogue, key, facts) -> str:
    item = dialogue.item(key, facts)
    return item.text if item else ""


def every_key(dialogue, facts):
    return [
        k for k in dict.fromkeys(dialogue.walk(facts) + list(dialogue.spec.steps)) if dialogue.is_valid_key(k)
    ]


PART1 = {"outcome_words": "I want him to stop coming round", "outcome_choices": ["apology"]}


@pytest.mark.parametrize("dialogue_id", ["part1", "part2"])
def test_easy_read_shows_the_easy_question_and_no_standard_lead_in_to_the_person(registry, dialogue_id):
    dialogue = registry[dialogue_id]
    facts = easy(respondent="self", linked={"part1": PART1})
    for key in every_key(dialogue, facts):
        step = dialogue.step(key)
        said = rendering.messages(dialogue, key, facts, Plain())
        variables = {
            "name": "the person",
            "item": item_text(dialogue, key, facts),
            "duration": rendering.duration_text(dialogue, facts, Plain()),
        }
        expected = [line.format_map(variables) for line in step.easy_say or ()]
        if step.is_question:
            question = rendering.question_text(dialogue, key, facts, Plain())
            assert question == step.easy.format_map(variables), key
            expected.append(question)
        # Exactly the Easy Read lines and question: no standard lead-in line.
        assert said == expected, key
        assert not standard_only(step, variables) & set(said), (key, said)
        assert rendering.turn(dialogue, key, facts, Plain())["picture"] == step.picture


@pytest.mark.parametrize("dialogue_id", ["part1", "part2"])
def test_easy_read_for_a_representative_names_the_person(registry, dialogue_id):
    dialogue = registry[dialogue_id]
    facts = easy(respondent="imca", name="Sam", linked={"part1": PART1})
    for key in every_key(dialogue, facts):
        step = dialogue.step(key)
        if step.id in SELF_ONLY:
            continue  # never asked of someone answering for the person
        said = rendering.messages(dialogue, key, facts, Plain())
        variables = {
            "name": "Sam",
            "item": item_text(dialogue, key, facts),
            "duration": rendering.duration_text(dialogue, facts, Plain()),
        }
        lines = step.easy_say_about if step.easy_say_about is not None else step.easy_say
        expected = [line.format_map(variables) for line in lines or ()]
        if step.is_question:
            question = rendering.question_text(dialogue, key, facts, Plain())
            if step.easy_about:
                assert question == step.easy_about.format_map(variables), key
                assert "Sam" in question, (key, question)
            else:
                assert step.id in ABOUT_YOU and question == step.easy, key
            expected.append(question)
        assert said == expected, key
        assert not standard_only(step, variables) & set(said), (key, said)
        if step.easy_say_about:
            assert any("Sam" in line for line in said), (key, said)


def test_standard_mode_is_unchanged(registry):
    dialogue = registry["part1"]
    facts = Facts(respondent="self")
    said = rendering.messages(dialogue, "welcome", facts, Plain())
    duration = rendering.duration_text(dialogue, facts, Plain())
    assert said == [line.format_map({"duration": duration}) for line in dialogue.step("welcome").say]
    assert f"It takes {duration}." in said and duration.startswith("about ")
    assert rendering.turn(dialogue, "welcome", facts, Plain())["picture"] is None


@pytest.mark.parametrize(
    ("respondent", "name", "question"),
    [
        ("self", None, "“I want him to stop coming round”. Did this happen for you?"),
        ("imca", "Sam", "“I want him to stop coming round”. Did this happen for Sam?"),
    ],
)
def test_part2_easy_read_still_reads_back_the_persons_own_words(registry, respondent, name, question):
    dialogue = registry["part2"]
    facts = Facts(
        respondent=respondent,
        name=name,
        invited_respondent=respondent,
        invited_name=name,
        linked={"part1": PART1},
        easy_read=True,
    )
    step = dialogue.step("outcome_met.1")
    said = rendering.messages(dialogue, "outcome_met.1", facts, Plain())
    assert said[-1] == question
    assert len(said) == 2  # one short lead-in, then the question
    assert said[0] not in set(step.say) | {line.replace("{name}", "Sam") for line in step.say_about}
    second = rendering.messages(dialogue, "outcome_met.2", facts, Plain())
    # A chosen option is read back in its Easy Read words ("An apology" is "Someone says sorry").
    assert second[-1].startswith("“Someone says sorry”.")


def test_every_easy_read_text_is_extracted_for_translators(registry, extracted):
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted if m.id}
    missing = [
        f"{did}.{where}"
        for did in PERSON_DIALOGUES
        for where, text in registry[did].spec.texts()
        if where.partition(".")[2].startswith("easy") and text not in extracted
    ]
    assert not missing, missing[:10]
