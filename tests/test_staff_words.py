"""The staff pages' words for the dialogue's answers come from the dialogue files: a lead who
rewords a staff label in YAML sees it on the case page, with no change to Python."""

import shutil

import pytest
from test_staff import agree, answer_all, invite_code, new_case, post, signed_in, staff  # noqa: F401

from app import create_app, db
from config import ROOT, TestConfig


@pytest.fixture
def app(tmp_path, migrated_db):
    """The test app, on dialogues whose 'changed their mind' staff label a lead has reworded."""
    dialogues = tmp_path / "dialogues"
    shutil.copytree(ROOT / "dialogues", dialogues)
    part2 = dialogues / "part2.yaml"
    text = part2.read_text()
    assert 'staff: "Changed their mind"' in text
    part2.write_text(text.replace('staff: "Changed their mind"', 'staff: "Wanted something else by the end"'))
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(migrated_db, path)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", DIALOGUE_DIR=str(dialogues))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_outcomes_table_takes_its_words_from_the_dialogue(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    case_id = new_case(worker, "S-W")
    answer_all(app, invite_code(app, worker, case_id, 1), {"who": "self", "outcome_words": "Stay in my flat"})
    post(worker, f"/staff/cases/{case_id}/eligibility", {"decision": "yes"}, f"/staff/cases/{case_id}")
    agree(app, staff, case_id)
    answer_all(app, invite_code(app, worker, case_id, 2), {"who": "self", "outcome_met": "changed_mind"})
    page = worker.get(f"/staff/cases/{case_id}").text
    outcomes = page.split('id="outcomes-title"')[1].split("</table>")[0]
    assert "Stay in my flat" in outcomes and "Wanted something else by the end" in outcomes
    assert "Changed their mind" not in outcomes and "I changed my mind" not in outcomes
