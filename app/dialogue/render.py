"""Turn a position in a dialogue into what the person sees, in their language.

The caller passes a ``Translator`` (anything with ``gettext`` and ``ngettext``), so this module stays
free of Flask; the web layer hands in Flask-Babel's functions inside ``force_locale``. A translator may
also say which ``language`` (its code) it translates into; placeholders are then filled as that language
needs (see ``_variables``). Without it, they are filled as English is, exactly as written.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from . import duration
from .conditions import is_representative
from .engine import Dialogue, Facts, Item
from .spec import Step, about_context


class Translator(Protocol):
    """``gettext``, ``ngettext`` and ``pgettext``; it may also have ``language``, the code of its
    language. A translator without ``pgettext`` still works: an option's context is then ignored."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...


class _Vars(dict):
    """Placeholders for ``str.format_map``; an unknown one is left as written rather than failing.
    ``lazy``: placeholders worked out only when a text uses them (``{duration}`` measures the whole
    dialogue, and only a welcome says it). ``welsh_fallback``: the Welsh "the person" ("y person")
    when it stands for a name nobody gave, whose article changes with the words around it
    (``welsh_person``)."""

    def __init__(self, values: dict, lazy: dict | None = None, welsh_fallback: str | None = None):
        super().__init__(values)
        self.lazy = lazy or {}
        self.welsh_fallback = welsh_fallback

    def __missing__(self, key):
        if key in self.lazy:
            value = self[key] = self.lazy[key]()
            return value
        return "{" + key + "}"


def third_person(facts: Facts) -> bool:
    """Whether questions speak of the person by name (someone else is answering)."""
    return is_representative(facts.respondent)


def translated(tr: Translator, msgid: str, context: str | None = None, about: bool = False) -> str:
    """``msgid`` in the translator's language, in ``context`` where one is given (``about``: its
    form for someone answering about the person, first). A catalogue made before the context was
    has the words without it: that translation stands in, then the English. (gettext says a
    context is missing by answering with the msgid itself.)"""
    pgettext = getattr(tr, "pgettext", None) if context else None
    if pgettext is not None:
        for ctx in (about_context(context), context) if about else (context,):
            text = pgettext(ctx, msgid)
            if text != msgid:
                return text
    return tr.gettext(msgid)


def _text(
    tr: Translator, msgid: str, variables: _Vars, context: str | None = None, about: bool = False
) -> str:
    text = translated(tr, msgid, context, about)
    if variables.welsh_fallback is not None and "{name}" in text:
        text = welsh_person(text, variables.welsh_fallback)
    return text.format_map(variables)


# First Strong Isolate ... Pop Directional Isolate: the text between takes the direction of its own
# first strong letter, and the sentence around it is laid out as if it were one neutral character.
FSI, PDI = "\u2068", "\u2069"
# Isolate controls typed into a name would close ours early (a PDI) or leave it open (an FSI, LRI or
# RLI): they are left out of what is isolated. Embeddings and overrides end at our PDI anyway.
_ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))


def isolate(text: str) -> str:
    """A name or typed item as it goes into a right-to-left sentence: isolated, so that a Latin name
    or text ending in punctuation keeps its own order and does not reorder the sentence around it."""
    return FSI + text.translate(_ISOLATES) + PDI if text else text


# Welsh: "the person" is "y person"; after a word ending in a vowel the article is "'r" (mae'r person,
# hoffai'r person, i'r person), and at the start of a sentence it is "Y person".
_WELSH_ARTICLE = re.compile(r"(yr?) (\S.*)", re.S)
_WELSH_VOWELS = frozenset("aeiouwyâêîôûŵŷáéíóúẃýàèìòùẁỳäëïöüẅÿ")


def welsh_person(text: str, fallback: str) -> str:
    """``text`` (a Welsh translation) with each ``{name}`` replaced by ``fallback`` ("y person", the
    Welsh "the person") in the form its place needs: "'r person" joined to a word ending in a vowel
    ("mae {name}" reads "mae'r person"), "Y person" at the start of a sentence, else "y person". The
    result is still a format string: the other placeholders are filled afterwards. A fallback
    without the article ("y" or "yr") is put in as it is."""
    found = _WELSH_ARTICLE.fullmatch(fallback)
    if found is None:
        return text.replace("{name}", fallback.replace("{", "{{").replace("}", "}}"))
    article, rest = found.groups()
    out, end = [], 0
    for placeholder in re.finditer(r"\{name\}", text):
        before = text[end : placeholder.start()]
        said = text[: placeholder.start()]
        head = said.rstrip()
        if said.endswith(" ") and said[-2:-1].lower() in _WELSH_VOWELS:
            before, form = before[:-1], "'r " + rest
        elif not head or (head[-1] in ".?!" and head != said):
            form = article.capitalize() + " " + rest
        else:
            form = fallback
        out += [before, form.replace("{", "{{").replace("}", "}}")]
        end = placeholder.end()
    return "".join(out) + text[end:]


def _item_text(item: Item | None, tr: Translator, easy_read: bool = False) -> str:
    if item is None:
        return ""
    if not item.translatable:
        return item.text
    return translated(tr, item.easy if easy_read and item.easy else item.text, item.context)


def _variables(dialogue: Dialogue, key: str, facts: Facts, tr: Translator) -> _Vars:
    """What the placeholders of a text at ``key`` say: ``{name}`` the person's name (or "the person"
    in the language, when nobody gave it), ``{item}`` the item a repeated step is about, and
    ``{duration}`` how long the dialogue takes.

    In a right-to-left language (Arabic, Urdu) the name and the item are isolated (``isolate``). In
    Welsh the fallback "y person" takes the article its place needs (``welsh_person``); a real name
    is put in as it is. Every other language, English included, has them exactly as given."""
    # What the translator says of its language (the engine knows no language table of its own):
    # whether it is written right to left, and its code.
    rtl, code = bool(getattr(tr, "rtl", False)), getattr(tr, "language", None)
    name = facts.name or tr.gettext("the person")

    def item() -> str:
        text = _item_text(dialogue.item(key, facts), tr, facts.easy_read)
        return isolate(text) if rtl else text

    return _Vars(
        {"name": isolate(name) if rtl else name},
        {"item": item, "duration": lambda: duration_text(dialogue, facts, tr)},
        welsh_fallback=name if code == "cy" and not facts.name else None,
    )


def duration_text(dialogue: Dialogue, facts: Facts, tr: Translator) -> str:
    """What ``{duration}`` says: "about 20 minutes", measured from the dialogue for this person
    (see ``duration.py``), with the plural their language needs."""
    n = duration.minutes(dialogue, facts)
    return tr.ngettext("about {n} minute", "about {n} minutes", n).format(n=n)


def question_text(dialogue: Dialogue, key: str, facts: Facts, tr: Translator) -> str | None:
    """The question for a key, in the right person and reading level."""
    msgid = dialogue.question(key, facts)
    return _text(tr, msgid, _variables(dialogue, key, facts, tr)) if msgid else None


def messages(dialogue: Dialogue, key: str, facts: Facts, tr: Translator) -> list[str]:
    """Everything said at this step: the lead-in lines, then the question."""
    variables = _variables(dialogue, key, facts, tr)
    said = [_text(tr, line, variables) for line in dialogue.lines(key, facts)]
    msgid = dialogue.question(key, facts)
    return said + ([_text(tr, msgid, variables)] if msgid else [])


def options(dialogue: Dialogue, key: str, facts: Facts, tr: Translator, every: bool = False) -> list[dict]:
    """The options offered at a key: the step's own (those whose 'when' holds), or those built from a
    list of answers. ``every``: all the step's own, to read back an answer given while one held."""
    step = dialogue.step(key)
    if step.kind == "review":
        return [{"value": "confirm", "label": tr.gettext("Send my answers")}]
    if step.options_from:
        found = [
            {"value": item.value, "label": _item_text(item, tr, facts.easy_read)}
            for item in dialogue.items(step.options_from, facts)
        ]
    else:
        found = []
    variables = _variables(dialogue, key, facts, tr)
    own = step.options if every else dialogue.offered(key, facts)
    found += [
        {
            "value": o.value,
            "label": _text(tr, o.label_for(facts.easy_read), variables, o.context, third_person(facts)),
        }
        for o in own
    ]
    return found


def display_answer(step: Step, value: Any, opts: list[dict], tr: Translator) -> str:
    """An answer as the person would read it back."""
    if value in (None, "", []):
        return tr.gettext("Skipped")
    labels = {o["value"]: o["label"] for o in opts}
    if step.kind == "choice":
        return labels.get(value, value)
    if step.kind == "multi":
        return ", ".join(labels.get(v, v) for v in value)
    return str(value)


def progress(
    dialogue: Dialogue, key: str, facts: Facts, tr: Translator, walked: list[str] | None = None
) -> dict:
    """How far through the questions the person is, said only as far as it is true and steady.

    ``current`` counts the questions on the way to this one; it goes up by one with each question.
    When the answers still to come cannot change how many questions follow (``known``), it says
    "Question 3 of 12" and "9 questions left". While they can (a branch ahead depends on them), it
    gives no total: "Question 3" and "9 or more questions left", the fewest that may follow, so a
    number shown never has to shrink. ``at_least`` and ``at_most`` bound the total; the bar is
    drawn against ``at_most``, so it only ever moves forward. ``walked``: ``dialogue.walk(facts)``
    if the caller has it already."""
    if walked is None:
        walked = dialogue.walk(facts)
    route = walked if key in walked else dialogue.projected(facts, walked)
    if key not in route or not dialogue.step(key).is_question:
        answered = sum(1 for k in route if dialogue.step(k).is_question and k in facts.answers)
        return {
            "current": answered,
            "at_least": None,
            "at_most": None,
            "known": False,
            "total": None,
            "text": "",
            "left": "",
        }
    current = 1 + sum(1 for k in route[: route.index(key)] if dialogue.step(k).is_question)
    fewest, most = dialogue.ahead(key, facts, route)
    shown = {"current": current, "at_least": current + fewest, "at_most": current + most}
    if fewest == most:
        total = current + fewest
        return {
            **shown,
            "known": True,
            "total": total,
            "text": tr.gettext("Question {current} of {total}").format(current=current, total=total),
            "left": tr.ngettext("{n} question left", "{n} questions left", fewest).format(n=fewest),
        }
    if fewest:
        left = tr.ngettext("{n} or more questions left", "{n} or more questions left", fewest).format(
            n=fewest
        )
    else:
        left = tr.gettext("This may be the last question.")
    return {
        **shown,
        "known": False,
        "total": None,
        "text": tr.gettext("Question {current}").format(current=current),
        "left": left,
    }


def history(
    dialogue: Dialogue, key: str, facts: Facts, tr: Translator, walked: list[str] | None = None
) -> list[dict]:
    """What was asked and answered on the way to ``key``, for showing a resumed conversation.
    ``walked``: ``dialogue.walk(facts)`` if the caller has it already."""
    shown = []
    for k in walked if walked is not None else dialogue.walk(facts):
        if k == key:
            break
        step = dialogue.step(k)
        if not step.is_question or k not in facts.answers:
            continue
        opts = options(dialogue, k, facts, tr, every=True)
        shown.append(
            {
                "step": k,
                "question": question_text(dialogue, k, facts, tr),
                "answer": display_answer(step, facts.answers[k], opts, tr),
            }
        )
    return shown


def review(
    dialogue: Dialogue, key: str, facts: Facts, tr: Translator, walked: list[str] | None = None
) -> list[dict]:
    """What "check your answers" lists, each with its Change link: the history, but only the steps
    whose answer may be changed there (``Step.in_review``)."""
    return [row for row in history(dialogue, key, facts, tr, walked) if dialogue.step(row["step"]).in_review]


def turn(dialogue: Dialogue, key: str, facts: Facts, tr: Translator, walked: list[str] | None = None) -> dict:
    """The ``turn`` event payload for a key (see the chat protocol in README.md).

    The route the answers take is walked once here and shared by the progress, "back" and review
    (pass ``walked`` to share the caller's walk too, as the history does)."""
    if walked is None:
        walked = dialogue.walk(facts)
    step = dialogue.step(key)
    kind = "none" if step.kind == "end" else step.kind
    payload = {
        "step": key,
        "messages": messages(dialogue, key, facts, tr),
        "input": {
            "kind": kind,
            "options": options(dialogue, key, facts, tr),
            # Skipping is offered only where there is a question to skip, and it says it may be.
            "optional": step.optional and step.is_question,
        },
        "progress": progress(dialogue, key, facts, tr, walked),
        "finished": step.kind == "end",
        "answer": facts.answers.get(key),
        "topic": step.topic,
        "picture": step.picture if facts.easy_read else None,
        "can_go_back": step.kind != "end" and dialogue.previous_key(key, facts, walked) is not None,
    }
    if step.kind == "end":
        payload["input"] = {"kind": "none", "options": [], "optional": False}
        payload["answer"] = None
    if step.kind == "review":
        payload["review"] = review(dialogue, key, facts, tr, walked)
    return payload
