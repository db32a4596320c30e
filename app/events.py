"""Side effects after a commit: socket pushes to staff pages and waking the mail sender.

A service records what should happen with ``after_commit(fn)`` while it writes; ``fn`` runs only
once the transaction that wrote it has committed, and is dropped if it rolls back. So a staff page
never hears of a signal that was not saved, and the sender never looks for a row it cannot see.
Callbacks must take only plain values captured beforehand: the session cannot be used in them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "after_commit"


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` after this session's current transaction commits."""
    session.info.setdefault(_KEY, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    for fn in session.info.pop(_KEY, []):
        try:
            fn()
        except Exception as exc:  # a push that fails must never undo or fail what was saved
            log.error("after-commit side effect failed: %s", type(exc).__name__)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)
