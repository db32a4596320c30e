"""Bring the database schema up to date with Alembic, from the app itself.

Called on every start and by the CLI commands, so a newcomer never runs a migration by hand.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text

from . import db

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> AlembicConfig:
    """An Alembic config pointing at our migrations, with no ini file needed."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade() -> None:
    """Upgrade to the newest revision, one process at a time on PostgreSQL."""
    cfg = alembic_config()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several server processes may start together; only one migrates at a time.
            connection.execute(text("SELECT pg_advisory_xact_lock(7310001)"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
