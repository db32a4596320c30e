"""Storage: every table, in typed SQLAlchemy 2 models, one module per concern. Every conversation's
state lives here, not in a process.

Importing this package registers every table on the one metadata (Alembic and the tests compare it
with the migrations). It imports nothing of the app above it: every other package may read it.
"""

from ..clock import utcnow
from .cases import ELIGIBILITY, ELIGIBILITY_STATUSES, NOT_APPROACHED_REASONS, Case, Eligibility, Invitation
from .conversations import Answer, Conversation
from .followups import FollowUp
from .notifications import Notification
from .organisation import (
    ACTION_SOURCES,
    SG4A_ACHIEVED,
    SG4A_ASKED,
    AgreedAction,
    AuditSample,
    CaseFileAudit,
    SacDecision,
    Supervision,
)
from .records import CAPACITY, SUPPORT, RetainedCount, SubjectAccessRequest
from .staff import ROLES, AuditEvent, StaffSession, Team, User

__all__ = [
    "ACTION_SOURCES",
    "SG4A_ACHIEVED",
    "SG4A_ASKED",
    "AgreedAction",
    "AuditSample",
    "CaseFileAudit",
    "SacDecision",
    "Supervision",
    "CAPACITY",
    "SUPPORT",
    "RetainedCount",
    "SubjectAccessRequest",
    "ELIGIBILITY",
    "ELIGIBILITY_STATUSES",
    "NOT_APPROACHED_REASONS",
    "ROLES",
    "Answer",
    "AuditEvent",
    "Case",
    "Conversation",
    "Eligibility",
    "FollowUp",
    "Invitation",
    "Notification",
    "StaffSession",
    "Team",
    "User",
    "utcnow",
]
