"""The practitioner side under /staff: sign-in, cases, invitations, hand-over, follow-ups, exports,
the audit log, and the staff's own reflection dialogues. ``routes.bp`` and ``events`` are
registered by ``create_app``; importing the models alone pulls in nothing else."""
