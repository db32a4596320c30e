"""A dialogue as a Mermaid flowchart: a box per step, an arrow per way on, labelled in plain words."""

from __future__ import annotations

from ..dialogue import DialogueSpec
from .outline import short_text
from .words import when_in_words

RESERVED = {"end", "graph", "subgraph", "flowchart", "style", "class", "click", "default"}


def _node(sid: str) -> str:
    return f"{sid}_" if sid in RESERVED else sid


def _label(text: str, limit: int = 48) -> str:
    """Text safe inside a Mermaid quoted label: shortened, with quotes and markup as entities."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    for char, entity in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, entity)
    return text


def mermaid(spec: DialogueSpec, roles: dict[str, str] | None = None) -> str:
    """``flowchart TD`` text for ``spec``."""
    lines = ["flowchart TD"]
    for step in spec.steps.values():
        label = f"{step.id}<br/>{_label(short_text(step))}"
        shape = ('(["', '"])') if step.kind == "end" else ('["', '"]')
        lines.append(f"    {_node(step.id)}{shape[0]}{label}{shape[1]}")
    for step in spec.steps.values():
        single = len(step.branches) == 1
        for branch in step.branches:
            words = "" if single else f'|"{_label(when_in_words(branch.when, roles), 80)}"|'
            lines.append(f"    {_node(step.id)} -->{words} {_node(branch.target)}")
    return "\n".join(lines) + "\n"
