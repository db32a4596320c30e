"""reading settings, the urgent flag and the browser session on each conversation

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(
            sa.Column("easy_read", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("text_size", sa.String(length=8), nullable=False, server_default="normal")
        )
        batch.add_column(
            sa.Column("high_contrast", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("urgent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("conversation") as batch:
        for column in ("seen_at", "session_token", "urgent_at", "high_contrast", "text_size",
                       "easy_read"):  # fmt: skip
            batch.drop_column(column)
