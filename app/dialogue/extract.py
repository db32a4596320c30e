"""A Babel extractor for the dialogue files, so ``pybabel extract`` finds their text.

Wired in ``babel.cfg``; each message carries a translator comment naming the file's step, so a
translator sees where a line is said. An option with a ``context`` gives its labels that msgctxt.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from .spec import about_context

# Keys whose values the person reads. Everything else (ids, values, conditions, an option's 'staff'
# label) is never shown to the person. 'ask' and 'say' may group their variants (self, about, easy,
# easy_about) in a mapping: each variant's text is extracted. 'easy' met outside them is an option's
# Easy Read label.
TEXT_KEYS = {"title", "say", "ask", "label", "easy", "text"}
# Top-level keys whose text only staff read.
STAFF_ONLY = {"follow_ups"}


def extract_dialogue(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Yield ``(lineno, funcname, message, comments)`` for every text in one dialogue file."""
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    root = yaml.compose(text)
    if root is None or (yaml.safe_load(text) or {}).get("audience") == "staff":
        return  # staff dialogues are in English only: nothing for the person's translators
    yield from _walk(root, where=None)


def _context(node: yaml.MappingNode) -> str | None:
    """An option's ``context:`` (its msgctxt), if it has one."""
    for key, value in node.value:
        if getattr(key, "value", None) == "context" and isinstance(value, yaml.ScalarNode):
            return value.value.strip() or None
    return None


def _walk(node, where: str | None) -> Iterator[tuple]:
    if isinstance(node, yaml.MappingNode):
        context = _context(node)
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name in STAFF_ONLY and where is None:
                continue  # follow-up labels are read by staff, in English, not by the person
            if name in TEXT_KEYS:
                yield from _texts(value, where, context)
            else:
                # Under 'steps', each key is a step id: say so to the translator.
                inner = f"step: {name}" if where == "steps" else where
                yield from _walk(value, "steps" if name == "steps" and where is None else inner)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item, where)


def _texts(node, where: str | None, context: str | None = None) -> Iterator[tuple]:
    if isinstance(node, yaml.MappingNode):  # ask: {self: ..., about: ...}
        for _, variant in node.value:
            yield from _texts(variant, where, context)
        return
    nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for item in nodes:
        if isinstance(item, yaml.ScalarNode) and item.value.strip():
            comments = [where] if where and where != "steps" else []
            line = item.start_mark.line + 1
            if context:
                # As pgettext(context, message) is read by Babel's default keywords: a msgctxt; and
                # its form for someone answering about the person (spec.about_context).
                yield line, "pgettext", (context, item.value), comments
                yield line, "pgettext", (about_context(context), item.value), comments
            else:
                yield line, "gettext", item.value, comments
