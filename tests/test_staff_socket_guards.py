"""The /staff socket refuses what the /chat socket refuses: more than one argument is malformed, a
client event named connect is ignored, and neither is logged as a failure."""

import logging

from test_staff import new_case, signed_in, staff, staff_socket  # noqa: F401

from app import socket_guards


def test_extra_arguments_and_reserved_names_on_the_staff_socket(app, staff, caplog, monkeypatch):  # noqa: F811
    monkeypatch.setattr(socket_guards, "_malformed_last", [float("-inf")])
    caplog.set_level(logging.INFO)
    worker = signed_in(app, staff, "worker")
    mine = new_case(worker, "N-9")
    sock = staff_socket(app, worker)
    sock.get_received("/staff")
    for event in ("case", "follow_ups"):
        reply = sock.emit(event, {"id": mine}, "extra", namespace="/staff", callback=True)
        assert reply == {"ok": False, "code": "malformed"}, event
    sock.emit("connect", {"anything": 1}, namespace="/staff")
    assert sock.is_connected("/staff") and sock.get_received("/staff") == []
    # The socket still works, and nothing was logged as a failure; one short line was.
    assert sock.emit("case", {"id": mine}, namespace="/staff", callback=True)["ok"] is True
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    noted = [r.getMessage() for r in caplog.records if r.name == "app.socket_guards"]
    assert len(noted) == 1 and len(noted[0]) < 100
