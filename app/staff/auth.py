"""Staff sign-in: argon2 passwords, lock-out after repeated failures, sessions kept in the database.

Flask-Login keeps the session token (not the user id) in the signed cookie. The token's hash is
looked up in ``staff_session`` on every request, so signing out, idling or an admin disabling the
account ends the session in every process, and a copied cookie is useless afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import LoginManager
from sqlalchemy import select

from .. import db
from ..access import find_user
from ..clock import aware, utcnow
from ..events import STAFF_NAMESPACE, emit_after_commit, staff_room
from ..models import StaffSession, User

login_manager = LoginManager()
login_manager.login_view = "staff.sign_in"
login_manager.login_message = None  # the sign-in page says what it needs to
login_manager.session_protection = "basic"

# One hasher per cost setting, with a dummy hash of the same cost: verifying against it when the
# email is unknown takes as long as a real check, so the response time does not reveal whether an
# account exists.
_hashers: dict[tuple, tuple[PasswordHasher, str]] = {}


def _hasher() -> tuple[PasswordHasher, str]:
    cost = current_app.config.get("ARGON2_COST") or {}
    key = tuple(sorted(cost.items()))
    if key not in _hashers:
        hasher = PasswordHasher(**cost)
        _hashers[key] = (hasher, hasher.hash(secrets.token_urlsafe(16)))
    return _hashers[key]


LOCK_AFTER = 5  # failures in a row


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(email: str, password: str) -> User | None:
    """The user if the password is right and the account usable; None otherwise, whatever the cause.

    Failures are counted per account; after ``LOCK_AFTER`` in a row the account is locked for
    ``STAFF_LOCK_MINUTES``, and even the right password is refused until then.
    """
    user = find_user(email)
    now = utcnow()
    if user is None or not user.is_active:
        _verify(_hasher()[1], password)
        return None
    if user.locked_until is not None and aware(user.locked_until) > now:
        _verify(_hasher()[1], password)
        return None
    if not _verify(user.password_hash, password):
        user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
        if user.failed_sign_ins >= LOCK_AFTER:
            user.locked_until = now + timedelta(minutes=current_app.config["STAFF_LOCK_MINUTES"])
            user.failed_sign_ins = 0
        db.session.commit()
        return None
    user.failed_sign_ins, user.locked_until = 0, None
    if _hasher()[0].check_needs_rehash(user.password_hash):
        user.password_hash = _hasher()[0].hash(password)
    db.session.commit()
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher()[0].verify(hashed, password or "")
    except (VerificationError, InvalidHashError):
        return False


def start_session(user: User) -> str:
    """A new server-side session for this user; the token goes into the cookie via Flask-Login."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(StaffSession(token_hash=_token_hash(token), user=user, created_at=now, seen_at=now))
    db.session.commit()
    user.__dict__["session_token"] = token
    return token


def session_for(token: str | None) -> StaffSession | None:
    """The live session for a token, its activity noted; an idle one is ended here."""
    if not token:
        return None
    found = db.session.scalars(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    ).first()
    if found is None or found.ended_at is not None or not found.user.is_active:
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    if now - aware(found.seen_at) > idle:
        end_session(found)
        return None
    found.seen_at = now
    db.session.commit()
    return found


@login_manager.user_loader
def load_user(token: str) -> User | None:
    found = session_for(token)
    if found is None:
        return None
    found.user.__dict__["session_token"] = token
    return found.user


def end_session(found: StaffSession) -> None:
    """End one sign-in everywhere, and close any socket it opened."""
    found.ended_at = utcnow()
    emit_after_commit("signed_out", {}, STAFF_NAMESPACE, [staff_room(found.id)])
    db.session.commit()


def end_session_for_token(token: str | None) -> None:
    """End the sign-in this token belongs to, if it is still live."""
    found = session_for(token) if token else None
    if found is not None:
        end_session(found)
