"""Both dialogues, walked on every branch by the engine alone (no Flask, no database)."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pytest
from conftest import Plain

from app.dialogue import Facts, split_key
from app.dialogue import render as rendering

DIALOGUES = Path(__file__).resolve().parents[1] / "dialogues"


def invited(respondent=None, name=None, **more) -> Facts:
    """Facts as they stand when the invitation said who answers and the person's name."""
    return Facts(respondent=respondent, name=name, invited_respondent=respondent, invited_name=name, **more)


def candidates(dialogue, key, facts):
    """Answers that exercise every branch: each option, nothing (when allowed), some text."""
    step = dialogue.step(key)
    values = [o["value"] for o in rendering.options(dialogue, key, facts, Plain())]
    if step.kind == "none":
        return [None]
    if step.kind == "review":
        return ["confirm"]
    found = [None] if step.optional else []
    if step.kind == "choice":
        found += values
    elif step.kind == "multi":
        found += [values[:1], values]
    elif step.kind == "text":
        found += ["In my own words"]
    return found


def explore(dialogue, facts: Facts):
    """Every route from the start, pruned where the same step is reached with the same facts."""
    edges, ends, seen = set(), 0, set()
    stack = [(dialogue.first_key(facts), facts, 0)]
    while stack:
        key, facts, depth = stack.pop()
        assert depth < 100, "a route that never ends"
        watched = {k: v for k, v in facts.answers.items() if split_key(k)[0] in WATCHED}
        sig = (key, facts.respondent, bool(facts.name), repr(sorted(watched.items())))
        if sig in seen:
            continue
        seen.add(sig)
        step = dialogue.step(key)
        if step.kind == "end":
            ends += 1
            continue
        for value in candidates(dialogue, key, facts):
            after = copy.deepcopy(facts)
            after.answers[key] = value
            if step.sets == "respondent" and value is not None:
                after.respondent = value
            if step.sets == "name" and value:
                after.name = value
            nxt = dialogue.next_key(key, after)
            assert nxt is not None, f"{key} leads nowhere"
            edges.add((split_key(key)[0], split_key(nxt)[0]))
            stack.append((nxt, after, depth + 1))
    return edges, ends


WATCHED = {
    "who",
    "role",
    "name",
    "outcome_words",
    "outcome_choices",
    "hoped",
    "has_questions",
    "recover_help",
    "avoided",
    "systems",
    "training",
}  # steps that conditions or lists read


def declared_edges(dialogue):
    return {(s.id, b.target) for s in dialogue.spec.steps.values() for b in s.branches}


PRESETS = list(itertools.product([None, "self", "representative", "imca"], [None, "Sam"], [False, True]))


@pytest.mark.parametrize("dialogue_id", ["part1", "part2", "reflection", "review"])
def test_every_branch_is_walked_and_every_route_ends(registry, dialogue_id):
    dialogue = registry[dialogue_id]
    taken, ends = set(), 0
    for respondent, name, with_part1 in PRESETS:
        linked = {"part1": {"outcome_words": "Stop him taking my money"}} if with_part1 else {}
        edges, n = explore(dialogue, invited(respondent, name=name, linked=linked))
        taken |= edges
        ends += n
    assert ends > 0
    missing = declared_edges(dialogue) - taken
    assert not missing, f"branches never taken: {sorted(missing)}"
    visited = {a for a, _ in taken} | {b for _, b in taken}
    assert visited == set(dialogue.spec.steps)


def route(dialogue, facts: Facts, answers: dict) -> list[str]:
    """Follow one route, answering from ``answers`` by step id (otherwise skip or continue).
    "Shall we start?" is answered yes unless ``answers`` says otherwise."""
    answers = {"consent": "yes", **answers}
    keys, key = [], dialogue.first_key(facts)
    while True:
        keys.append(key)
        step = dialogue.step(key)
        if step.kind == "end":
            return keys
        sid = split_key(key)[0]
        value = answers.get(sid, "confirm" if step.kind == "review" else None)
        facts.answers[key] = value
        if step.sets == "respondent" and value:
            facts.respondent = value
        if step.sets == "name" and value:
            facts.name = value
        key = dialogue.next_key(key, facts)


def test_part1_for_the_person_asks_all_four_topics(registry):
    dialogue = registry["part1"]
    facts = Facts()
    keys = route(dialogue, facts, {"who": "self", "outcome_words": "To feel safe at home"})
    assert keys[:3] == ["welcome", "consent", "who"]
    assert "role" not in keys and "name" not in keys
    topics = [dialogue.step(k).topic for k in keys]
    assert {"involvement", "informed", "who", "outcomes"} <= set(topics)
    # The person gave an outcome, so they are asked which matters most, from their own list.
    assert "outcome_most" in keys
    opts = rendering.options(dialogue, "outcome_most", facts, Plain())
    assert opts[0] == {"value": "outcome_words", "label": "To feel safe at home"}


def test_part1_names_every_involvement_option_from_the_source_document(registry):
    values = {o.value for o in registry["part1"].spec.steps["involve_how"].options}
    assert {
        "meetings",
        "meet_chair",
        "set_agenda",
        "community_venue",
        "split_meeting",
        "statement",
        "someone_speaks",
        "informed_only",
    } <= values


def test_an_imca_is_asked_the_name_and_whose_view_then_third_person(registry):
    dialogue = registry["part1"]
    facts = Facts()
    keys = route(
        dialogue,
        facts,
        {
            "who": "representative",
            "role": "imca",
            "name": "Sam",
            "view": "representative_account",
            "why_representative": "lacks_capacity",
        },
    )
    # Who answers, in what role, for whom, whose view and why; then what matters to Sam.
    assert keys[:8] == ["welcome", "consent", "who", "role", "name", "view", "why_representative", "matters"]
    assert facts.respondent == "imca"
    after_view = keys[keys.index("view") + 1 :]
    for key in after_view:
        if dialogue.step(key).is_question:
            question = rendering.question_text(dialogue, key, facts, Plain())
            assert "Sam" in question, (key, question)
    assert rendering.question_text(dialogue, "outcome_words", facts, Plain()).startswith(
        "In their own words, what would Sam like to happen? For example:"
    )


# Asked only of someone answering for themselves (Part 2's "who was with you"), so never about {name}.
SELF_ONLY = {"with_you"}


@pytest.mark.parametrize("dialogue_id", ["part1", "part2"])
def test_every_question_has_a_third_person_form(registry, dialogue_id):
    # Asked of whoever is answering, before we know (or whatever the answer): "Shall we start?" too.
    about_you = {"consent", "who", "role", "name"}
    dialogue = registry[dialogue_id]
    for step in dialogue.spec.steps.values():
        if step.is_question and step.id not in about_you | SELF_ONLY:
            assert step.ask_about and "{name}" in step.ask_about, step.id
    # A question with no third-person form is never on the way of someone answering for the person.
    for way in dialogue.routes(Facts(), respondent="representative"):
        assert not SELF_ONLY & {split_key(k)[0] for k, _ in way}, [k for k, _ in way]


def test_the_invitation_can_say_who_answers(registry):
    dialogue = registry["part1"]
    # Whatever the invitation says, "Shall we start?" comes first; then what it did not say.
    assert route(dialogue, invited("self"), {})[1:3] == ["consent", "matters"]
    assert route(dialogue, invited("representative"), {"role": "friend"})[1:3] == ["consent", "role"]
    # A representative named on the invitation is still asked whose view they will give.
    assert route(dialogue, invited("imca", name="Sam"), {})[1:3] == ["consent", "view"]
    assert route(dialogue, invited("imca"), {})[1:3] == ["consent", "name"]


def test_part2_reads_back_each_part1_outcome_in_the_persons_words(registry):
    dialogue = registry["part2"]
    part1 = {"outcome_words": "I want him to stop coming round", "outcome_choices": ["apology"]}
    facts = invited("self", linked={"part1": part1})
    keys = route(dialogue, facts, {"outcome_met": "partly"})
    assert "outcome_met.1" in keys and "outcome_met.2" in keys and "hoped" not in keys
    q1 = rendering.messages(dialogue, "outcome_met.1", facts, Plain())
    assert "“I want him to stop coming round”. Did this happen?" in q1
    q2 = rendering.messages(dialogue, "outcome_met.2", facts, Plain())
    assert "“An apology”. Did this happen?" in q2
    labels = [o["value"] for o in rendering.options(dialogue, "outcome_met.1", facts, Plain())]
    assert labels == ["fully", "partly", "not_at_all", "changed_mind", "not_sure"]


def test_part2_without_part1_asks_what_they_had_hoped(registry):
    dialogue = registry["part2"]
    keys = route(dialogue, invited("self"), {"hoped": "To stay at home"})
    assert "hoped" in keys and "hoped_met" in keys
    assert not any(k.startswith("outcome_met") for k in keys)


def test_part2_covers_experience_reflection_questions_debrief_and_recovery(registry):
    dialogue = registry["part2"]
    keys = route(
        dialogue,
        invited("self"),
        {"has_questions": "yes", "recover_help": "yes", "listened": "partly"},
    )
    for sid in (
        "listened",
        "informed",
        "safer",
        "happy",
        "reflect_well",
        "reflect_better",
        "questions",
        "debrief",
        "recover_help",
        "recover_what",
        "contact",
    ):
        assert sid in keys, sid
    for sid in ("listened", "informed", "safer", "happy"):
        values = [o.value for o in dialogue.spec.steps[sid].options]
        assert values == ["yes", "partly", "no", "not_sure"]
        assert dialogue.spec.steps[f"{sid}_more"].optional


@pytest.mark.parametrize("dialogue_id", ["part1", "part2"])
def test_answering_who_and_name_keeps_those_steps_on_the_route(registry, dialogue_id):
    # Regression: the welcome once branched on "is the role known?", so answering "who" removed it
    # from the route: back skipped it and it vanished from the review and the progress count.
    dialogue = registry[dialogue_id]
    facts = Facts()
    answers = {"who": "representative", "role": "imca", "name": "Sam"}
    keys = route(dialogue, facts, answers)
    assert keys[1:5] == ["consent", "who", "role", "name"]
    walked = dialogue.walk(facts)
    assert [k for k in walked if k in answers] == ["who", "role", "name"]
    assert dialogue.previous_key(keys[6], facts) == keys[5]
    assert dialogue.previous_key("role", facts) == "who"
    assert dialogue.previous_key("who", facts) == "consent"


def test_progress_counts_questions_on_the_route(registry):
    dialogue = registry["part1"]
    facts = invited("self")
    facts.answers["welcome"] = None
    facts.answers["consent"] = "yes"
    # "Shall we start?" is the first question; the first after it is the second.
    at_consent = rendering.progress(dialogue, "consent", facts, Plain())
    p = rendering.progress(dialogue, "matters", facts, Plain())
    assert at_consent["current"] == 1 and p["current"] == 2
    # Its answer decides the way on (not now, talk first, or on), so no total is promised yet.
    assert at_consent["total"] is None and at_consent["text"] == "Question 1"
    assert at_consent["left"].endswith("or more questions left")
    # Part 1's outcomes decide whether "which matters most" is asked: still no total, but the fewest
    # questions that may follow, and never fewer than at consent minus the one answered.
    assert not p["known"] and p["total"] is None and p["text"] == "Question 2"
    left_then = int(at_consent["left"].split()[0])
    left_now = int(p["left"].split()[0])
    assert p["left"] == f"{left_now} or more questions left" and left_now == left_then - 1


ROLES = {
    "relative": "Relative",
    "friend": "Friend",
    "carer": "Unpaid carer",
    "advocate": "Advocate",
    "care_act_advocate": "Care Act advocate",
    "ipa": "Independent Professional Advocate (IPA)",
    "imca": "Independent Mental Capacity Advocate (IMCA)",
    "attorney": "Lasting Power of Attorney (health and welfare)",
    "attorney_property": "Lasting Power of Attorney (property and financial affairs)",
    "deputy": "Deputy (Court of Protection)",
    "other": "Someone else",
}


def test_representative_roles_are_offered(registry):
    values = [o.value for o in registry["part1"].spec.steps["role"].options]
    assert values == list(ROLES)
    # The dialogue owns its roles: the staff pages' words come from it, in its order.
    assert list(registry.roles().items()) == list(ROLES.items())
    assert registry.respondents() == ("self", "self_helped", "representative", *ROLES)


@pytest.mark.parametrize("dialogue_id", ["part1", "part2"])
def test_the_advocate_roles_follow_the_law_where_the_council_is(registry, dialogue_id):
    # England: an independent advocate under the Care Act; Wales: an Independent Professional
    # Advocate under the Social Services and Well-being (Wales) Act. IMCAs and attorneys in both.
    dialogue = registry[dialogue_id]
    offered = {
        where: [o["value"] for o in rendering.options(dialogue, "role", Facts(jurisdiction=where), Plain())]
        for where in ("england", "wales")
    }
    assert "care_act_advocate" in offered["england"] and "ipa" not in offered["england"]
    assert "ipa" in offered["wales"] and "care_act_advocate" not in offered["wales"]
    for where in offered:
        assert {"imca", "attorney", "attorney_property", "deputy"} <= set(offered[where])


def test_part2_names_the_step_that_repeats_over_part1s_outcomes(registry):
    assert registry["part2"].repeating_step("part1_outcomes") == "outcome_met"
    assert registry["part2"].repeating_step("outcomes") == "outcome_met"
    assert registry["part1"].repeating_step("outcomes") is None


@pytest.mark.parametrize("dialogue_id", ["part1", "part2"])
def test_the_person_answering_with_someone_helping_is_spoken_to_as_themselves(registry, dialogue_id):
    # "I am answering for myself, with someone helping me": the person's own answers, in the words
    # for them (never about them), and asked at the end who was with them, as anyone answering
    # for themselves is.
    dialogue = registry[dialogue_id]
    facts = Facts()
    keys = route(dialogue, facts, {"who": "self_helped"})
    assert keys[keys.index("who") + 1] == ("matters" if dialogue_id == "part1" else "listened")
    assert facts.respondent == "self_helped"
    assert not {"role", "name", "view", "why_representative"} & set(keys)
    assert "with_you" in keys
    first = keys[keys.index("who") + 1]
    assert "you" in rendering.question_text(dialogue, first, facts, Plain()).lower()
