"""representatives named on the invitation, and the Welsh Active Offer recorded on the case

- invitation.representative_name: who the worker is inviting to answer for the person, so an
  invitation to someone on the person's own "do not tell" list can be stopped.
- case.welsh_offer / welsh_offer_at: in Wales, Welsh is offered first without being asked (the
  Active Offer): "offered", then "accepted" or "declined", and when.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("representative_name", sa.String(120), nullable=True))
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("welsh_offer", sa.String(16), nullable=True))
        batch.add_column(sa.Column("welsh_offer_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("case") as batch:
        batch.drop_column("welsh_offer_at")
        batch.drop_column("welsh_offer")
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("representative_name")
