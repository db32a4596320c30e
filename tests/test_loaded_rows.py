"""A conversation as ``services.load`` reads it (app/conversation/rows.py): one row made into plain
read-only objects, written only by statements that check its version."""

import pytest
from sqlalchemy.orm.exc import StaleDataError

from app import db
from app.conversation import services
from app.models import Conversation


def test_a_loaded_conversation_is_read_only_and_reads_the_rest_from_its_row(app, invite):
    """``services.load`` makes plain objects (app.conversation.rows): a column set on one alone
    would never be saved, so setting one raises; what the load did not carry (a relationship, a
    column the chat never reads) is read from the mapped row; ``save`` writes and keeps a change."""
    code = invite(respondent="self")
    with app.app_context():
        conversation = services.open_by_code(code)
        with pytest.raises(AttributeError, match="read-only"):
            conversation.language = "cy"
        with pytest.raises(AttributeError, match="read-only"):
            conversation.case.preferred_name = "Someone else"
        # Not loaded, read from the row: the case's conversations, an invitation's other columns.
        assert [c.id for c in conversation.case.conversations] == [conversation.id]
        assert (
            conversation.invitation.code_hash
            == db.session.get(Conversation, conversation.id).invitation.code_hash
        )
        with pytest.raises(AttributeError):
            _ = conversation.no_such_column
        version = conversation.version
        services.save(conversation, language="cy")
        db.session.commit()
        assert (conversation.language, conversation.version) == ("cy", version + 1)
        db.session.expire_all()
        assert db.session.get(Conversation, conversation.id).language == "cy"


def test_a_save_from_a_conversation_moved_on_since_it_was_loaded_changes_nothing(app, invite):
    """Two requests loaded the same conversation; the first saves. The second's save finds the row's
    version moved on and raises (``busy`` to the person, the page again): nothing of it is written."""
    code = invite(respondent="self")
    with app.app_context():
        first = services.open_by_code(code)
        conversation_id = first.id
    with app.app_context():
        second = services.load(conversation_id)
        services.save(second, text_size="large")
        db.session.commit()
    with app.app_context():
        with pytest.raises(StaleDataError):
            services.save(first, language="cy", state="somewhere")
        db.session.rollback()
        row = db.session.get(Conversation, conversation_id)
        assert (row.language, row.text_size) == ("en", "large")
        assert row.state != "somewhere"


def test_help_is_recorded_even_when_an_answer_moved_the_conversation_on_meanwhile(app, invite, monkeypatch):
    """ "I need help now" while another tab's answer is being saved: the help request loaded the
    conversation just before the answer moved its version on. The request is still recorded (its
    signal raised, the conversation marked), never refused for the race."""
    from app.conversation import preferences
    from app.models import FollowUp

    code = invite(respondent="self")
    with app.app_context():
        before_the_answer = services.open_by_code(code)
        conversation_id = before_the_answer.id
    with app.app_context():
        services.save(services.load(conversation_id), text_size="large")
        db.session.commit()
    with app.app_context():
        monkeypatch.setattr(preferences, "load", lambda _id: before_the_answer)
        assert preferences.ask_for_help(conversation_id).ok
        db.session.expire_all()
        row = db.session.get(Conversation, conversation_id)
        assert row.urgent_at is not None and row.text_size == "large"
        kinds = db.session.scalars(
            db.select(FollowUp.kind).where(FollowUp.conversation_id == conversation_id)
        )
        assert list(kinds) == ["help_now"]


def test_a_setting_that_lost_a_race_on_the_socket_is_busy_and_changes_nothing(app, chat, monkeypatch, caplog):
    """A settings change on the socket whose conversation another tab moved on after it was loaded:
    ``busy`` (try again), not ``unavailable`` with an error in the log; nothing of it is written."""
    from app.conversation import preferences

    c = chat(respondent="self")
    c.begin()
    with app.app_context():
        conversation_id = db.session.scalars(db.select(Conversation.id)).one()
        before_the_other_tab = services.load(conversation_id)
    with app.app_context():
        services.save(services.load(conversation_id), text_size="large")
        db.session.commit()
    monkeypatch.setattr(preferences, "load", lambda _id: before_the_other_tab)
    with caplog.at_level("ERROR"):
        ack = c.emit("settings", {"text_size": "larger", "high_contrast": True})
    assert ack["ok"] is False and ack["code"] == "busy"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    with app.app_context():
        row = db.session.get(Conversation, conversation_id)
        assert (row.text_size, row.high_contrast) == ("large", False)
