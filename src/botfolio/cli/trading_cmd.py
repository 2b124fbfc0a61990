"""`botfolio trading halt | reduce | resume | status`: the operator's kill switch."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from botfolio.audit.service import Actor
from botfolio.cli.common import console, run_with_runtime
from botfolio.risk import service
from botfolio.risk.state import TradingState
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)

UserOption = Annotated[str | None, typer.Option("--user", help="Only this user's bots.")]
BotOption = Annotated[str | None, typer.Option("--bot", help="Only this bot.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Your user id, for the audit log.")
]


def _change(
    state: TradingState, user: str | None, bot: str | None, reason: str, actor: str | None
) -> None:
    async def _apply(runtime: Runtime) -> str:
        ref = service.ScopeRef.of(user_id=user, bot_id=bot)
        async with runtime.db.transaction() as session:
            await service.set_trading_state(
                session,
                runtime.clock,
                actor=Actor(user_id=actor) if actor else Actor.system(),
                ref=ref,
                state=state,
                reason=reason,
            )
        return f"{ref.scope.value} {ref.scope_id}".strip()

    target = run_with_runtime(_apply)
    console.print(f"trading {state.value} for {target}")


@app.command("halt")
def halt(
    reason: ReasonOption, user: UserOption = None, bot: BotOption = None, actor: ActorOption = None
) -> None:
    """Stop all new orders: globally (no option), for one user, or for one bot."""
    _change(TradingState.HALTED, user, bot, reason, actor)


@app.command("reduce")
def reduce(
    reason: ReasonOption, user: UserOption = None, bot: BotOption = None, actor: ActorOption = None
) -> None:
    """Allow only orders that reduce a position (sells)."""
    _change(TradingState.REDUCING, user, bot, reason, actor)


@app.command("resume")
def resume(
    reason: ReasonOption, user: UserOption = None, bot: BotOption = None, actor: ActorOption = None
) -> None:
    """Back to ACTIVE; for a bot halted by a loss limit this is the manual reset."""
    _change(TradingState.ACTIVE, user, bot, reason, actor)


@app.command("status")
def status() -> None:
    """Every scope whose state was ever set (no row: ACTIVE)."""

    async def _list(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            rows = await service.list_trading_states(session)
        table = Table("scope", "id", "state", "reason", "breach", "changed (UTC)")
        for row in rows:
            table.add_row(
                row.scope,
                row.scope_id or "-",
                row.state,
                row.reason[:60],
                row.breach or "",
                row.changed_at.strftime("%Y-%m-%d %H:%M:%S"),
            )
        console.print(table if rows else "trading is active everywhere (no state set)")

    run_with_runtime(_list)
