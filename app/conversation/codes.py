"""Access codes: what a person types or scans to open their conversation.

Codes are 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown in groups
of four: about 59 bits, too many to guess, easy to read out. Only a SHA-256 hash is stored, so a
copy of the database does not open anyone's conversation.
"""

from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-]+")


def new_code() -> str:
    """A fresh random code, grouped for reading: ``ABCD-EFGH-JKMN``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(code: str) -> str:
    """Upper-case, without spaces or hyphens, as a person might type it."""
    return _SEPARATORS.sub("", code).upper()


def looks_like_code(code: str) -> bool:
    """Cheap shape check before touching the database."""
    raw = normalise(code) if len(code) <= 40 else ""
    return len(raw) == LENGTH and all(c in ALPHABET for c in raw)


def hash_code(code: str) -> str:
    """The stored form of a code."""
    return hashlib.sha256(normalise(code).encode("ascii")).hexdigest()
