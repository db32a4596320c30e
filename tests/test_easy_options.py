"""Easy Read options: an option's own Easy Read label (``easy:``) is what a person reading Easy Read
sees, in the question, on "check your answers" and wherever a list of answers is read back; anyone
else sees ``label``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import Plain, inline_dialogue

from app.dialogue import DialogueError, Facts, Registry
from app.dialogue import render as rendering
from app.dialogue.engine import Dialogue

TINY = """
id: tiny
version: 1
title: Tiny
start: feel
lists:
  felt:
    from: [feel]
steps:
  feel:
    kind: choice
    ask:
      self: How did the meetings feel?
      easy: How did the meetings feel?
    options:
      - value: listened
        label: I felt listened to
        easy: People listened to me
      - value: ignored
        label: I felt ignored
    next: again
  again:
    kind: choice
    ask: Which one matters most?
    options_from: felt
    next: check
  check:
    kind: review
    say: Check your answers
    next: bye
  bye:
    kind: end
    say: Thank you
"""


def load(text: str = TINY) -> Dialogue:
    return inline_dialogue(text)


def labels(dialogue: Dialogue, key: str, facts: Facts) -> list[str]:
    return [o["label"] for o in rendering.options(dialogue, key, facts, Plain())]


def test_easy_read_shows_the_easy_label_and_otherwise_the_label():
    dialogue = load()
    assert labels(dialogue, "feel", Facts(easy_read=True)) == ["People listened to me", "I felt ignored"]
    assert labels(dialogue, "feel", Facts()) == ["I felt listened to", "I felt ignored"]


def test_check_your_answers_reads_back_the_label_the_person_read():
    dialogue = load()
    answers = {"feel": "listened", "again": "listened"}
    for easy_read, said in ((True, "People listened to me"), (False, "I felt listened to")):
        facts = Facts(answers=answers, easy_read=easy_read)
        review = rendering.turn(dialogue, "check", facts, Plain())["review"]
        assert [row["answer"] for row in review] == [said, said]


def test_a_list_built_from_options_is_offered_in_easy_read_words_but_kept_by_its_label():
    dialogue = load()
    facts = Facts(answers={"feel": "listened"}, easy_read=True)
    assert labels(dialogue, "again", facts) == ["People listened to me"]
    # What names the item where it is kept (an answer's 'about') is still the plain label.
    assert [item.text for item in dialogue.items("felt", facts)] == ["I felt listened to"]


def test_an_easy_label_is_checked_as_text():
    bad = TINY.replace("easy: People listened to me", "easy: People listened to {nobody}")
    with pytest.raises(DialogueError) as caught:
        load(bad)
    assert [p.code for p in caught.value.problems] == ["D012"]
    assert "options[0], key 'easy'" in str(caught.value)


def test_easy_labels_are_extracted_for_translators():
    from io import BytesIO

    from app.dialogue.extract import extract_dialogue

    found = [m for _, _, m, _ in extract_dialogue(BytesIO(TINY.encode()), [], [], {})]
    assert "People listened to me" in found
    assert "I felt listened to" in found


# -- Easy Read from end to end --------------------------------------------------------------------

DIALOGUES = Path(__file__).resolve().parents[1] / "dialogues"


def missing_easy_labels(spec) -> list[str]:
    """``step.option`` for each option of a step with Easy Read words that has no Easy Read label."""
    found = []
    for step in spec.steps.values():
        if step.easy or step.easy_about or step.easy_say or step.easy_say_about:
            found += [f"{step.id}.{o.value}" for o in step.options if not o.easy]
    return found


@pytest.mark.parametrize("path", sorted(DIALOGUES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_option_of_an_easy_read_step_has_an_easy_read_label(registry, path):
    # A step read in Easy Read whose options are not is Easy Read only half way: a person who needs
    # it would read short questions and then long, standard answers to choose from.
    spec = next(d.spec for d in registry.values() if Path(d.spec.path).name == path.name)
    missing = missing_easy_labels(spec)
    assert not missing, f"{path.name}: {len(missing)} options without 'easy:': {', '.join(missing)}"


def test_the_checker_warns_of_an_easy_read_option_without_an_easy_label(tmp_path):
    from click.testing import CliRunner

    from app.authoring.commands import dialogue

    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY), encoding="utf-8")
    out = CliRunner().invoke(dialogue, ["check", str(path)]).output
    assert (
        f'{path}:19:9: D015 warning: The option "ignored" of the step "feel" has no Easy Read label:'
        " give it 'easy:' words, as the step has (until then, Easy Read shows its 'label')."
        " (step 'feel', options[1])"
    ) in out
    assert out.count(" D0") == 1, out
    # ... but a warning does not stop the dialogue from running.
    assert "tiny" in Registry.load(tmp_path)
