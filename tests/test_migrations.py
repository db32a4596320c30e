"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import db


def differences(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return [
            d
            for d in compare_metadata(context, db.metadata)
            if d[0] != "remove_table" or d[1].name != "alembic_version"
        ]


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


def test_0005_leaves_no_case_invisible_and_no_typed_name_as_agreement(tmp_path):
    """A database from before signals: its cases and eligibility decisions are brought into the rules."""
    import sqlalchemy as sa
    from alembic import command

    from app import create_app
    from app.migrate import alembic_config, upgrade
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        cfg = alembic_config()
        with db.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0004")
        with db.engine.begin() as c:
            c.execute(sa.text("INSERT INTO team (id, name) VALUES (1, 'North')"))
            for uid, role, active in ((1, "worker", True), (2, "worker", False), (3, "manager", True)):
                c.execute(
                    sa.text(
                        "INSERT INTO staff_user (id, email, password_hash, role, team_id, active, "
                        "failed_sign_ins, created_at) VALUES (:id, :e, '!', :r, 1, :a, 0, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"id": uid, "e": f"u{uid}@x.example", "r": role, "a": active},
                )
            for cid, team, worker in ((1, None, None), (2, None, 1), (3, 1, 2)):
                c.execute(
                    sa.text(
                        'INSERT INTO "case" (id, reference, language, stage, created_at, team_id, '
                        "worker_id) VALUES (:id, :ref, 'en', 'open', CURRENT_TIMESTAMP, :t, :w)"
                    ),
                    {"id": cid, "ref": f"OLD-{cid}", "t": team, "w": worker},
                )
            for eid, by in ((1, 1), (2, 3)):
                c.execute(
                    sa.text(
                        "INSERT INTO eligibility (id, case_id, decision, agreed_with, recorded_by_id, "
                        "recorded_at) VALUES (:id, 2, 'yes', 'M. Manager', :by, CURRENT_TIMESTAMP)"
                    ),
                    {"id": eid, "by": by},
                )
        upgrade()
        with db.engine.connect() as c:
            cases = c.execute(sa.text('SELECT id, team_id, worker_id FROM "case" ORDER BY id')).all()
            decisions = c.execute(
                sa.text("SELECT id, status, agreed_by_id FROM eligibility ORDER BY id")
            ).all()
        db.engine.dispose()
    # No team, no worker: the Unassigned list every manager sees. A worker's case takes their team. A
    # deactivated worker's case waits in its team's Unassigned list.
    assert [tuple(r) for r in cases] == [(1, None, None), (2, 1, 1), (3, 1, None)]
    # A typed "agreed with" name is a proposal now; a manager's own record counts as agreed by them.
    assert [tuple(r) for r in decisions] == [(1, "proposed", None), (2, "approved", 3)]
