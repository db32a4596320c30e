"""failed sign-ins counted per account and address: an attacker's address is refused for an account
after repeated failures, while the right password from anywhere else still works

The accounts' own counters (staff_user.failed_sign_ins, locked_until) are no longer read; an account
locked for everyone by the old rule is unlocked by this migration.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "sign_in_throttle",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False, index=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", TZ, nullable=False, index=True),
        sa.Column("locked_until", TZ, nullable=True),
        sa.UniqueConstraint("user_id", "address"),
    )
    op.get_bind().execute(sa.text("UPDATE staff_user SET failed_sign_ins = 0, locked_until = NULL"))


def downgrade():
    op.drop_table("sign_in_throttle")
