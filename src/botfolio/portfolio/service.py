"""Portfolio use cases: a bot's ledger from its fills, equity snapshots, the owner's view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.portfolio import repository
from botfolio.portfolio.ledger import ZERO, Ledger, ledger_from_fills
from botfolio.portfolio.models import EquitySnapshot


async def bot_ledger(session: AsyncSession, bot_id: str, *, cash: Decimal = ZERO) -> Ledger:
    """The bot's ledger replayed from every fill of its orders; `cash` is its starting budget
    (0 reads the ledger's cash as the net cash flow of the fills)."""
    return ledger_from_fills(await repository.bot_fills(session, bot_id), cash=cash)


async def record_equity_snapshot(
    session: AsyncSession,
    clock: Clock,
    *,
    bot_id: str,
    cash: Decimal,
    positions_value: Decimal,
) -> EquitySnapshot:
    """Append one point of the bot's equity series (the tick calls this); the peak carries
    over from the previous point."""
    equity = cash + positions_value
    previous = await repository.latest_snapshot(session, bot_id)
    peak = max(equity, previous.peak_equity) if previous else equity
    snapshot = EquitySnapshot(
        id=new_id(),
        bot_id=bot_id,
        at=clock.now(),
        equity=equity,
        cash=cash,
        positions_value=positions_value,
        peak_equity=peak,
    )
    session.add(snapshot)
    await session.flush()
    return snapshot


@dataclass(frozen=True)
class PositionView:
    symbol: str
    quantity: Decimal
    average_cost: Decimal
    cost: Decimal
    mark_price: Decimal | None
    value: Decimal | None
    unrealised_pnl: Decimal | None


@dataclass(frozen=True)
class BotPortfolio:
    bot_id: str
    positions: list[PositionView]
    net_cash_flow: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    fees_in_quote: Decimal
    other_fees: dict[str, Decimal]
    equity_series: list[EquitySnapshot]


async def bot_portfolio(
    session: AsyncSession, bot_id: str, *, since: datetime | None, equity_points: int
) -> BotPortfolio:
    ledger = await bot_ledger(session, bot_id)
    venue = await repository.bot_venue(session, bot_id)
    positions = []
    for symbol, position in sorted(ledger.positions.items()):
        price = await repository.mark_price(session, venue, symbol)
        value = position.value(price) if price is not None else None
        positions.append(
            PositionView(
                symbol,
                position.quantity,
                position.average_cost,
                position.cost,
                price,
                value,
                value - position.cost if value is not None else None,
            )
        )
    return BotPortfolio(
        bot_id=bot_id,
        positions=positions,
        net_cash_flow=ledger.cash,
        realised_pnl=ledger.realised_pnl,
        unrealised_pnl=sum((p.unrealised_pnl or ZERO for p in positions), ZERO),
        fees_in_quote=ledger.fees_in_quote,
        other_fees=dict(ledger.other_fees),
        equity_series=await repository.equity_series(
            session, bot_id, since=since, limit=equity_points
        ),
    )
