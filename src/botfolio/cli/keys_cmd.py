"""`botfolio keys status | rotate`: field-encryption keys, the values under each, and rotation."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from botfolio.audit.service import Actor, record_event
from botfolio.cli.common import console, err_console, load_settings, run_with_runtime
from botfolio.db.models import import_all_models
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import (
    KeyRing,
    add_active_key_to_file,
    encode_key,
    keys_come_from_settings,
    load_keyring,
)
from botfolio.security.registry import EncryptedColumn, encrypted_columns
from botfolio.security.rotation import (
    DEFAULT_BATCH_SIZE,
    RotationProgress,
    RotationReport,
    key_usage,
    reencrypt_all,
)

app = typer.Typer(no_args_is_help=True)


@app.command("status")
def status() -> None:
    """The active key id and, for every encrypted column, how many values each key id holds."""

    async def _status(runtime: Runtime) -> tuple[KeyRing, dict[EncryptedColumn, dict[str, int]]]:
        usage = await key_usage(runtime.db, runtime.cipher, _registered_columns())
        return runtime.cipher.ring, usage

    ring, usage = run_with_runtime(_status)
    settings = load_settings()
    source = (
        "settings" if keys_come_from_settings(settings) else str(settings.security.keyring_file)
    )
    console.print(
        f"active key: [bold]{ring.active_key_id}[/bold]   "
        f"keys: {', '.join(sorted(ring.keys))}   source: {source}"
    )
    console.print(_usage_table(usage))


@app.command("rotate")
def rotate(
    reencrypt_only: bool = typer.Option(
        False,
        "--reencrypt-only",
        help="Keep the key ring as configured; re-encrypt everything under its active key.",
    ),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, min=1, help="Rows per transaction."),
) -> None:
    """Add a new active key to the key-ring file, then re-encrypt every registered column."""
    settings = load_settings()
    new_key_id: str | None = None
    if not reencrypt_only:
        if keys_come_from_settings(settings):
            _print_settings_instructions(load_keyring(settings))
            raise typer.Exit(1)
        new_key_id = add_active_key_to_file(settings.security.keyring_file).active_key_id
        console.print(
            f"added key [bold]{new_key_id}[/bold] to {settings.security.keyring_file}; "
            "restart the other BotFolio processes so that they write with it"
        )
    report = run_with_runtime(lambda runtime: _reencrypt(runtime, new_key_id, batch_size))
    console.print(_report_table(report))
    rate = report.reencrypted / report.seconds if report.seconds > 0 else 0.0
    console.print(
        f"re-encrypted {report.reencrypted} values under {report.active_key_id} "
        f"in {report.seconds:.1f} s ({rate:.0f} values/s)"
    )
    if report.failed:
        err_console.print(f"[red]{report.failed} values could not be decrypted[/red] (see above)")
        raise typer.Exit(1)


async def _reencrypt(runtime: Runtime, new_key_id: str | None, batch_size: int) -> RotationReport:
    cipher = runtime.cipher
    if new_key_id is not None and cipher.ring.active_key_id != new_key_id:
        # The runtime read the ring before the new key was added: read it again.
        cipher = FieldCipher(load_keyring(runtime.settings))
    columns = _registered_columns()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        tasks: dict[EncryptedColumn, TaskID] = {
            spec: progress.add_task(spec.name, total=None) for spec in columns
        }

        def _advance(update: RotationProgress) -> None:
            progress.update(tasks[update.column], completed=update.done, total=update.total)

        report = await reencrypt_all(
            runtime.db, cipher, columns=columns, batch_size=batch_size, on_progress=_advance
        )
    async with runtime.db.transaction() as session:
        await record_event(
            session,
            runtime.clock,
            actor=Actor.system(),
            action="keys.rotated",
            target_type="keyring",
            target_id=report.active_key_id,
            details={
                "active_key_id": report.active_key_id,
                "new_key_added": new_key_id is not None,
                "reencrypted": {c.column.name: c.reencrypted for c in report.columns},
                "failed": report.failed,
            },
        )
    return report


def _registered_columns() -> tuple[EncryptedColumn, ...]:
    """Domains register their encrypted columns when their models are imported."""
    import_all_models()
    return encrypted_columns()


def _print_settings_instructions(ring: KeyRing) -> None:
    """Keys configured through settings are never rewritten: tell the operator what to set.

    The new key goes to stdout only (never to the logs); existing keys are not printed.
    """
    proposed = ring.with_new_active_key()
    key_id = proposed.active_key_id
    entry = json.dumps({key_id: encode_key(proposed.keys[key_id])})
    err_console.print(
        "[yellow]The key ring comes from settings (security.field_keys); "
        "BotFolio will not rewrite it. Nothing was changed.[/yellow]"
    )
    console.print(
        "1. Add this key to security.field_keys (BOTFOLIO_SECURITY__FIELD_KEYS), keeping every "
        f"existing key:\n     {entry}\n"
        f"2. Set BOTFOLIO_SECURITY__ACTIVE_KEY_ID={key_id} (now {ring.active_key_id}) and restart "
        "every BotFolio process.\n"
        "3. Run: botfolio keys rotate --reencrypt-only",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def _usage_table(usage: dict[EncryptedColumn, dict[str, int]]) -> Table:
    table = Table(title="encrypted values per key id")
    for heading in ("column", "key id", "values"):
        table.add_column(heading)
    if not usage:
        table.add_row("(no encrypted columns registered)", "", "")
    for spec, counts in usage.items():
        for key_id, count in sorted(counts.items()):
            table.add_row(spec.name, key_id, str(count))
    return table


def _report_table(report: RotationReport) -> Table:
    table = Table(title=f"re-encryption under {report.active_key_id}")
    for heading in ("column", "re-encrypted", "failed", "first failed ids"):
        table.add_column(heading)
    for outcome in report.columns:
        table.add_row(
            outcome.column.name,
            str(outcome.reencrypted),
            str(outcome.failed),
            ", ".join(outcome.failed_row_ids[:5]),
        )
    return table
