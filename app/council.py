"""What is particular to the council running the app: the jurisdiction it works under (England or
Wales, ``JURISDICTION``) and the help contacts a person is shown, from the council-edited file
``council/help_contacts.yaml`` (``HELP_CONTACTS_FILE``; the file's header explains every key).

Both are checked when the app starts (``init_app``): an unknown jurisdiction stops the app with a
message naming the setting, as a missing one does in production; a mistake in the file stops it with
every problem, each naming the file and the line, as a broken dialogue does.

A known line's words are the translators' (each kind's English below is its message id, translated
when it is shown); a council's own line brings its words with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from flask import Flask, current_app
from flask_babel import force_locale, get_locale, gettext

from config import JURISDICTIONS, ROOT

from . import ConfigurationError

T = TypeVar("T")


def N_(message: str) -> str:
    """Marks a message for extraction (``flask translate extract``); translated where it is shown."""
    return message


# The lines the app knows, and what each says before its number (the catalogues' message ids).
KINDS = {
    "emergency": N_("If you are in danger now, call the police on"),
    "council": N_("Adult social care at the council, in office hours"),
    "council_out_of_hours": N_("The council's emergency duty team, evenings and weekends"),
    "domestic_abuse": N_("National Domestic Abuse Helpline, free, day and night"),
    "live_fear_free": N_(
        "Live Fear Free helpline, for domestic abuse and sexual violence, free, day and night"
    ),
    "samaritans": N_("Samaritans, to talk to someone, free, day and night"),
    "samaritans_welsh": N_("Samaritans in Welsh (the Welsh Language Line), free, at set times of day"),
}
LOCAL = "local"  # a line of the council's own, with its words in the file
# The settings a number may come from: the council's own, set in the environment.
SETTINGS = ("COUNCIL_PHONE", "COUNCIL_OUT_OF_HOURS_PHONE")
KEYS = ("kind", "number", "setting", "label")
NUMBER = re.compile(r"^\+?[0-9](?:[0-9 ]*[0-9])?$")


class ContactsError(ConfigurationError):
    """The help contacts file cannot be used; ``problems`` lists each one with its file and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("cannot start: the help contacts file is wrong:\n" + "\n".join(problems))


@dataclass(frozen=True)
class Contact:
    """One line shown under "I need help now": a known ``kind`` or a council's own (``labels``)."""

    kind: str
    number: str | None = None  # as written in the file
    setting: str | None = None  # or the setting that holds it
    labels: dict[str, str] | None = None  # a council's own line: its words, by language
    line: int = 0


# -- start-up --------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Check the jurisdiction (in every mode: a mistyped one would silently give England's help lines
    and no Welsh to a person in Wales), then read and check the help contacts file for it."""
    jurisdiction = app.config.get("JURISDICTION")
    if jurisdiction not in JURISDICTIONS:
        raise ConfigurationError(
            f"cannot start: JURISDICTION={jurisdiction!r} is not one of {', '.join(JURISDICTIONS)} "
            "(see README, Settings)"
        )
    lists = load_contacts(app.config["HELP_CONTACTS_FILE"], app.config["LANGUAGES"], jurisdiction)
    app.extensions["help_contacts"] = lists[jurisdiction]


def jurisdiction() -> str:
    """The jurisdiction in force: "england" or "wales" (checked at start)."""
    return current_app.config["JURISDICTION"]


def in_wales() -> bool:
    """Whether the council works under Welsh law, with its duties to the Welsh language."""
    return jurisdiction() == "wales"


# -- help contacts ---------------------------------------------------------------------------------


def contacts() -> tuple[Contact, ...]:
    """The help contacts of the jurisdiction in force, in the file's order."""
    return current_app.extensions["help_contacts"]


def label(contact: Contact) -> str:
    """What the line says before its number, in the language of the page (or turn) being drawn."""
    if contact.labels is None:
        return gettext(KINDS[contact.kind])
    lang = str(get_locale() or "en")
    return contact.labels.get(lang) or contact.labels["en"]


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_contacts(path: str | Path, languages: list[str], required: str | None = None) -> dict:
    """Each jurisdiction's contacts in the file, checked: ``{"england": (Contact, ...), ...}``.

    ``required``: the jurisdiction in force, whose list must be there. Raises ``ContactsError`` with
    every problem found, each as ``file:line: what is wrong``."""
    path = Path(path)
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContactsError([f"{shown}: cannot be read: {exc.strerror}"]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        detail = getattr(exc, "problem", None) or str(exc)
        raise ContactsError(
            [f"{where}: not valid YAML: {detail}; check the indentation and quotes"]
        ) from None
    checker = _Checker(shown, languages)
    lists = checker.file(root)
    if required and required not in lists and not checker.problems:
        checker.problem(root, f"no list for {required} (JURISDICTION), which is the jurisdiction in force")
    if checker.problems:
        raise ContactsError(checker.problems)
    return lists


class _Checker:
    """Reads the composed YAML (nodes keep their line) and notes every problem."""

    def __init__(self, shown: str, languages: list[str]):
        self.shown, self.languages = shown, languages
        self.problems: list[str] = []

    def problem(self, node, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(f"{self.shown}:{line}: {message}" if line else f"{self.shown}: {message}")

    def mapping(self, node, what: str) -> list[tuple[str, object, object]] | None:
        """(key, key node, value node) of a mapping, each key once; None (noted) if not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a list of keys and values (key: value)")
            return None
        items, seen = [], {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None:
                self.problem(key_node, f"a key in {what} must be a plain word")
            elif key in seen:
                self.problem(key_node, f'"{key}" is given twice in {what} (first on line {seen[key]})')
            else:
                seen[key] = key_node.start_mark.line + 1
                items.append((key, key_node, value_node))
        return items

    def text(self, node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.problem(node, f"{what} must be some text")
            return None
        return node.value.strip()

    def file(self, root) -> dict[str, tuple[Contact, ...]]:
        if root is None:
            self.problem(None, "is empty: it needs a list of contacts for each jurisdiction")
            return {}
        lists = {}
        for name, key_node, value in self.mapping(root, "the file") or []:
            if name not in JURISDICTIONS:
                self.problem(key_node, f'"{name}" is not a jurisdiction: use {" or ".join(JURISDICTIONS)}')
                continue
            lists[name] = self.contacts(name, value)
        return lists

    def contacts(self, jurisdiction: str, node) -> tuple[Contact, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.problem(node, f"{jurisdiction} must be a list of contacts, each starting with - kind:")
            return ()
        found, kinds = [], {}
        for item in node.value:
            contact = self.contact(jurisdiction, item)
            if contact is None:
                continue
            if contact.kind != LOCAL and contact.kind in kinds:
                self.problem(
                    item, f'{jurisdiction} has "{contact.kind}" twice (first on line {kinds[contact.kind]})'
                )
                continue
            kinds[contact.kind] = contact.line
            found.append(contact)
        emergency = [c for c in found if c.kind == "emergency"]
        if not emergency:
            self.problem(node, f"{jurisdiction} has no emergency line (kind: emergency, number: 999)")
        elif emergency[0].number != "999":
            self.problems.append(f"{self.shown}:{emergency[0].line}: the emergency number is 999")
        return tuple(found)

    def contact(self, jurisdiction: str, node) -> Contact | None:
        items = self.mapping(node, "a contact")
        if items is None:
            return None
        line = node.start_mark.line + 1
        values = {key: (key_node, value) for key, key_node, value in items}
        for key, (key_node, _) in values.items():
            if key not in KEYS:
                self.problem(key_node, f'"{key}" is not a key of a contact: use {", ".join(KEYS)}')
                return None
        if "kind" not in values:
            self.problem(node, "a contact needs a kind: " + ", ".join([*KINDS, LOCAL]))
            return None
        kind = self.text(values["kind"][1], "kind")
        if kind is None:
            return None
        if kind not in KINDS and kind != LOCAL:
            self.problem(
                values["kind"][1], f'"{kind}" is not a kind: use one of {", ".join([*KINDS, LOCAL])}'
            )
            return None
        number = setting = labels = None
        if ("number" in values) == ("setting" in values):
            self.problem(node, f"the {kind} contact needs a number or a setting (one, not both)")
            return None
        if "number" in values:
            number = self.text(values["number"][1], "number")
            if number is None:
                return None
            number = " ".join(number.split())
            if not NUMBER.match(number):
                self.problem(values["number"][1], f'"{number}" is not a phone number (digits and spaces)')
                return None
        else:
            setting = self.text(values["setting"][1], "setting")
            if setting not in SETTINGS:
                self.problem(
                    values["setting"][1], f'"{setting}" is not a number setting: use {" or ".join(SETTINGS)}'
                )
                return None
        if kind == LOCAL:
            labels = self.labels(jurisdiction, values.get("label"), node)
            if labels is None:
                return None
        elif "label" in values:
            self.problem(
                values["label"][0],
                f"the {kind} line's words come from the translations: remove its label "
                "(a line of the council's own is kind: local, with a label)",
            )
            return None
        return Contact(kind, number, setting, labels, line)

    def labels(self, jurisdiction: str, pair, node) -> dict[str, str] | None:
        if pair is None:
            self.problem(node, "a local contact needs a label, with its words in English (en:)")
            return None
        items = self.mapping(pair[1], "a label")
        if items is None:
            return None
        labels = {}
        for lang, key_node, value in items:
            if lang not in self.languages:
                self.problem(
                    key_node, f'"{lang}" is not a language the app offers: {", ".join(self.languages)}'
                )
                return None
            words = self.text(value, f"the {lang} label")
            if words is None:
                return None
            labels[lang] = words
        if "en" not in labels:
            self.problem(pair[1], "a label needs its words in English (en:)")
            return None
        if jurisdiction == "wales" and "cy" not in labels:
            self.problem(pair[1], "in Wales a label needs its words in Welsh too (cy:)")
            return None
        return labels


# -- Welsh and English -----------------------------------------------------------------------------


def welsh_and_english(render: Callable[[], T]) -> list[tuple[str, T]]:
    """``render()`` in Welsh, then in English, each with its language: what Wales shows side by side,
    Welsh first. The Welsh comes from the cy catalogue, as every other page in Welsh does."""
    return list(_each_language(render, ("cy", "en")))


def _each_language(render: Callable[[], T], languages: tuple[str, ...]) -> Iterator[tuple[str, T]]:
    for lang in languages:
        with force_locale(lang):
            yield lang, render()
