"""the practitioner side: teams, staff, sessions, eligibility, follow-ups, audit; staff dialogues

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("seen_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
    )
    op.create_table(
        "eligibility",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("representative_name", sa.String(120), nullable=True),
        sa.Column("representative_role", sa.String(32), nullable=True),
        sa.Column("agreed_with", sa.String(120), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    )
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("raised_at", TZ, nullable=False),
        sa.Column("done_at", TZ, nullable=True),
        sa.Column("done_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )  # fmt: skip
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True, index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
    )
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("worker_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_case_team", "team", ["team_id"], ["id"])
        batch.create_foreign_key("fk_case_worker", "staff_user", ["worker_id"], ["id"])
        batch.create_index("ix_case_team_id", ["team_id"])
        batch.create_index("ix_case_worker_id", ["worker_id"])
    with op.batch_alter_table("conversation") as batch:
        batch.alter_column("invitation_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("staff_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_conversation_staff", "staff_user", ["staff_user_id"], ["id"])
        batch.create_index("ix_conversation_staff_user_id", ["staff_user_id"])


def downgrade():
    with op.batch_alter_table("conversation") as batch:
        batch.drop_index("ix_conversation_staff_user_id")
        batch.drop_constraint("fk_conversation_staff", type_="foreignkey")
        batch.drop_column("staff_user_id")
        batch.alter_column("invitation_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_worker_id")
        batch.drop_index("ix_case_team_id")
        batch.drop_constraint("fk_case_worker", type_="foreignkey")
        batch.drop_constraint("fk_case_team", type_="foreignkey")
        batch.drop_column("worker_id")
        batch.drop_column("team_id")
    for table in ("audit_event", "follow_up", "eligibility", "staff_session", "staff_user", "team"):
        op.drop_table(table)
