"""Cases: their invitations and conversations (``services``), whether the person can be approached
for Part 2 (``eligibility``), and the export of what they hold."""


class CaseError(ValueError):
    """The change to a case cannot be made as asked; nothing was written, and the message says why."""
