"""Read dialogue files and check them together: the way in to the engine for the app and for
``flask dialogue check``. Kept apart from ``spec`` (the data) so that the checks in ``parse`` can
import the data without a cycle."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .advice import warnings
from .locate import compose, describe, position
from .parse import Checker
from .spec import NOT_ROLES, Context, DialogueError, DialogueSpec, Problem

# libyaml's safe loader where it is installed (PyYAML's wheels carry it): the same safe subset of
# YAML, about ten times faster, and every app start and every test loads every dialogue.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_file(path: str | Path) -> tuple[Any, str, list[Problem]]:
    """The parsed YAML and text of a file, or a D001 problem naming where it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=SAFE_LOADER), text, []
    except OSError as exc:
        return None, "", [Problem("D001", str(path), f"The file cannot be read: {exc.strerror}.")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc)
        return (
            None,
            "",
            [
                Problem(
                    "D001",
                    str(path),
                    f"The file is not valid YAML: {detail}. Check the indentation and quotes here.",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ],
        )


def gather_context(datas: Iterable[Any]) -> Context:
    """The steps, lists and roles of raw dialogues, read loosely (a broken file still tells us what
    it has, so that one mistake is not reported again as a mistake in every file that refers to it)."""
    context, roles = Context(), {}
    for data in datas:
        if not isinstance(data, dict) or not isinstance(data.get("steps"), dict):
            continue
        lists = data.get("lists") if isinstance(data.get("lists"), dict) else {}
        context.dialogues[str(data.get("id"))] = {"steps": set(map(str, data["steps"])), "lists": lists}
        for raw in data["steps"].values():
            if isinstance(raw, dict) and raw.get("sets") == "respondent":
                for opt in raw.get("options") or []:
                    if isinstance(opt, dict) and str(opt.get("value")) not in NOT_ROLES:
                        roles.setdefault(str(opt.get("value")), None)
    context.roles = tuple(roles)
    return context


def load_dialogue(path: str | Path, context: Context | None = None) -> DialogueSpec:
    """Read and validate one dialogue file, raising ``DialogueError`` on any mistake."""
    data, text, problems = read_file(path)
    if problems:
        raise DialogueError(problems)
    return parse_dialogue(data, str(path), text=text, context=context)


def parse_dialogue(
    data: Any, source: str, text: str | None = None, context: Context | None = None
) -> DialogueSpec:
    """Validate already-parsed YAML; ``source`` names the file, ``text`` gives line numbers, and
    ``context`` the other dialogues loaded with it (for lists that read them, and their roles)."""
    return Checker(source, text, context).dialogue(data)


def load_dialogues(
    paths: Iterable[str | Path], also: Iterable[str | Path] = ()
) -> tuple[list[DialogueSpec], list[Problem]]:
    """Load files together, so they may refer to each other; ``also`` are read only as context (their
    own mistakes are not reported). Returns the good specs and every problem in ``paths``, warnings
    (``Problem.warning``) among them: a file with only warnings is among the good specs."""
    paths = [Path(p) for p in paths]
    also = [Path(p) for p in also]
    key = _cache_key(paths, also)
    if key is not None and key in _LOADED:
        _LOADED.move_to_end(key)
        specs, problems = _LOADED[key]
        return list(specs), list(problems)
    specs, problems = _load_dialogues(paths, also)
    if key is not None:
        _LOADED[key] = (tuple(specs), tuple(problems))
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return specs, problems


# Loading is a pure function of the files' names and texts, and the specs it makes are immutable:
# a process that loads the same files again (every ``create_app``: each test's app, each CLI
# command) is given the specs it checked before, keyed by every file's exact text, so an edited file
# is always read and checked afresh. Each app still builds its own ``Dialogue`` objects from them.
_LOADED: OrderedDict[tuple, tuple[tuple[DialogueSpec, ...], tuple[Problem, ...]]] = OrderedDict()
_LOADED_MAX = 16


def _cache_key(paths: list[Path], also: list[Path]) -> tuple | None:
    """Every file's name and bytes, or None when one cannot be read (then nothing is cached, and
    loading reports it as it always has)."""
    try:
        return (
            tuple(str(p) for p in paths),
            tuple(str(p) for p in also),
            tuple(p.read_bytes() for p in dict.fromkeys([*paths, *also])),
        )
    except OSError:
        return None


def _load_dialogues(paths: list[Path], also: list[Path]) -> tuple[list[DialogueSpec], list[Problem]]:
    read = {p: read_file(p) for p in dict.fromkeys([*paths, *also])}
    context = gather_context(data for data, _, _ in read.values())
    specs, problems, seen = [], [], {}
    for path in paths:
        data, text, found = read[path]
        if found:
            problems.extend(found)
            continue
        try:
            spec = parse_dialogue(data, str(path), text=text, context=context)
        except DialogueError as exc:
            problems.extend(exc.problems)
            continue
        if spec.id in seen:
            problems.append(
                Problem(
                    "D004",
                    str(path),
                    f'The dialogue id "{spec.id}" is also used by {seen[spec.id]}.',
                    "key 'id'",
                    *_line_of(text, "id"),
                )
            )
            continue
        seen[spec.id] = str(path)
        specs.append(spec)
        problems.extend(_warnings(spec, text))
    return specs, problems


def _warnings(spec: DialogueSpec, text: str) -> list[Problem]:
    found = warnings(spec)
    root = compose(text) if found else None
    return [
        Problem(code, spec.path, message, describe(path), *position(root, path), warning=True)
        for code, path, message in found
    ]


def _line_of(text: str, key: str) -> tuple[int | None, int | None]:
    return position(text, (key,))
