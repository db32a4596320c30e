"""Hardening at the edges (issue 11): ids out of range, reused answer ids, extra event arguments,
and no invitation code in any cookie. What lives in the server process itself (headers on the
Engine.IO polling responses) is tested against a served instance in ``test_hardening_served.py``."""

from __future__ import annotations

import pytest
from test_staff import new_case, post, signed_in, staff  # noqa: F401

from app import socketio
from app.security import MAX_ID

STAFF_ID_URLS = [
    ("get", "/staff/cases/{id}"),
    ("get", "/staff/cases/{id}/export.json"),
    ("get", "/staff/cases/{id}/export.pdf"),
    ("get", "/staff/invitations/{id}/hand-over"),
    ("get", "/staff/cases/{id}/reflection"),
    ("post", "/staff/cases/{id}/stage"),
    ("post", "/staff/cases/{id}/worker"),
    ("post", "/staff/cases/{id}/invitations"),
    ("post", "/staff/cases/{id}/eligibility"),
    ("post", "/staff/cases/{id}/eligibility/{id}/decide"),
    ("post", "/staff/invitations/{id}/revoke"),
    ("post", "/staff/invitations/{id}/hand-over"),
    ("post", "/staff/follow-ups/{id}/done"),
    ("post", "/staff/follow-ups/{id}/acknowledge"),
    ("post", "/staff/users/{id}/active"),
    ("post", "/staff/teams/{id}"),
]


@pytest.mark.parametrize("number", ["99999999999999999999", str(MAX_ID + 1), "0"])
def test_an_id_out_of_range_in_any_staff_url_is_not_found(app, staff, number):  # noqa: F811
    clients = {signed_in(app, staff, "manager"): "/staff/", signed_in(app, staff, "admin"): "/staff/users"}
    for method, url in STAFF_ID_URLS:
        path = url.format(id=number)
        for client, page in clients.items():
            response = post(client, path, page=page) if method == "post" else client.get(path)
            assert response.status_code == 404, (path, response.status_code)


def test_the_largest_id_is_still_looked_up_and_simply_not_found(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    assert worker.get(f"/staff/cases/{MAX_ID}").status_code == 404
    case_id = new_case(worker, "H-1")
    assert worker.get(f"/staff/cases/{case_id}").status_code == 200


def test_the_staff_socket_takes_an_id_out_of_range_as_not_found(app, staff):  # noqa: F811
    worker = signed_in(app, staff, "worker")
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=worker)
    assert sock.is_connected("/staff")
    for wrong in (99999999999999999999, MAX_ID + 1, -1, 0, True, 1.5, "1"):
        reply = sock.emit("case", {"id": wrong}, namespace="/staff", callback=True)
        assert reply == {"ok": False, "code": "not_found"}, wrong
