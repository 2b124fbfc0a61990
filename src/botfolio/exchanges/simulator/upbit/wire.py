"""Upbit JSON shapes: market data as JSON numbers, order fields as strings, KST timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from botfolio.exchanges.simulator.candles import CandleLike
from botfolio.exchanges.simulator.context import to_ms
from botfolio.exchanges.simulator.engine import BookQuote
from botfolio.exchanges.simulator.orders import Fill, Order, OrderKind, OrderStatus, Side
from botfolio.exchanges.simulator.rules import SymbolRules

KST = timezone(timedelta(hours=9))
Json = dict[str, Any]
_STATES = {
    OrderStatus.NEW: "wait",
    OrderStatus.PARTIALLY_FILLED: "wait",
    OrderStatus.FILLED: "done",
    OrderStatus.CANCELED: "cancel",
    OrderStatus.EXPIRED: "cancel",
}


def number(value: Decimal) -> int | float:
    """Upbit sends market data as JSON numbers (doubles)."""
    return int(value) if value == value.to_integral_value() else float(value)


def text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def side_of(side: Side) -> str:
    return "bid" if side is Side.BUY else "ask"


def market_entry(rules: SymbolRules) -> Json:
    return {
        "market": rules.symbol,
        "korean_name": rules.base,
        "english_name": rules.base,
        "market_event": {"warning": False, "caution": {}},
    }


def candle(rules: SymbolRules, bar: CandleLike, unit: int) -> Json:
    return {
        "market": rules.symbol,
        "candle_date_time_utc": bar.open_time.strftime("%Y-%m-%dT%H:%M:%S"),
        "candle_date_time_kst": bar.open_time.astimezone(KST).strftime("%Y-%m-%dT%H:%M:%S"),
        "opening_price": number(bar.open),
        "high_price": number(bar.high),
        "low_price": number(bar.low),
        "trade_price": number(bar.close),
        "timestamp": to_ms(bar.open_time + timedelta(minutes=unit)) - 1,
        "candle_acc_trade_price": number(bar.volume * bar.close),
        "candle_acc_trade_volume": number(bar.volume),
        "unit": unit,
    }


def ticker(rules: SymbolRules, day: list[CandleLike], now: datetime) -> Json:
    first, last = day[0], day[-1]
    change = last.close - first.open
    rate = change / first.open if first.open else Decimal("0")
    volume = sum((c.volume for c in day), Decimal("0"))
    value = sum((c.volume * c.close for c in day), Decimal("0"))
    return {
        "market": rules.symbol,
        "trade_date": now.strftime("%Y%m%d"),
        "trade_time": now.strftime("%H%M%S"),
        "trade_date_kst": now.astimezone(KST).strftime("%Y%m%d"),
        "trade_time_kst": now.astimezone(KST).strftime("%H%M%S"),
        "trade_timestamp": to_ms(now),
        "opening_price": number(first.open),
        "high_price": number(max(c.high for c in day)),
        "low_price": number(min(c.low for c in day)),
        "trade_price": number(last.close),
        "prev_closing_price": number(first.open),
        "change": "RISE" if change > 0 else "FALL" if change < 0 else "EVEN",
        "change_price": number(abs(change)),
        "change_rate": number(abs(rate)),
        "signed_change_price": number(change),
        "signed_change_rate": number(rate),
        "trade_volume": number(last.volume),
        "acc_trade_price": number(value),
        "acc_trade_price_24h": number(value),
        "acc_trade_volume": number(volume),
        "acc_trade_volume_24h": number(volume),
        "timestamp": to_ms(now),
    }


def orderbook(rules: SymbolRules, book: BookQuote, now: datetime, levels: int) -> Json:
    size = rules.min_qty * 10**6
    units = [
        {
            "ask_price": number(book.ask + rules.tick_size * i),
            "bid_price": number(max(book.bid - rules.tick_size * i, rules.tick_size)),
            "ask_size": number(size),
            "bid_size": number(size),
        }
        for i in range(levels)
    ]
    total = number(size * levels)
    return {
        "market": rules.symbol,
        "timestamp": to_ms(now),
        "total_ask_size": total,
        "total_bid_size": total,
        "orderbook_units": units,
        "level": 0,
    }


def account_entry(currency: str, free: Decimal, locked: Decimal) -> Json:
    return {
        "currency": currency,
        "balance": text(free),
        "locked": text(locked),
        "avg_buy_price": "0",
        "avg_buy_price_modified": False,
        "unit_currency": "KRW",
    }


def order(entry: Order, fee_rate: Decimal, *, with_trades: bool) -> Json:
    market_buy = entry.kind is OrderKind.MARKET and entry.side is Side.BUY
    paid = entry.paid_fee
    reserved = _reserved_fee(entry, fee_rate)
    body: Json = {
        "uuid": entry.uuid,
        "side": side_of(entry.side),
        "ord_type": _ord_type(entry),
        "price": text(entry.quote_quantity if market_buy else entry.price),
        "state": _STATES[entry.status],
        "market": entry.symbol,
        "created_at": entry.created_at.astimezone(KST).isoformat(timespec="seconds"),
        "volume": None if market_buy else text(entry.quantity),
        "remaining_volume": None if market_buy else text(entry.remaining),
        "reserved_fee": text(reserved),
        "remaining_fee": text(max(reserved - paid, Decimal("0"))),
        "paid_fee": text(paid),
        "locked": text(entry.locked),
        "executed_volume": text(entry.executed_quantity),
        "executed_funds": text(entry.cumulative_quote),
        "trades_count": len(entry.fills),
        "identifier": entry.client_order_id,
    }
    if with_trades:
        body["trades"] = [trade(f) for f in entry.fills]
    return body


def trade(fill: Fill) -> Json:
    return {
        "market": fill.symbol,
        "uuid": f"trade-{fill.trade_id}",
        "price": text(fill.price),
        "volume": text(fill.quantity),
        "funds": text(fill.quote_quantity),
        "trend": "up" if fill.side is Side.BUY else "down",
        "created_at": fill.time.astimezone(KST).isoformat(timespec="microseconds"),
        "side": side_of(fill.side),
    }


def _ord_type(entry: Order) -> str:
    if entry.kind is OrderKind.MARKET:
        return "price" if entry.side is Side.BUY else "market"
    return "limit"


def _reserved_fee(entry: Order, fee_rate: Decimal) -> Decimal:
    if entry.side is not Side.BUY:
        return Decimal("0")
    notional = entry.quote_quantity or entry.quantity * (entry.price or Decimal("0"))
    return notional * fee_rate
