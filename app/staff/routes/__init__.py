"""Staff pages: thin handlers that parse a form (``forms``), call a service and render. Every case,
invitation, follow-up and export is looked up through ``app.access``, so that a case outside
someone's reach is a 404, and audited.

One module per concern; each registers its views on the one ``bp`` from ``..blueprint``, so every
endpoint is still ``staff.<view>``. Importing this package registers them all."""

from __future__ import annotations

from ...security import register_id_converter
from ..blueprint import bp

# Every id in a staff URL is ``<id:...>``: out of range is a 404, not a database error. Recorded before
# the views below, so that the converter is known when their rules are added to the app's map.
bp.record_once(lambda state: register_id_converter(state.app))

from . import (  # noqa: E402, F401  (imported for the views they register on bp)
    admin,
    audit,
    case_file_audit,
    cases,
    eligibility,
    exports,
    follow_ups,
    invitations,
    records,
    reflection,
    reports,
    sac,
    signing_in,
    subject_access,
    supervision,
)

__all__ = ["bp"]
