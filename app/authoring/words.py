"""Conditions (a branch's ``when``) in plain words, for outlines and diagrams."""

from __future__ import annotations

from typing import Any


def _quoted(value: Any) -> str:
    return f"'{value}'"


def _who(value: str, roles: dict[str, str]) -> str:
    if value == "self":
        return "the person"
    if value == "self_helped":
        return "the person, with someone helping"
    if value == "representative":
        return "someone else"
    if value not in roles:
        return _quoted(value)
    label = roles[value]
    if not any(word[:1].isupper() for word in label.split()[1:]):
        label = label[:1].lower() + label[1:]  # "Unpaid carer" -> "unpaid carer"; a title stays
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


def check_in_words(name: str, arg: Any, roles: dict[str, str]) -> str:
    """One check of a ``when`` as a phrase, e.g. "the answer to 'who' is 'self'"."""
    if name == "answer_is":
        return f"the answer to {_quoted(arg[0])} is {_quoted(arg[1])}"
    if name == "answer_in":
        return f"the answer to {_quoted(arg[0])} is " + " or ".join(map(_quoted, arg[1]))
    if name == "answer_includes":
        return f"the answers to {_quoted(arg[0])} include {_quoted(arg[1])}"
    if name == "answered":
        return f"{_quoted(arg)} was answered"
    if name == "respondent_is":
        return f"{_who(arg, roles)} is answering"
    if name == "invited_as":
        return f"the invitation says {_who(arg, roles)} is answering"
    if name == "invited_role_known":
        return "the invitation says who is answering" if arg else "the invitation does not say who answers"
    if name == "invited_name_known":
        return "the invitation gives the person's name" if arg else "the invitation gives no name"
    if name == "has_items":
        return f"the list {_quoted(arg)} has something in it"
    return f"{name} {arg!r}"


def when_in_words(when: dict | None, roles: dict[str, str] | None = None) -> str:
    """A whole ``when`` ("... and ..."), or "otherwise" for the branch without one."""
    if not when:
        return "otherwise"
    return " and ".join(check_in_words(name, arg, roles or {}) for name, arg in when.items())
