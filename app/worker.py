"""What every server process runs beside the web server: escalate the urgent signals nobody
acknowledged, then send the emails that are due. Several processes may run it at once: each signal
is escalated once and each email sent once (see ``followups.escalate_due``, ``notify.outbox``)."""

from __future__ import annotations

import logging
import threading

from . import db, followups
from .notify import outbox

log = logging.getLogger(__name__)


def run_once() -> tuple[int, int]:
    """Escalate and send what is due now; returns (escalated, sent)."""
    escalated = followups.escalate_due()
    sent = 0
    while (n := outbox.deliver_due()) > 0:
        sent += n
    return escalated, sent


def run(app, stop: threading.Event) -> None:
    """The loop of one server process: escalate, deliver, sleep until woken or the poll."""
    poll = app.config["OUTBOX_POLL_SECONDS"]
    while not stop.is_set():
        with app.app_context():
            try:
                run_once()
            except Exception as exc:  # the loop must outlive a database that is away for a while
                db.session.rollback()
                log.error("outbox pass failed: %s", type(exc).__name__)
            finally:
                db.session.remove()
        outbox.sleep(poll)


def start(app) -> threading.Event:
    """Start this process's sender in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run, args=(app, stop), name="outbox", daemon=True).start()
    return stop
