"""`botfolio exchanges check | incidents`: credentials and latency per account; failure history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table

from botfolio.cli.common import console, run_with_runtime
from botfolio.exchanges import accounts as account_service
from botfolio.exchanges.errors import CredentialsRejectedError, VenueUnavailableError
from botfolio.exchanges.incidents import list_incidents
from botfolio.exchanges.registry import check_credentials
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)


@app.command("check")
def check() -> None:
    """Check every linked account's credentials and latency; rejected keys stop the account."""

    async def _check(runtime: Runtime) -> int:
        async with runtime.db.session() as session:
            accounts = list(await account_service.list_accounts(session))
        table = Table("account", "venue", "label", "result", "latency ms")
        failures = 0
        for account in accounts:
            result, latency = await _check_one(runtime, account)
            failures += result != "ok"
            table.add_row(account.id, account.venue, account.label, result, latency)
        console.print(table if accounts else "no linked exchange accounts")
        return failures

    failures = run_with_runtime(_check)
    raise typer.Exit(1 if failures else 0)


async def _check_one(runtime: Runtime, account: account_service.ExchangeAccount) -> tuple[str, str]:
    creds = account_service.decrypt_credentials(runtime.cipher, account)
    try:
        latency = await check_credentials(
            runtime.settings.exchanges, account.venue, creds.api_key, creds.secret, runtime.clock
        )
    except CredentialsRejectedError as exc:
        await runtime.gateways.credentials_rejected(account.id, exc.message)
        return "[red]credentials rejected[/red]", "-"
    except VenueUnavailableError as exc:
        return f"[yellow]unreachable: {exc.message[:60]}[/yellow]", "-"
    async with runtime.db.transaction() as session:
        row = await account_service.get_account(session, account.id)
        row.last_checked_at = runtime.clock.now()
        row.last_latency_ms = latency
    return "ok", f"{latency:.1f}"


@app.command("incidents")
def incidents(
    venue: str | None = typer.Option(None, help="Only this venue."),
    hours: float = typer.Option(24 * 7, help="How far back to look."),
    limit: int = typer.Option(100, min=1, max=10_000),
) -> None:
    """The exchange failure history: failure runs, breaker changes, HotSwap, rejected keys."""

    async def _list(runtime: Runtime) -> None:
        since = datetime.now(UTC) - timedelta(hours=hours)
        async with runtime.db.session() as session:
            rows = await list_incidents(session, venue=venue, since=since, limit=limit)
        table = Table("when (UTC)", "venue", "kind", "message", "account")
        for row in rows:
            table.add_row(
                row.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                row.venue,
                row.kind,
                row.message[:80],
                row.account_id or "",
            )
        console.print(table if rows else "no exchange incidents in that window")

    run_with_runtime(_list)
