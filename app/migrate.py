"""Bring the database schema up to date with Alembic, from the app itself.

Called on every start and by the CLI commands, so a newcomer never runs a migration by hand.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from . import db

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The newest revisions of the migration scripts, by what the scripts directory holds (the file names
# and their times): read once, again only when a script is added, removed or edited.
_heads: tuple[tuple, frozenset[str]] | None = None


def alembic_config() -> AlembicConfig:
    """An Alembic config pointing at our migrations, with no ini file needed."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _scripts_signature() -> tuple:
    versions = MIGRATIONS / "versions"
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in versions.glob("*.py")))


def heads(cfg: AlembicConfig | None = None) -> frozenset[str]:
    """The head revisions of the migration scripts."""
    global _heads
    signature = _scripts_signature()
    if _heads is None or _heads[0] != signature:
        script = ScriptDirectory.from_config(cfg or alembic_config())
        _heads = (signature, frozenset(script.get_heads()))
    return _heads[1]


def at_head(connection, cfg: AlembicConfig | None = None) -> bool:
    """Whether the database is already at the newest revision (then upgrading would do nothing)."""
    if not inspect(connection).has_table("alembic_version"):
        return False
    current = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    return bool(current) and current == heads(cfg)


def upgrade() -> None:
    """Upgrade to the newest revision, one process at a time on PostgreSQL. A database already at
    the newest revision is left as it is, without Alembic's own start-up work."""
    cfg = alembic_config()
    with db.engine.begin() as connection:
        if at_head(connection, cfg):
            return
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several server processes may start together; only one migrates at a time.
            connection.execute(text("SELECT pg_advisory_xact_lock(7310001)"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
