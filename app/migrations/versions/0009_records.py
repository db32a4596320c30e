"""records a council can govern: encryption at rest, retention, legal hold, erasure, subject access,
capacity, and who ran which command

- every free-text answer, name and note becomes a Fernet token (app/crypto.py): the columns become
  Text (a token is longer than the words, and is not JSON), and the values already stored are
  encrypted here, with the app's DATA_KEYS;
- case.closed_at: RETENTION_MONTHS count from it. A case already closed is counted from this
  migration, never from an earlier guess: nothing is erased sooner than the setting says;
- case: legal hold (reason, when, by whom; and the last one lifted: when, by whom, why) and
  erasure on request (when, by whom, why);
- conversation: the worker's record of capacity and support (SAC table SG3a);
- retained_count: the anonymous counts left after erasure; subject_access_request;
- audit_event: a longer detail (a command line), via (web, cli, system) and the OS user.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# table -> the columns encrypted from now on
ENCRYPTED = {
    "case": ("preferred_name", "communication_needs"),
    "invitation": ("person_name", "representative_name"),
    "conversation": ("person_name",),
    "answer": ("value", "about"),
    "eligibility": ("reason_text", "representative_name", "agreed_with"),
    "follow_up": ("note",),
}


def upgrade():
    bind = op.get_bind()
    # SQLite keeps any text in any column, and changing a type there would rebuild tables that other
    # rows point at: only PostgreSQL's columns change type. Every column below is added in place.
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        for table, columns in ENCRYPTED.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.Text(), postgresql_using=f"{column}::text")
        op.alter_column("audit_event", "detail", type_=sa.String(500))
    _encrypt_what_is_stored(bind)

    op.add_column("case", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("case", sa.Column("legal_hold_reason", sa.Text(), nullable=True))
    op.add_column("case", sa.Column("legal_hold_at", sa.DateTime(timezone=True), nullable=True))
    _add_staff_reference("case", "legal_hold_by_id")
    op.add_column("case", sa.Column("legal_hold_lifted_reason", sa.Text(), nullable=True))
    op.add_column("case", sa.Column("legal_hold_lifted_at", sa.DateTime(timezone=True), nullable=True))
    _add_staff_reference("case", "legal_hold_lifted_by_id")
    op.add_column("case", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    _add_staff_reference("case", "erased_by_id")
    op.add_column("case", sa.Column("erasure_reason", sa.Text(), nullable=True))
    op.create_index("ix_case_closed_at", "case", ["closed_at"])
    case = sa.table("case", sa.column("stage", sa.String), sa.column("closed_at", sa.DateTime(timezone=True)))
    from datetime import UTC, datetime

    op.execute(case.update().where(case.c.stage == "closed").values(closed_at=datetime.now(UTC)))

    op.add_column("conversation", sa.Column("capacity", sa.String(16), nullable=True))
    op.add_column("conversation", sa.Column("capacity_support", sa.String(16), nullable=True))
    _add_staff_reference("conversation", "capacity_by_id")
    op.add_column("conversation", sa.Column("capacity_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("via", sa.String(16), nullable=False, server_default="web"))
        batch.add_column(sa.Column("os_user", sa.String(64), nullable=True))

    op.create_table(
        "retained_count",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("measure", sa.String(96), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("period", "team_id", "measure", "value"),
    )
    op.create_table(
        "subject_access_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("prepared_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redactions", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True),
    )


def _add_staff_reference(table: str, column: str) -> None:
    """A nullable column naming a member of staff, added in place (SQLite allows REFERENCES in
    ADD COLUMN when the default is NULL; Alembic's SQLite operations would rebuild the table)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" ADD COLUMN {column} INTEGER REFERENCES staff_user (id)')
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True))


def _encrypt_what_is_stored(bind):
    """Each value stored before this revision, encrypted under the first of DATA_KEYS. A JSON answer
    is stored as its JSON text, as app.crypto.EncryptedJSON writes it."""
    from app import crypto

    for table, columns in ENCRYPTED.items():
        t = sa.table(table, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in columns))
        for row in bind.execute(sa.select(t)).mappings().all():
            values = {c: crypto.encrypt(row[c]) for c in columns if row[c] is not None and row[c] != "null"}
            nulls = {c: None for c in columns if row[c] == "null"}
            if values or nulls:
                bind.execute(t.update().where(t.c.id == row["id"]).values(**values, **nulls))


def downgrade():
    """Back to 0008: what 0009 added goes, and the encrypted values are decrypted (with DATA_KEYS)."""
    from app import crypto

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Dropping a column rebuilds the table there, while other rows point at it: foreign keys are
        # checked when the transaction commits.
        op.execute("PRAGMA defer_foreign_keys = ON")
    op.drop_table("subject_access_request")
    op.drop_table("retained_count")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("os_user")
        batch.drop_column("via")
    with op.batch_alter_table("conversation") as batch:
        for column in ("capacity_at", "capacity_by_id", "capacity_support", "capacity"):
            batch.drop_column(column)
    op.drop_index("ix_case_closed_at", "case")
    with op.batch_alter_table("case") as batch:
        for column in (
            "erasure_reason", "erased_by_id", "erased_at", "legal_hold_lifted_by_id",
            "legal_hold_lifted_at", "legal_hold_lifted_reason", "legal_hold_by_id", "legal_hold_at",
            "legal_hold_reason", "closed_at",
        ):
            batch.drop_column(column)
    for table, columns in ENCRYPTED.items():
        t = sa.table(table, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in columns))
        for row in bind.execute(sa.select(t)).mappings().all():
            values = {c: crypto.decrypt(row[c]) for c in columns if row[c] is not None}
            if values:
                bind.execute(t.update().where(t.c.id == row["id"]).values(**values))
    if bind.dialect.name == "postgresql":
        op.alter_column("answer", "value", type_=sa.JSON(), postgresql_using="value::json")
        op.alter_column("audit_event", "detail", type_=sa.String(200))
