"""The demo's live terminal view (Rich): bots, equity, recent orders, predictions and alerts,
read from the database (and balances from the venue) every couple of seconds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts.models import Alert
from botfolio.bots.models import Bot
from botfolio.exchanges.errors import ExchangeError
from botfolio.market.models import CandleRow
from botfolio.orders.models import Order, OrderStatus
from botfolio.predictions.models import StoredPrediction
from botfolio.runtime import Runtime


@dataclass
class Snapshot:
    bots: list[tuple[Bot, Decimal | None, int]]
    orders: list[Order]
    predictions: list[StoredPrediction]
    alerts: dict[str, int]
    filled: int


async def snapshot(runtime: Runtime) -> Snapshot:
    async with runtime.db.session() as session:
        bot_rows = list((await session.execute(select(Bot).order_by(Bot.name))).scalars())
        orders = list(
            (
                await session.execute(select(Order).order_by(Order.created_at.desc()).limit(8))
            ).scalars()
        )
        counts = dict(
            (await session.execute(select(Order.bot_id, func.count()).group_by(Order.bot_id))).all()
        )
        filled = (
            await session.execute(
                select(func.count()).where(Order.status == OrderStatus.FILLED.value)
            )
        ).scalar_one()
        predictions = list(
            (
                await session.execute(
                    select(StoredPrediction).order_by(StoredPrediction.made_at.desc()).limit(6)
                )
            ).scalars()
        )
        alerts = dict(
            (
                await session.execute(
                    select(Alert.severity, func.count())
                    .where(Alert.status == "open")
                    .group_by(Alert.severity)
                )
            ).all()
        )
        prices = await _last_prices(session)
    bots = [
        (bot, await _equity(runtime, bot, prices), int(counts.get(bot.id, 0))) for bot in bot_rows
    ]
    return Snapshot(
        bots, orders, predictions, {str(k): int(v) for k, v in alerts.items()}, int(filled)
    )


async def _last_prices(session: AsyncSession) -> dict[str, Decimal]:
    latest = (
        select(CandleRow.symbol, func.max(CandleRow.open_time).label("t"))
        .group_by(CandleRow.symbol)
        .subquery()
    )
    rows = await session.execute(
        select(CandleRow.symbol, CandleRow.close).join(
            latest, (CandleRow.symbol == latest.c.symbol) & (CandleRow.open_time == latest.c.t)
        )
    )
    return {symbol: close for symbol, close in rows.all()}


async def _equity(runtime: Runtime, bot: Bot, prices: dict[str, Decimal]) -> Decimal | None:
    try:
        balances = await (await runtime.gateways.for_account(bot.account_id)).fetch_balances()
    except ExchangeError:
        return None
    total = balances[bot.quote_asset].total if bot.quote_asset in balances else Decimal(0)
    for symbol in bot.universe:
        base = symbol.split("/")[0]
        if base in balances and symbol in prices:
            total += balances[base].total * prices[symbol]
    return total


def render(view: Snapshot, header: str) -> Group:
    bots = Table("bot", "status", "last tick (UTC)", "orders", "equity USDT", title="bots")
    for bot, equity, count in view.bots:
        bots.add_row(
            bot.name,
            bot.status if not bot.status_reason else f"{bot.status}: {bot.status_reason[:30]}",
            bot.last_tick_at.strftime("%H:%M") if bot.last_tick_at else "-",
            str(count),
            f"{equity:,.2f}" if equity is not None else "?",
        )
    order_table = Table(
        "created",
        "symbol",
        "side",
        "amount",
        "status",
        "avg price",
        title=f"recent orders ({view.filled} filled)",
    )
    for order in view.orders:
        order_table.add_row(
            order.created_at.strftime("%H:%M:%S"),
            order.symbol,
            order.side,
            f"{order.amount:f}",
            order.status,
            f"{order.average_price:f}" if order.average_price else "-",
        )
    predictions = Table(
        "made", "symbol", "expected log return", "model", title="latest predictions"
    )
    for p in view.predictions:
        predictions.add_row(
            p.made_at.strftime("%H:%M:%S"), p.symbol, f"{p.value:+.5f}", p.model_version_id[-8:]
        )
    alerts = ", ".join(f"{sev}: {n}" for sev, n in sorted(view.alerts.items())) or "none open"
    return Group(Panel(header), bots, order_table, predictions, Panel(f"operator alerts: {alerts}"))


def summary_line(view: Snapshot) -> str:
    ticks = sum(1 for bot, _, _ in view.bots if bot.last_tick_at)
    return f"bots ticked: {ticks}/{len(view.bots)}, orders filled: {view.filled}, open alerts: {sum(view.alerts.values())}"
