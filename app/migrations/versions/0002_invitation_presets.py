"""invitation keeps what the worker preset: respondent and preferred name

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("respondent", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("person_name", sa.String(length=120), nullable=True))
    # Invitations made before this revision keep no preset, so their conversations ask who is
    # answering if they have not yet been asked. No such invitations were in use.


def downgrade():
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("person_name")
        batch.drop_column("respondent")
