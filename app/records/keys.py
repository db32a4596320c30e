"""Key rotation: every encrypted value re-encrypted under the first of ``DATA_KEYS``.

Rotation is resumable and safe beside a running service: values already under the first key are
skipped, each batch is its own transaction, and a value changed meanwhile by the service (which writes
with the first key already) is left as it is. So an interrupted run is simply run again.

The order for a new key: put it first in ``DATA_KEYS`` on every server and restart them (they then
write with it and still open everything), run ``flask --app app rotate-keys`` until it reports
nothing left, then drop the old key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from .. import crypto, db


@dataclass
class Rotation:
    """What a run did: per table.column, how many values it re-encrypted and how many were current."""

    rotated: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)
    finished: bool = True

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())


def encrypted_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every column of every table whose type encrypts: found from the models, so a new encrypted
    column is rotated without anyone remembering to list it."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, crypto.EncryptedText | crypto.EncryptedJSON):
                found.append((table, column))
    return found


def rotate(batch_size: int = 500, max_batches: int | None = None, progress=None) -> Rotation:
    """Re-encrypt under the first key every value that is not already; ``max_batches`` stops early
    (what is left is done by the next run). ``progress(name, rotated)`` hears each batch."""
    ring = crypto.current_ring()
    result, batches = Rotation(), 0
    for table, column in encrypted_columns():
        name = f"{table.name}.{column.name}"
        result.rotated.setdefault(name, 0)
        result.current.setdefault(name, 0)
        # The stored tokens as text: the column's own type would open them.
        raw = sa.table(table.name, sa.column("id", sa.Integer), sa.column(column.name, sa.Text))
        stored = raw.c[column.name]
        after = 0
        while True:
            rows = db.session.execute(
                sa.select(raw.c.id, stored)
                .where(raw.c.id > after, stored.is_not(None))
                .order_by(raw.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            stale = [(row_id, token) for row_id, token in rows if not crypto.is_current(token)]
            result.current[name] += len(rows) - len(stale)
            after = rows[-1][0]
            if not stale:
                continue  # a batch already done (by an earlier run) costs nothing
            if max_batches is not None and batches >= max_batches:
                result.finished = False
                db.session.rollback()
                return result
            batches += 1
            changed = 0
            for row_id, token in stale:
                fresh = ring.rotate(token.encode("ascii")).decode("ascii")
                # Only if nobody changed it meanwhile (the service writes under the first key).
                done = db.session.execute(
                    sa.update(raw).where(raw.c.id == row_id, stored == token).values({column.name: fresh})
                )
                changed += done.rowcount
            db.session.commit()
            result.rotated[name] += changed
            if progress is not None:
                progress(name, changed)
    return result


def left_to_rotate() -> int:
    """How many stored values are not under the first key (0 once a rotation has finished)."""
    left = 0
    for table, column in encrypted_columns():
        raw = sa.table(table.name, sa.column(column.name, sa.Text))
        for (token,) in db.session.execute(
            sa.select(raw.c[column.name]).where(raw.c[column.name].is_not(None))
        ):
            left += not crypto.is_current(token)
    return left


# The start-up check's one query, built once per set of encrypted columns (a statement made afresh
# would be keyed and compiled again by every app the process builds).
_newest: tuple[tuple[str, ...], sa.Select] | None = None


def _newest_values_statement(columns: list[tuple[sa.Table, sa.Column]]) -> sa.Select:
    """One row: for each encrypted column, its newest stored value (one indexed row per column)."""
    global _newest
    names = tuple(f"{table.name}.{column.name}" for table, column in columns)
    if _newest is None or _newest[0] != names:
        newest = []
        for table, column in columns:
            raw = sa.table(table.name, sa.column("id", sa.Integer), sa.column(column.name, sa.Text))
            newest.append(
                sa.select(raw.c[column.name])
                .where(raw.c[column.name].is_not(None))
                .order_by(raw.c.id.desc())
                .limit(1)
                .scalar_subquery()
            )
        _newest = (names, sa.select(*newest))
    return _newest[1]


def unopened_columns() -> list[str]:
    """The encrypted columns whose newest stored value none of the keys opens: a wrong key, or an
    old one dropped before ``rotate-keys`` finished. Checked at start, so that such a server
    refuses to start instead of failing on a person's page (one indexed row per column, all in one
    query)."""
    ring = crypto.current_ring()
    columns = encrypted_columns()
    if not columns:
        return []
    row = db.session.execute(_newest_values_statement(columns)).one()
    failed = []
    for (table, column), newest in zip(columns, row, strict=True):
        if newest is None:
            continue
        try:
            ring.decrypt(newest.encode("ascii"))
        except InvalidToken:
            failed.append(f"{table.name}.{column.name}")
    db.session.rollback()
    return failed
