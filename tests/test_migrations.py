"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import db


def differences(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return [d for d in compare_metadata(context, db.metadata) if d[0] != "remove_table"
                or d[1].name != "alembic_version"]  # fmt: skip


def test_models_and_migrations_agree_on_sqlite(app):
    assert differences(app) == []


def test_models_and_migrations_agree_on_postgresql():
    import uuid

    import sqlalchemy as sa
    from test_postgres import SERVER

    from app import create_app
    from config import TestConfig

    name = f"msp_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
        assert differences(app) == []
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
