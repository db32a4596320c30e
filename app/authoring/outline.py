"""A dialogue as a readable outline: each step in order, its question, options and where it goes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dialogue import DialogueSpec, Step
from .words import when_in_words


@dataclass
class Way:
    """One way on from a step: ``condition`` in plain words, or "" when it is the only way."""

    condition: str
    target: str


@dataclass
class OutlineStep:
    id: str
    kind: str
    topic: str | None
    question: str | None
    about: str | None  # the question when someone else answers
    said: list[str] = field(default_factory=list)
    options: list[tuple[str, str, str | None]] = field(default_factory=list)  # value, label, staff
    options_from: str | None = None
    repeat: str | None = None
    optional: bool = False
    sets: str | None = None
    ways: list[Way] = field(default_factory=list)


def short_text(step: Step) -> str:
    """What a step asks, or else the first thing it says."""
    return step.ask or (step.say[0] if step.say else "") or step.kind


def outline(spec: DialogueSpec, roles: dict[str, str] | None = None) -> list[OutlineStep]:
    """The steps of ``spec`` in file order, described for a reader who does not write YAML."""
    found = []
    for step in spec.steps.values():
        single = len(step.branches) == 1
        found.append(
            OutlineStep(
                id=step.id,
                kind=step.kind,
                topic=step.topic,
                question=step.ask,
                about=step.ask_about,
                said=list(step.say),
                options=[(o.value, o.label, o.staff) for o in step.options],
                options_from=step.options_from,
                repeat=step.repeat,
                optional=step.optional,
                sets=step.sets,
                ways=[Way("" if single else when_in_words(b.when, roles), b.target) for b in step.branches],
            )
        )
    return found


def outline_text(spec: DialogueSpec, roles: dict[str, str] | None = None) -> str:
    """The outline as plain text, e.g. for ``flask dialogue outline part1``."""
    lines = [f"{spec.title} ({spec.id}, version {spec.version}), starting at {spec.start}", ""]
    for n, s in enumerate(outline(spec, roles), 1):
        extra = ", optional" if s.optional else ""
        lines.append(f"{n}. {s.id} [{s.kind}{extra}]" + (f" (topic: {s.topic})" if s.topic else ""))
        for line in s.said:
            lines.append(f"   says: {line}")
        if s.question:
            lines.append(f"   asks: {s.question}")
        if s.about:
            lines.append(f"   asks, of someone answering for the person: {s.about}")
        if s.repeat:
            lines.append(f"   asked once for each item of the list '{s.repeat}'")
        if s.options_from:
            lines.append(f"   offers the items of the list '{s.options_from}'")
        for value, label, staff in s.options:
            lines.append(f"   - {label} ({value}" + (f"; staff read: {staff})" if staff else ")"))
        if s.sets:
            lines.append(f"   the answer records: {s.sets}")
        for way in s.ways:
            if way.condition in ("", "otherwise"):
                lines.append(f"   {way.condition or 'then'} → {way.target}")
            else:
                lines.append(f"   if {way.condition} → {way.target}")
        if s.kind == "end":
            lines.append("   (the end)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
