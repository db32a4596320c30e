"""What the import contract (lint-imports, run by make test) cannot see: a service reaching the
request or Socket.IO through ``flask`` or ``app``, which every module imports anyway."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The services, the engine and storage: plain arguments in, results or the project's errors out.
SERVICES = [
    "app/access.py",
    "app/cases",
    "app/clock.py",
    "app/conversation/codes.py",
    "app/conversation/preferences.py",
    "app/conversation/services.py",
    "app/conversation/sessions.py",
    "app/dialogue",
    "app/followups.py",
    "app/models",
    "app/notify",
    "app/staff/auth.py",
    "app/staff/reading.py",
    "app/staff/services.py",
    "app/staff/teams.py",
    "app/worker.py",
]
# Of Flask, a service may read the app's settings and build a link; nothing of the request.
ALLOWED_FROM_FLASK = {"current_app", "url_for"}


def modules():
    for entry in SERVICES:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def imported_names(tree, module):
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def problems_in(source: str, name: str) -> list[str]:
    tree = ast.parse(source, name)
    problems = []
    if extra := imported_names(tree, "flask") - ALLOWED_FROM_FLASK:
        problems.append(f"{name} imports {sorted(extra)} from flask")
    # `from .. import socketio` or `from app import socketio`: only app/events.py sends.
    if "socketio" in imported_names(tree, None) | imported_names(tree, "app"):
        problems.append(f"{name} imports socketio")
    return problems


def test_services_know_nothing_of_the_request_or_the_socket():
    found = [p for path in modules() for p in problems_in(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == []


def test_the_check_can_fail():
    """The check above really looks: a module that reads the request or emits is caught."""
    source = "from flask import current_app, request\nfrom .. import db, socketio\n"
    assert problems_in(source, "bad.py") == [
        "bad.py imports ['request'] from flask",
        "bad.py imports socketio",
    ]
