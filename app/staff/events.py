"""Socket.IO namespace ``/staff``: live signals and follow-up counts for a signed-in member of staff.

The server pushes ``signal`` (``{event: raised|acknowledged|escalated|withdrawn, id, case_id,
reference, kind, label, urgent, raised_at}``) after the commit, to the room of each live sign-in of
those who can see the case (``app.followups.rooms_for``): a sign-out stops it even for an open socket.

Authenticated by the staff session cookie on connect, and checked again on every event, so that a
sign-out (which emits ``signed_out`` to the session's room) ends the socket's use at once. A case
asked for by id is checked like any page: out of reach is "not found", and audited.
"""

from __future__ import annotations

import logging

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from .. import access, db, followups, socketio
from ..events import STAFF_NAMESPACE, staff_room
from ..security import is_id
from ..socket_guards import emitted_by_the_client, note_malformed, one_argument
from . import auth

NAMESPACE = STAFF_NAMESPACE
log = logging.getLogger(__name__)


@socketio.on_error(NAMESPACE)
def on_error(exc):
    """Any unexpected failure: roll back, log its type only, answer calmly."""
    db.session.rollback()
    log.error("staff event failed: %s", type(exc).__name__)
    return {"ok": False, "code": "unavailable"}


def _signed_in():
    return current_user.is_authenticated and current_user.role in ("worker", "manager")


def _malformed() -> dict:
    return {"ok": False, "code": "malformed"}


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth_data=None):
    if emitted_by_the_client():
        note_malformed("reserved event name")
        return None  # ignored: the connection stays as it was
    if not _signed_in():
        raise ConnectionRefusedError("sign in first")
    found = auth.session_for(current_user.get_id())
    if found is None:
        raise ConnectionRefusedError("sign in first")
    # The sign-in's own room: sign-out is heard here, and signals are pushed here, to the live
    # sign-ins of those who may see the case (app/followups.py), so an ended one hears nothing more.
    join_room(staff_room(found.id))


@socketio.on("follow_ups", namespace=NAMESPACE)
@one_argument(_malformed)
def on_follow_ups(data=None):
    if not _signed_in():
        return {"ok": False, "code": "signed_out"}
    items = followups.follow_ups_for(current_user)
    return {"ok": True, "open": len(items), "kinds": sorted({i.kind for i in items})}


@socketio.on("case", namespace=NAMESPACE)
@one_argument(_malformed)
def on_case(data=None):
    if not _signed_in():
        return {"ok": False, "code": "signed_out"}
    case_id = data.get("id") if isinstance(data, dict) else None
    if not is_id(case_id):
        case_id = None  # no row has it (a bool, a float, a number past any id): "not found", audited
    case = access.case_for(current_user, case_id, "socket_case")
    if case is None:
        return {"ok": False, "code": "not_found"}
    open_ones = followups.follow_ups_for(current_user, case=case)
    return {"ok": True, "reference": case.reference, "stage": case.stage, "follow_ups": len(open_ones)}
