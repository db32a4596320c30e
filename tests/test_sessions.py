"""The person's browser session: noting activity never collides with saving what they chose."""

from app import db
from app.conversation import services, sessions
from app.models import Conversation


def test_noting_activity_never_makes_a_save_at_the_same_moment_fail(app, invite):
    """A page load notes activity while a socket saves a setting for the same conversation: before,
    the activity write bumped the row's version, the save failed its version check and a page broke."""
    code = invite()
    with app.app_context():
        conversation_id = services.open_by_code(code).id
    with app.app_context():
        saving = db.session.get(Conversation, conversation_id)
        version = saving.version
        saving.easy_read = True  # the socket's change, not yet committed
        with app.app_context():  # another request, in another session, at the same moment
            sessions.touch(db.session.get(Conversation, conversation_id))
        db.session.commit()  # raised StaleDataError before touch left the version alone
    with app.app_context():
        stored = db.session.get(Conversation, conversation_id)
        assert stored.easy_read is True
        assert stored.seen_at is not None
        assert stored.version == version + 1  # only the real change counted
