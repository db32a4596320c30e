"""Encryption at rest of what people typed: every free-text answer, name and note.

A stolen database file, a backup or a WAL left on a disk then reveals no words, only that there are
some. The keys come from ``DATA_KEYS`` (comma-separated Fernet keys): the first encrypts, all
decrypt, so a new key is put first and ``flask --app app rotate-keys`` re-encrypts everything under
it before an old one is dropped (``MultiFernet``).

The columns are ordinary SQLAlchemy types (``EncryptedText``, ``EncryptedJSON``): the models declare
them, and every read and write through the ORM or Core goes through them. The keys are found on the
app in use (``current_app.extensions["data_keys"]``), never in a module global, so that two apps in
one process (the tests) each use their own. Without keys a value is never written in plain text:
the write fails (``MissingKeys``).
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

EXTENSION = "data_keys"
# Every token Fernet makes starts with its version byte 0x80, "gAAAAA" in base64: a stored value
# that does not is not ours (a value written before encryption; see ``rotate-keys``).
TOKEN_PREFIX = "gAAAAA"


class DataKeyError(ValueError):
    """``DATA_KEYS`` is missing or holds something that is not a Fernet key; the message says which."""


class MissingKeys(RuntimeError):
    """An encrypted column was read or written without an app that has ``DATA_KEYS``."""


class UnreadableValue(RuntimeError):
    """A stored value none of the keys opens: a key was dropped before ``rotate-keys`` ran."""


def parse_keys(setting: str | None) -> list[Fernet]:
    """The keys of a ``DATA_KEYS`` setting, first (the one that encrypts) first."""
    parts = [part.strip() for part in (setting or "").split(",") if part.strip()]
    if not parts:
        raise DataKeyError("set DATA_KEYS to one or more Fernet keys, comma-separated (README, Encryption)")
    keys = []
    for number, part in enumerate(parts, start=1):
        try:
            keys.append(Fernet(part))
        except (ValueError, TypeError):
            raise DataKeyError(
                f"DATA_KEYS key {number} of {len(parts)} is not a Fernet key (32 url-safe base64-encoded "
                "bytes; make one with `flask --app app new-data-key`)"
            ) from None
    return keys


class Keys:
    """The keys of one app: ``ring`` opens with any and encrypts with the first; ``first`` alone
    tells whether a stored value is already under it (``rotate-keys`` skips those)."""

    def __init__(self, fernets: list[Fernet]):
        self.first = fernets[0]
        self.ring = MultiFernet(fernets)


def keyring(setting: str | None) -> Keys:
    """The keys of a ``DATA_KEYS`` setting."""
    return Keys(parse_keys(setting))


def new_key() -> str:
    """A fresh Fernet key, as ``DATA_KEYS`` takes it."""
    return Fernet.generate_key().decode("ascii")


def key_id(key: str) -> str:
    """A short, non-secret name for one key (shown by ``rotate-keys``; the key itself never is)."""
    import hashlib

    return hashlib.sha256(key.strip().encode("ascii")).hexdigest()[:8]


def current_ring() -> MultiFernet:
    """The keys of the app in use, as one ``MultiFernet``."""
    return _keys().ring


def _keys() -> Keys:
    if not has_app_context() or EXTENSION not in current_app.extensions:
        raise MissingKeys("no DATA_KEYS in this app: nothing is read or written in plain text")
    return current_app.extensions[EXTENSION]


def encrypt(text: str) -> str:
    return _keys().ring.encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _keys().ring.decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise UnreadableValue(
            "a stored value opens with none of DATA_KEYS: was a key dropped before rotate-keys finished?"
        ) from None


def is_current(token: str) -> bool:
    """Whether this stored token is already under the first key (``rotate-keys`` skips it)."""
    try:
        _keys().first.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


class EncryptedText(TypeDecorator):
    """A string stored as a Fernet token. None stays None (so "not given" is still visible)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return decrypt(value)


class EncryptedJSON(TypeDecorator):
    """A JSON value (an answer: a choice, a list of choices or the person's own words) stored as one
    Fernet token of its JSON text, so a chosen option is as unreadable as typed words."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: Any, dialect) -> Any:
        if value is None:
            return None
        return json.loads(decrypt(value))
