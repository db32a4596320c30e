"""Warnings: what the checker reports in a dialogue that still runs, because the engine has a fair
way on without it, but a person would read something the file's authors did not mean them to.

An Easy Read step whose option has no ``easy`` label shows that option's standard label, a long
sentence among short ones: a gap in Easy Read that nothing else would notice. ``flask dialogue check``
reports it with the mistakes (``load_dialogues``); the app starts all the same (``Registry.load``).
"""

from __future__ import annotations

from .spec import DialogueSpec, Step


def has_easy_read(step: Step) -> bool:
    """Whether a step says something of its own in Easy Read (a question or lead-in lines)."""
    return bool(step.easy or step.easy_about or step.easy_say or step.easy_say_about)


def easy_read_gaps(spec: DialogueSpec) -> list[tuple[tuple, str]]:
    """``(path, message)`` for each option of an Easy Read step that has no Easy Read label."""
    found = []
    for step in spec.steps.values():
        if not has_easy_read(step):
            continue
        for i, option in enumerate(step.options):
            if not option.easy:
                found.append(
                    (
                        ("steps", step.id, "options", i),
                        f'The option "{option.value}" of the step "{step.id}" has no Easy Read'
                        " label: give it 'easy:' words, as the step has (until then, Easy Read"
                        " shows its 'label').",
                    )
                )
    return found


def warnings(spec: DialogueSpec) -> list[tuple[str, tuple, str]]:
    """``(code, path, message)`` for everything worth a warning in a checked dialogue."""
    return [("D015", path, message) for path, message in easy_read_gaps(spec)]
