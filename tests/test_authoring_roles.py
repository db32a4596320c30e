"""The dialogue owns its roles: a role added only in YAML is offered, spoken of in the third person,
and named in the staff's words, with no change to Python."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app import create_app, db, socketio
from app.dialogue import Facts, Registry, is_representative
from app.dialogue import render as rendering
from config import TestConfig

DIALOGUES = Path(__file__).resolve().parents[1] / "dialogues"
NEIGHBOUR = (
    "      - value: other\n"
    '        label: "Something else"\n'
    '        easy: "Something else"\n'
    '        staff: "Someone else"\n'
    "      - value: neighbour\n"
    '        label: "I am a neighbour"\n'
    '        easy: "I live near them"\n'
    '        staff: "Neighbour"\n'
)


class Plain:
    def gettext(self, message):
        return message

    def ngettext(self, singular, plural, n):
        return singular if n == 1 else plural


@pytest.fixture
def with_neighbour(tmp_path) -> Path:
    """A copy of dialogues/ whose Part 1 offers one more role, in YAML only."""
    folder = tmp_path / "dialogues"
    shutil.copytree(DIALOGUES, folder)
    part1 = folder / "part1.yaml"
    text = part1.read_text(encoding="utf-8")
    old = NEIGHBOUR.split("      - value: neighbour")[0]
    assert text.count(old) == 1
    part1.write_text(text.replace(old, NEIGHBOUR), encoding="utf-8")
    return folder


def test_is_representative():
    assert not is_representative(None) and not is_representative("") and not is_representative("self")
    assert is_representative("representative") and is_representative("imca")
    assert is_representative("neighbour")  # any role, known to Python or not


def test_a_role_added_in_yaml_is_offered_and_worded_in_the_third_person(with_neighbour):
    registry = Registry.load(with_neighbour)
    assert registry.roles()["neighbour"] == "Neighbour"
    assert list(registry.roles())[-1] == "neighbour"  # in the file's order, after the others
    assert "neighbour" in registry.respondents()
    part1 = registry["part1"]
    facts = Facts()
    key = part1.first_key(facts)
    opening = (("welcome", None), ("consent", "yes"), ("who", "representative"), ("role", "neighbour"))
    for sid, value in opening:
        assert key == sid
        assert value is None or value in {o["value"] for o in rendering.options(part1, key, facts, Plain())}
        facts.answers[key] = value
        if part1.step(key).sets == "respondent" and value:
            facts.respondent = value
        key = part1.next_key(key, facts)
    assert key == "name"
    facts.answers["name"], facts.name = "Sam", "Sam"
    key = part1.next_key(key, facts)
    assert key == "view"
    assert rendering.question_text(part1, "view", facts, Plain()) == (
        "Whose views will your answers give about Sam?"
    )
    facts.answers["view"] = "representative_account"
    key = part1.next_key(key, facts)
    assert key == "why_representative"
    assert (
        rendering.question_text(part1, key, facts, Plain())
        == "Why is Sam not answering these questions themselves?"
    )
    facts.answers[key] = "chose"
    key = part1.next_key(key, facts)
    assert key == "matters"
    assert rendering.question_text(part1, key, facts, Plain()).startswith(
        "What matters most to Sam at the moment?"
    )
    assert rendering.messages(part1, key, facts, Plain())[0].startswith("First, what matters to Sam.")


def test_an_invitation_in_a_yaml_only_role_skips_to_the_name(with_neighbour):
    part1 = Registry.load(with_neighbour)["part1"]
    facts = Facts(respondent="neighbour", invited_respondent="neighbour")
    facts.answers["welcome"] = None
    assert part1.next_key("welcome", facts) == "consent"
    facts.answers["consent"] = "yes"
    assert part1.next_key("consent", facts) == "name"  # the role is known: not asked again


def test_a_role_without_a_staff_label_is_refused(with_neighbour):
    from app.dialogue import DialogueError

    part1 = with_neighbour / "part1.yaml"
    part1.write_text(part1.read_text().replace('        staff: "Neighbour"\n', ""))
    with pytest.raises(DialogueError) as caught:
        Registry.load(with_neighbour)
    assert " D014 " in str(caught.value) and '"neighbour"' in str(caught.value)


def test_the_chat_speaks_of_the_person_to_a_yaml_only_role(with_neighbour, tmp_path, migrated_db):
    path = tmp_path / "roles.sqlite3"
    shutil.copyfile(migrated_db, path)
    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", DIALOGUE_DIR=str(with_neighbour)
    )
    from conftest import Chat, ensure_team

    from app.cases.services import create_invitation

    ensure_team(app)
    with app.app_context():
        code = create_invitation("CASE-N", 1, worker="worker@team.example").code
    c = Chat(socketio.test_client(app, namespace="/chat", auth={"code": code}), code)
    try:
        assert c.begin()["step"] == "who"
        c.answer("representative")
        assert c.turn["step"] == "role"
        assert "neighbour" in [o["value"] for o in c.turn["input"]["options"]]
        assert c.answer("neighbour")["ok"]
        assert c.turn["step"] == "name"
        c.answer("Sam")
        assert c.turn["step"] == "view"
        assert "about Sam" in " ".join(c.turn["messages"])
        c.answer("representative_account")
        assert c.turn["step"] == "why_representative"
        c.answer("chose")
        assert c.skip_opening()["step"] == "involve_how"
        assert "How would Sam like to be involved?" in c.turn["messages"]
    finally:
        c.client.disconnect(namespace="/chat")
        with app.app_context():
            db.engine.dispose()
