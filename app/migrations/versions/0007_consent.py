"""the person's consent to go on, recorded on the conversation: what they chose at the opening
("yes", "not_now" or "talk_first") and when

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("consent", sa.String(16), nullable=True))
        batch.add_column(sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("consent_at")
        batch.drop_column("consent")
