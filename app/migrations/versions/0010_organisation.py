"""the organisation's perspective: SAC decisions a worker confirms, case-file audit (samples, audits,
agreed actions) and supervision of reflections

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STAFF = "staff_user.id"


def upgrade():
    op.create_table(
        "sac_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("asked", sa.String(24), nullable=False),
        sa.Column("achieved", sa.String(16), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_sample",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=False, index=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_file_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sample_id", sa.Integer(), sa.ForeignKey("audit_sample.id"), nullable=False, index=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("auditor_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=True, index=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "supervision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reflection_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=False, index=True),
        sa.Column("worker_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=False, index=True),
        sa.Column("manager_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=False),
        sa.Column("discussed_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "agreed_action",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("case_file_audit_id", sa.Integer(), sa.ForeignKey("case_file_audit.id"), nullable=True, index=True),
        sa.Column("supervision_id", sa.Integer(), sa.ForeignKey("supervision.id"), nullable=True, index=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), sa.ForeignKey(STAFF), nullable=True),
    )


def downgrade():
    for table in ("agreed_action", "supervision", "case_file_audit", "audit_sample", "sac_decision"):
        op.drop_table(table)
