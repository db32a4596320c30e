"""signals that reach a named person: duty inboxes, eligibility agreed by a manager's account,
urgent follow-ups acknowledged and escalated, and the notification outbox

Existing data: a case without a team takes its worker's team; a case whose worker is no longer
active loses that worker and waits in its team's Unassigned list (a case with neither is in the
Unassigned list every manager sees). An eligibility decision counts as agreed only if a manager
recorded it with their own account; the rest become proposals waiting for a manager.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("team") as batch:
        batch.add_column(sa.Column("duty_email", sa.String(254), nullable=True))
    with op.batch_alter_table("eligibility") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="proposed"))
        batch.add_column(sa.Column("agreed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_at", TZ, nullable=True))
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="app"))
        batch.create_foreign_key("fk_eligibility_agreed_by", "staff_user", ["agreed_by_id"], ["id"])
    with op.batch_alter_table("follow_up") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("acknowledged_at", TZ, nullable=True))
        batch.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escalated_at", TZ, nullable=True))
        batch.create_foreign_key("fk_follow_up_ack_by", "staff_user", ["acknowledged_by_id"], ["id"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("follow_up_id", sa.Integer(), sa.ForeignKey("follow_up.id"), nullable=True, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False, index=True),
        sa.Column("claimed_until", TZ, nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("last_tried_at", TZ, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
    )

    # Existing data (see the module docstring).
    conn = op.get_bind()
    conn.execute(
        sa.text(
            'UPDATE "case" SET team_id = (SELECT team_id FROM staff_user WHERE staff_user.id = "case".worker_id) '
            "WHERE team_id IS NULL AND worker_id IS NOT NULL"
        )
    )
    conn.execute(
        sa.text(
            'UPDATE "case" SET worker_id = NULL WHERE worker_id IN '
            "(SELECT id FROM staff_user WHERE active = :no OR role NOT IN ('worker', 'manager'))"
        ),
        {"no": False},
    )
    conn.execute(
        sa.text(
            "UPDATE eligibility SET status = 'approved', agreed_by_id = recorded_by_id, decided_at = recorded_at "
            "WHERE recorded_by_id IN (SELECT id FROM staff_user WHERE role = 'manager')"
        )
    )


def downgrade():
    op.drop_table("notification")
    with op.batch_alter_table("follow_up") as batch:
        batch.drop_constraint("fk_follow_up_ack_by", type_="foreignkey")
        for column in ("escalated_at", "acknowledged_by_id", "acknowledged_at", "urgent"):
            batch.drop_column(column)
    with op.batch_alter_table("eligibility") as batch:
        batch.drop_constraint("fk_eligibility_agreed_by", type_="foreignkey")
        for column in ("source", "decided_at", "agreed_by_id", "status"):
            batch.drop_column(column)
    with op.batch_alter_table("team") as batch:
        batch.drop_column("duty_email")
