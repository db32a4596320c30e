"""``flask --app app new-data-key`` and ``rotate-keys``: the keys of the encryption at rest."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import crypto
from ..records import keys


@click.command("new-data-key")
def new_data_key():
    """Print a new Fernet key for DATA_KEYS (it is not stored anywhere: keep it in the secret store)."""
    click.echo(crypto.new_key())


@click.command("rotate-keys")
@with_appcontext
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def rotate_keys(batch_size):
    """Re-encrypt every stored value under the first of DATA_KEYS. Safe to run beside the servers
    (give them the new DATA_KEYS first) and to run again after an interruption."""
    first = (current_app.config.get("DATA_KEYS") or "").split(",")[0]
    if first:
        click.echo(f"Re-encrypting under key {crypto.key_id(first)} (the first of DATA_KEYS)…")

    def progress(name, rotated):
        if rotated:
            click.echo(f"  {name}: {rotated} re-encrypted")

    result = keys.rotate(batch_size=batch_size, progress=progress)
    left = keys.left_to_rotate()
    click.echo(json.dumps({"rotated": result.total_rotated, "left": left}))
    if left:
        click.echo(
            f"{left} value(s) were written meanwhile by a server without the new key first in "
            "DATA_KEYS: restart every server with it, then run this again."
        )
    else:
        click.echo("Every stored value is under the first key: the other keys may now be dropped.")


COMMANDS = [new_data_key, rotate_keys]
