"""Staff pages: thin handlers that parse a form (``forms``), call a service and render. Every case,
invitation, follow-up and export is looked up through ``app.access``, so that a case outside
someone's reach is a 404, and audited.

One module per concern; each registers its views on the one ``bp`` from ``..blueprint``, so every
endpoint is still ``staff.<view>``. Importing this package registers them all."""

from __future__ import annotations

from ..blueprint import bp
from . import (  # noqa: F401  (imported for the views they register on bp)
    admin,
    audit,
    cases,
    eligibility,
    exports,
    follow_ups,
    invitations,
    reflection,
    signing_in,
)

__all__ = ["bp"]
