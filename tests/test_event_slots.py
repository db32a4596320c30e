"""A few chat events at a time do their work in one process (app.socket_guards.EventSlots); the rest
wait, first come first served, and past their wait are refused calmly as `unavailable`, having
changed nothing. "I need help now", "I need more time" and "Exit this page" never wait for a slot."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from flask import g
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app import db
from app.database import write_turns
from app.models import Answer, Conversation
from app.socket_guards import EventSlots


def test_a_freed_slot_goes_to_the_longest_waiting_event():
    slots = EventSlots(1, wait=5)
    order = []
    waiting = threading.Event()

    def earlier_event():
        waiting.set()
        with slots.held() as got:
            order.append(("earlier", got))
            time.sleep(0.05)

    held = slots.held()
    held.__enter__()
    earlier = threading.Thread(target=earlier_event)
    earlier.start()
    waiting.wait(5)
    time.sleep(0.05)  # it is waiting for the slot now
    held.__exit__(None, None, None)
    # An event arriving the moment the slot is freed queues behind the one already waiting, even
    # in the very thread that freed it (a plain semaphore lets it take the slot first).
    with slots.held() as got:
        order.append(("newcomer", got))
    earlier.join(5)
    assert order == [("earlier", True), ("newcomer", True)]


def test_an_event_that_waits_too_long_is_refused_and_leaves_no_claim_behind():
    slots = EventSlots(1, wait=0.05)
    with slots.held():
        began = time.monotonic()
        with slots.held() as got:
            assert got is False
        assert 0.04 < time.monotonic() - began < 1
    with slots.held() as got:  # the refused wait holds nothing: the slot is free again
        assert got is True


def test_no_slots_means_no_limit():
    slots = EventSlots(0, wait=0)
    with contextlib.ExitStack() as stack:
        assert all(stack.enter_context(slots.held()) for _ in range(50))


def test_unset_one_event_at_a_time_on_sqlite_and_four_on_a_database_server(app):
    from app.database import event_slots

    assert app.extensions["event_slots"].slots == 1  # the tests' SQLite, EVENT_SLOTS unset
    sqlite = {"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/x.sqlite3", "EVENT_SLOTS": None}
    postgres = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.example/msp", "EVENT_SLOTS": None}
    assert (event_slots(sqlite), event_slots(postgres)) == (1, 4)
    assert event_slots({**sqlite, "EVENT_SLOTS": 3}) == 3  # said: as said
    assert event_slots({**postgres, "EVENT_SLOTS": 0}) == 0  # no limit


@contextlib.contextmanager
def every_slot_taken(app):
    slots = app.extensions["event_slots"]
    with contextlib.ExitStack() as stack:
        assert all(stack.enter_context(slots.held()) for _ in range(slots.slots))
        yield


def stored(app) -> list[str]:
    with app.app_context():
        return [a.step for a in db.session.scalars(db.select(Answer).order_by(Answer.id))]


def test_with_every_slot_taken_an_answer_is_refused_calmly_and_nothing_changes(app, chat):
    c = chat()
    c.begin()
    step, before = c.turn["step"], stored(app)
    with every_slot_taken(app):
        began = time.monotonic()
        ack = c.emit("answer", {"id": "slot-1", "step": step, "value": "self"})
        took = time.monotonic() - began
    assert ack["ok"] is False and ack["code"] == "unavailable"
    assert "not" in ack["error"].lower()  # the calm message says it was not saved
    assert took < 1.0
    assert stored(app) == before
    with app.app_context():
        assert db.session.scalars(db.select(Conversation.state)).one() == step
    # A slot free again: the same answer is taken.
    assert c.emit("answer", {"id": "slot-1", "step": step, "value": "self"})["ok"]
    assert stored(app) == [*before, step]


def test_help_more_time_and_exit_never_wait_for_a_slot(app, chat):
    c = chat()
    c.begin()
    with every_slot_taken(app):
        helped = c.emit("help")
        assert helped.get("code") != "unavailable" and helped["contacts"], helped
        assert c.emit("more_time")["ok"]
        assert c.emit("exit")["ok"]


def test_an_event_that_waited_for_its_slot_waits_only_what_is_left_for_the_write_turn(app):
    # The event's budget (g.waits_end, set when it arrives) bounds its wait for the write turn too:
    # slot, connection and write waits together never exceed it.
    assert app.config["DB_WAIT_SECONDS"] >= 0.2
    with app.test_request_context():
        write_turns._lock.acquire()  # another writer's turn, held throughout
        try:
            g.waits_end = time.monotonic() + 0.05
            began = time.monotonic()
            with pytest.raises(PoolTimeout):
                write_turns.take(db.session())
            assert time.monotonic() - began < 0.15  # not the full DB_WAIT_SECONDS
        finally:
            write_turns._lock.release()
            db.session.rollback()


def test_an_answer_waits_for_the_write_turn_another_writer_holds_and_is_saved_after_it(app, chat):
    # An answer's statements go to the session's connection directly (services._write), so its turn
    # to write is taken there too: with another writer's turn held, it waits, then is saved.
    app.config["DB_WAIT_SECONDS"] = 3.0  # room for a slow machine: the hold below is 0.15 s
    c = chat()
    c.begin()
    step, before = c.turn["step"], stored(app)
    acks = []
    write_turns._lock.acquire()  # another writer of this process, in its transaction
    try:
        answering = threading.Thread(
            target=lambda: acks.append(c.emit("answer", {"id": "turn-1", "step": step, "value": "self"}))
        )
        answering.start()
        answering.join(0.15)
        assert answering.is_alive() and acks == []  # waiting for the turn, not writing beside it
        assert stored(app) == before
    finally:
        write_turns._lock.release()
    answering.join(5)
    assert acks and acks[0]["ok"], acks
    assert stored(app) == [*before, step]
