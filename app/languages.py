"""The languages the product can speak: each one's own name, script direction and plural rules.

Names are written in the language itself, so a person finds theirs whatever language the page is in.
Direction comes from here, never from guessing at the text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in its own language and script
    english: str
    rtl: bool = False

    @property
    def dir(self) -> str:
        return "rtl" if self.rtl else "ltr"


KNOWN = {
    lang.code: lang
    for lang in (
        Language("en", "English", "English"),
        Language("cy", "Cymraeg", "Welsh"),
        Language("pl", "Polski", "Polish"),
        Language("ro", "Română", "Romanian"),
        Language("pa", "ਪੰਜਾਬੀ", "Panjabi (Gurmukhi)"),
        Language("ur", "اردو", "Urdu", rtl=True),
        Language("ar", "العربية", "Arabic", rtl=True),
    )
}


def language(code: str | None) -> Language:
    """The language for a code; English for anything unknown."""
    return KNOWN.get(code or "", KNOWN["en"])


def offered(codes: list[str]) -> list[Language]:
    """The configured languages, in order, that we know how to show."""
    return [KNOWN[c] for c in codes if c in KNOWN]
