"""What every server process runs beside the web server: escalate the urgent signals nobody
acknowledged, then send the emails that are due. Several processes may run it at once: each signal
is escalated once and each email sent once (see ``followups.escalate_due``, ``notify.outbox``).
Beside it, on a thread of its own so that mail never waits for it, the retention sweep
(RETENTION_SWEEP): shortly after start, then every RETENTION_SWEEP_HOURS, the conversations kept
longer than RETENTION_MONTHS are erased (``records.retention``; each case once, whichever process
gets there first)."""

from __future__ import annotations

import logging
import threading

from . import db, followups
from .notify import outbox
from .records import retention

# The first sweep waits this long after start: the server is serving before it looks.
FIRST_SWEEP_SECONDS = 60.0

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


def sweep_once(app) -> retention.Summary | None:
    """One retention run by this process; a failure is logged by its kind only (never a case's
    reference or anything in it) and left for the next sweep."""
    with app.app_context():
        try:
            summary = retention.run(via="system")
        except Exception as exc:
            db.session.rollback()
            log.error("retention sweep failed: %s", type(exc).__name__)
            return None
        finally:
            db.session.remove()
    if summary.erased or summary.skipped:
        log.info("retention sweep: %s", summary.line())
    return summary


def sweep(app, stop: threading.Event, first_after: float = FIRST_SWEEP_SECONDS) -> None:
    """The retention loop of one server process: shortly after start, then every
    RETENTION_SWEEP_HOURS, until ``stop`` is set."""
    wait = first_after
    while not stop.wait(wait):
        sweep_once(app)
        wait = app.config["RETENTION_SWEEP_HOURS"] * 3600


def start(app) -> threading.Event:
    """Start this process's sender (with OUTBOX_SENDER) and its retention sweep (with
    RETENTION_SWEEP), each in a daemon thread; set the returned event to stop them."""
    stop = threading.Event()
    if app.config.get("OUTBOX_SENDER"):
        threading.Thread(target=run, args=(app, stop), name="outbox", daemon=True).start()
    if app.config.get("RETENTION_SWEEP"):
        threading.Thread(target=sweep, args=(app, stop), name="retention", daemon=True).start()
    return stop
