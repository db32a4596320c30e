"""Staff sign-in: argon2 passwords, an address locked out of an account after repeated failures,
sessions kept in the database.

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
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import db
from ..access import find_user, record
from ..clock import aware, utcnow
from ..events import STAFF_NAMESPACE, emit_after_commit, staff_room
from ..models import AuditEvent, StaffSession, User
from ..models.staff import SignInThrottle

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


# After this many failed sign-ins to one account from one address (within STAFF_LOCK_MINUTES of each
# other), that address is refused for that account for STAFF_LOCK_MINUTES; the right password from
# any other address still works, so an attacker elsewhere cannot lock a worker out. Guessing across
# accounts from one address is slowed separately (Flask-Limiter, 10 a minute, signing_in.py).
#
# The counts live in the database (``sign_in_throttle``), not in Flask-Limiter's storage: that is
# memory:// unless RATELIMIT_STORAGE_URI names a Redis, and a count held in one process's memory
# would be neither shared by the others nor survive a restart; every process shares the database.
LOCK_AFTER = 5
FAILED = "sign_in_failed"  # audited on every failed sign-in: the account if it exists, never the typed email
LOCKED = "sign_in_locked"  # audited when an address is locked out of an account


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(email: str, password: str, address: str | None) -> User | None:
    """The user if the password is right and the account usable; None otherwise, whatever the cause.

    Failures are counted per account and address (see ``LOCK_AFTER``): once an address is locked out
    of an account even the right password from it is refused until the lock ends, while the same
    password from another address signs in. Every failure is audited, against the account when it
    exists (an unknown email is audited without it), with the address it came from.
    """
    user = find_user(email)
    now = utcnow()
    address = (address or "unknown")[:64]
    if user is None:
        _verify(_hasher()[1], password)
        record(None, FAILED)
        db.session.commit()
        return None
    throttle = _throttle(user, address)
    if throttle is not None and throttle.locked_until is not None and aware(throttle.locked_until) > now:
        _verify(_hasher()[1], password)
        record(user, FAILED, detail=f"refused: too many tries from {address}")
        db.session.commit()
        return None
    if not user.is_active:
        _verify(_hasher()[1], password)
        record(user, FAILED, detail=f"account disabled; from {address}")
        db.session.commit()
        return None
    if not _verify(user.password_hash, password):
        _count_failure(user, address, now)
        return None
    db.session.execute(
        delete(SignInThrottle).where(SignInThrottle.user_id == user.id, SignInThrottle.address == address)
    )
    if _hasher()[0].check_needs_rehash(user.password_hash):
        user.password_hash = _hasher()[0].hash(password)
    db.session.commit()
    return user


def _throttle(user: User, address: str) -> SignInThrottle | None:
    return db.session.scalars(
        select(SignInThrottle).where(SignInThrottle.user_id == user.id, SignInThrottle.address == address)
    ).first()


def _count_failure(user: User, address: str, now) -> None:
    """One more failure for this account from this address, counted in one statement so that
    several processes add up rather than overwrite; the fifth locks the address out."""
    minutes = current_app.config["STAFF_LOCK_MINUTES"]
    window = timedelta(minutes=minutes)
    pair = (SignInThrottle.user_id == user.id, SignInThrottle.address == address)
    user_id = user.id
    for _attempt in range(2):
        counted = db.session.execute(
            update(SignInThrottle)
            .where(*pair)
            .values(
                # A failure long after the last one starts the count again.
                failures=case(
                    (SignInThrottle.last_failed_at < now - window, 1), else_=SignInThrottle.failures + 1
                ),
                last_failed_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if counted:
            break
        db.session.add(SignInThrottle(user_id=user_id, address=address, failures=1, last_failed_at=now))
        try:
            db.session.flush()
            break
        except IntegrityError:  # another process counted the first failure at the same moment
            db.session.rollback()
            user = db.session.get(User, user_id)
    throttle = _throttle(user, address)
    db.session.refresh(throttle)
    record(user, FAILED, detail=f"wrong password from {address}")
    if throttle.failures >= LOCK_AFTER:
        throttle.failures, throttle.locked_until = 0, now + window
        detail = f"{address} refused for {minutes} minutes after {LOCK_AFTER} failed tries"
        record(user, LOCKED, detail=detail)
    # Old counts are forgotten: nothing about an address is kept longer than it is needed.
    db.session.execute(
        delete(SignInThrottle)
        .where(
            SignInThrottle.last_failed_at < now - timedelta(days=1),
            (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until < now),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def failed_sign_ins(hours: int = 24) -> tuple[dict[int, int], int]:
    """Failed sign-ins in the last ``hours``: a count per account, and how many named no account
    (those typed emails are never stored, so they cannot be shown)."""
    rows = db.session.execute(
        select(AuditEvent.user_id, func.count())
        .where(AuditEvent.action == FAILED, AuditEvent.at >= utcnow() - timedelta(hours=hours))
        .group_by(AuditEvent.user_id)
    )
    counts = dict(rows.all())
    return {k: v for k, v in counts.items() if k is not None}, counts.get(None, 0)


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
