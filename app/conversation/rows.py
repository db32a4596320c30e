"""A conversation as a turn reads it: plain objects made from one row, not ORM instances.

Every chat event loads its conversation afresh (``services.load``). Filling ORM instances for it
(the conversation, its invitation and its case: the identity map, instance state, loader strategies,
and their bookkeeping again at every commit) was most of a load's cost and a tenth of an answer's,
for values the turn only reads. So ``load`` reads one row with Core and makes these instead.

- ``Loaded`` objects hold the row's columns as attributes, decoded by the columns' own types (the
  encrypted ones decrypted, times as datetimes), exactly as the ORM would give them.
- They are read-only. A column is written by a statement (``services.save``, ``sessions.touch``)
  and then ``keep``-t here as written: assigning to one raises, so that nothing can be changed on
  the object alone and silently never saved.
- A relationship or a column that was not loaded is read from the mapped object, loaded when first
  asked for (``Loaded.mapped``): rare paths (a staff page, a report) stay correct without the load
  carrying what the chat never reads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value

from .. import db
from ..models import Case, Conversation, Invitation


class Loaded:
    """One row of ``model``'s table as attributes (``columns``); see the module's docstring."""

    model: ClassVar[type]
    columns: ClassVar[tuple[str, ...]]

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__}.{name} is read-only: write it with a statement, then keep() it"
        )

    def __getattr__(self, name: str) -> Any:
        # Only reached for what was not loaded: a relationship, or a column the chat never reads.
        if name.startswith("_") or name not in _mapped_names(self.model):
            raise AttributeError(name)
        return getattr(self.mapped(), name)

    def mapped(self):
        """The ORM instance of this row, loaded once (for what the row did not carry)."""
        found = self.__dict__.get("_mapped")
        if found is None:
            found = self.__dict__["_mapped"] = db.session.get(self.model, self.id)
        return found

    def __repr__(self) -> str:  # never the values: they may be a person's words
        return f"<{type(self).__name__} {self.id}>"


_NAMES: dict[type, frozenset[str]] = {}


def _mapped_names(model: type) -> frozenset[str]:
    names = _NAMES.get(model)
    if names is None:
        names = _NAMES[model] = frozenset(inspect(model).attrs.keys())
    return names


class LoadedConversation(Loaded):
    model = Conversation
    columns = tuple(column.key for column in Conversation.__table__.columns)
    # Set by ``services.load``: the invitation (None for staff's own dialogues) and the case.
    invitation: LoadedInvitation | None
    case: LoadedCase


class LoadedInvitation(Loaded):
    model = Invitation
    # What a turn and the checks on every event read of an invitation (not its code's hash).
    columns = ("id", "case_id", "part", "expires_at", "revoked_at", "respondent", "person_name")


class LoadedCase(Loaded):
    model = Case
    # What the chat reads of a case: the name the person prefers (in every turn), and its language
    # and Welsh offer (the offer of Welsh in Wales). Anything else is read from the row when asked.
    columns = ("id", "preferred_name", "language", "welsh_offer")


def keep(obj: Any, **values: Any) -> None:
    """Note ``values`` as written to the database on a loaded object, ``Loaded`` or ORM instance
    alike (on an ORM instance, as committed: nothing left for a flush to write again)."""
    if isinstance(obj, Loaded):
        obj.__dict__.update(values)
        mapped = obj.__dict__.get("_mapped")
        if mapped is not None:  # loaded for something else since: kept alike
            keep(mapped, **values)
        return
    for name, value in values.items():
        set_committed_value(obj, name, value)
