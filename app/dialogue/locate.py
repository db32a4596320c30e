"""Name the place of a mistake in a dialogue file: its line and column, and the step and key.

A mistake is found on the loaded data, by a *path* of keys and list positions, e.g.
``("steps", "feel", "next", 0, "go")``. Only when there is a mistake is the file read again with
line information (``yaml.compose``), so loading a good dialogue stays as fast as libyaml allows.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import yaml

Path = tuple  # of str (mapping keys) and int (list positions)

COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def describe(path: Path) -> str:
    """``("steps", "feel", "next", 0, "when")`` -> ``"step 'feel', next[0].when"``."""
    parts: list[str] = []
    rest = list(path)
    if len(rest) >= 2 and rest[0] == "steps":
        parts.append(f"step '{rest[1]}'")
        rest = rest[2:]
    elif len(rest) >= 2 and rest[0] == "lists":
        parts.append(f"list '{rest[1]}'")
        rest = rest[2:]
    i = 0
    while i < len(rest):
        part = rest[i]
        if part == "when" and parts:
            parts[-1] += ".when"
        elif i + 1 < len(rest) and isinstance(rest[i + 1], int):
            parts.append(f"{part}[{rest[i + 1]}]")
            i += 1
        elif isinstance(part, int) and parts:
            parts[-1] += f"[{part}]"
        else:
            parts.append(f"key '{part}'")
        i += 1
    return ", ".join(parts) or "the file"


def compose(text: str | None):
    """The file's node tree with line information, or None."""
    if not text:
        return None
    try:
        return yaml.compose(text, Loader=COMPOSER)
    except yaml.YAMLError:
        return None


def position(root, path: Path, at_key: bool = False) -> tuple[int | None, int | None]:
    """The 1-based (line, column) of what ``path`` names, or of the nearest part of it that exists.

    ``root`` is the file's text or its ``compose``d nodes. ``at_key`` points at a mapping's key rather
    than its value (for a key that should not be there).
    """
    node = compose(root) if isinstance(root, str) else root
    mark = node.start_mark if node is not None else None
    for n, part in enumerate(path):
        last = n == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if found is None:
                break
            key, node = found
            mark = key.start_mark if (at_key and last) or not isinstance(node, yaml.ScalarNode) else None
            mark = mark or node.start_mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """`` Did you mean "x"?`` when a close match exists, else an empty string."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""
