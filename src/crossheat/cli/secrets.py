"""``crossheat secrets ...``: the deployment's secret key ring.

Every engine, server and worker of a deployment reads the same keys
(``CROSSHEAT_SECRET_KEY_FILE``). To change the key::

    crossheat secrets new-key       # a new first key; the old ones still decrypt
    # ... every machine gets the new file (engines read a changed file within seconds)
    crossheat secrets rotate        # every sealed value re-encrypted with the new key
    crossheat secrets retire-old    # the old keys dropped, once nothing needs them
"""

from __future__ import annotations

from pathlib import Path

import typer

from crossheat.cli.common import Format, console, dump, err_console, handle_errors

app = typer.Typer(
    help="The deployment's secret key ring: new keys, re-encryption, retiring old keys.",
    no_args_is_help=True,
)

FileOpt = typer.Option(
    None,
    "--file",
    help="Key file (default: $CROSSHEAT_SECRET_KEY_FILE, else the per-host "
    "~/.config/crossheat/secret.key).",
)
FormatOpt = typer.Option(Format.table, "-f", "--format", help="table, json or yaml.")


@app.command("new-key")
def new_key(file: Path | None = FileOpt) -> None:
    """Put a new key first in the key file: it encrypts, the old keys still decrypt.

    The file is made if missing (a new deployment's key file)."""
    from crossheat.service import Service

    with handle_errors(), Service() as service:
        change = service.secret_keys().new_key(file)
    console.print(
        f"{change.path}: a new first key; {change.keys} key(s), the first encrypts.", markup=False
    )
    if change.keys > 1:
        console.print(
            "Next: give this file to every engine, server and worker of the deployment "
            "(a running one reads a changed key file within seconds), then run "
            "`crossheat secrets rotate`.",
            markup=False,
        )


@app.command()
def status(file: Path | None = FileOpt, fmt: Format = FormatOpt) -> None:
    """Where the keys come from, and which keys sealed the database's secret values."""
    from crossheat.service import Service

    with handle_errors(), Service() as service:
        found = service.secret_keys().status(file)
    data = {
        "source": found.source,
        "keys": found.keys,
        "sealed_with_first_key": found.census.first,
        "sealed_with_old_key": found.census.old,
        "sealed_with_unknown_key": found.census.unknown,
    }
    if fmt in (Format.json, Format.yaml):
        dump(data, fmt)
        return
    for key, value in data.items():
        console.print(f"{key}: {value}", markup=False)


@app.command()
def rotate(file: Path | None = FileOpt) -> None:
    """Re-encrypt every secret value in the database with the first key.

    In batches, safe while engines run. Exits 1 if a value still needs an old key."""
    from crossheat.service import Service

    with handle_errors(), Service() as service:
        done = service.secret_keys().rotate(file)
    console.print(
        f"re-encrypted {done.resealed} secret value(s) in {done.rows} row(s); "
        f"{done.left.first} value(s) sealed with the first key.",
        markup=False,
    )
    if done.left.old:
        err_console.print(
            f"error: {done.left.old} value(s) still sealed with an old key (an engine "
            "without the new key file keeps writing them?): give every engine the key "
            "file, then run `crossheat secrets rotate` again",
            markup=False,
        )
        raise typer.Exit(1)


@app.command("retire-old")
def retire_old(file: Path | None = FileOpt) -> None:
    """Drop every key but the first from the key file, once nothing needs them.

    Refused while a secret value in the database needs an old key (run `crossheat
    secrets rotate` first)."""
    from crossheat.service import Service

    with handle_errors(), Service() as service:
        change = service.secret_keys().retire_old(file)
    if not change.dropped:
        console.print(f"{change.path} holds one key: nothing to retire.", markup=False)
        return
    console.print(
        f"{change.path}: retired {change.dropped} old key(s); the first key stays. "
        "Give this file to every engine, server and worker of the deployment.",
        markup=False,
    )
