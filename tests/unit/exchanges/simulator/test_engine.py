"""Matching engine: fills, fees, locks, filters, partial fills (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from botfolio.exchanges.simulator.accounts import Account
from botfolio.exchanges.simulator.candles import Candle
from botfolio.exchanges.simulator.engine import ExecutionModel, MatchingEngine
from botfolio.exchanges.simulator.orders import (
    OrderKind,
    OrderRequest,
    OrderStatus,
    Side,
    TimeInForce,
)
from botfolio.exchanges.simulator.rejections import (
    FilterFailure,
    InsufficientBalance,
    WouldTakeLiquidity,
)
from botfolio.exchanges.simulator.rules import SymbolRules

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MID = Decimal("100")
RULES = SymbolRules(
    symbol="TSTUSDT",
    base="TST",
    quote="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.001"),
    min_qty=Decimal("0.001"),
    min_notional=Decimal("5"),
)
NO_SPREAD = ExecutionModel(spread=Decimal("0"))


def funded_account() -> Account:
    account = Account(api_key="k", secret="s")
    account.set_free("USDT", Decimal("1000"))
    account.set_free("TST", Decimal("10"))
    return account


def request(
    side: Side = Side.BUY,
    kind: OrderKind = OrderKind.LIMIT,
    quantity: str | None = "1",
    price: str | None = "95",
    tif: TimeInForce = TimeInForce.GTC,
) -> OrderRequest:
    return OrderRequest(
        symbol="TSTUSDT",
        side=side,
        kind=kind,
        client_order_id="c1",
        quantity=None if quantity is None else Decimal(quantity),
        price=None if price is None else Decimal(price),
        time_in_force=tif,
    )


def candle(low: str, high: str, minutes: int = 1) -> Candle:
    return Candle(
        NOW + timedelta(minutes=minutes), MID, Decimal(high), Decimal(low), MID, Decimal("5")
    )


def test_market_buy_when_spread_set_fills_at_ask_and_charges_fee_in_base() -> None:
    engine = MatchingEngine(ExecutionModel(spread=Decimal("0.002")))
    account = funded_account()

    order = engine.place(account, RULES, request(kind=OrderKind.MARKET, price=None), MID, NOW)

    assert order.status is OrderStatus.FILLED
    assert order.fills[0].price == Decimal("100.10")
    assert order.fills[0].commission == Decimal("0.001")
    assert account.balance("TST").free == Decimal("10.999")
    assert account.balance("USDT").free == Decimal("899.90")


def test_market_sell_when_slippage_set_fills_below_bid_and_charges_fee_in_quote() -> None:
    engine = MatchingEngine(ExecutionModel(spread=Decimal("0"), slippage=Decimal("0.01")))
    account = funded_account()

    order = engine.place(
        account, RULES, request(side=Side.SELL, kind=OrderKind.MARKET, price=None), MID, NOW
    )

    assert order.fills[0].price == Decimal("99.00")
    assert order.fills[0].commission_asset == "USDT"
    assert account.balance("USDT").free == Decimal("1000") + Decimal("99") - Decimal("0.099")


def test_limit_buy_when_not_marketable_rests_and_locks_quote() -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()

    order = engine.place(account, RULES, request(quantity="2"), MID, NOW)

    assert order.status is OrderStatus.NEW
    assert account.balance("USDT").locked == Decimal("190")
    assert account.balance("USDT").free == Decimal("810")


def test_limit_buy_when_candle_trades_through_fills_at_limit_as_maker() -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()
    order = engine.place(account, RULES, request(quantity="2"), MID, NOW)

    engine.match(account, RULES, order, candle(low="94", high="101"), NOW + timedelta(minutes=2))

    assert order.status is OrderStatus.FILLED
    assert order.fills[0].price == Decimal("95")
    assert order.fills[0].is_maker is True
    assert account.balance("USDT").locked == 0
    assert account.balance("TST").free == Decimal("10") + Decimal("2") - Decimal("0.002")


def test_limit_buy_when_candle_stays_above_does_not_fill() -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()
    order = engine.place(account, RULES, request(), MID, NOW)

    engine.match(account, RULES, order, candle(low="96", high="101"), NOW + timedelta(minutes=2))

    assert order.status is OrderStatus.NEW
    assert order.fills == []


def test_limit_order_when_candle_opened_before_it_is_not_matched() -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()
    order = engine.place(account, RULES, request(), MID, NOW)

    engine.match(account, RULES, order, candle(low="90", high="101", minutes=-1), NOW)

    assert order.status is OrderStatus.NEW


def test_limit_buy_when_participation_capped_fills_partially_over_candles() -> None:
    engine = MatchingEngine(ExecutionModel(spread=Decimal("0"), participation=Decimal("0.1")))
    account = funded_account()
    order = engine.place(account, RULES, request(quantity="0.8"), MID, NOW)

    engine.match(account, RULES, order, candle("90", "101", 1), NOW)
    partial = order.status
    engine.match(account, RULES, order, candle("90", "101", 2), NOW)

    assert partial is OrderStatus.PARTIALLY_FILLED
    assert order.status is OrderStatus.FILLED
    assert [f.quantity for f in order.fills] == [Decimal("0.5"), Decimal("0.3")]


def test_cancel_when_partially_filled_releases_only_the_remaining_lock() -> None:
    engine = MatchingEngine(ExecutionModel(spread=Decimal("0"), participation=Decimal("0.1")))
    account = funded_account()
    order = engine.place(account, RULES, request(quantity="0.8"), MID, NOW)
    engine.match(account, RULES, order, candle("90", "101"), NOW)

    engine.cancel(account, RULES, order, NOW)

    assert order.status is OrderStatus.CANCELED
    assert account.balance("USDT").locked == 0
    assert account.balance("USDT").free == Decimal("1000") - Decimal("0.5") * 95


def test_marketable_limit_buy_when_placed_fills_at_book_not_limit() -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()

    order = engine.place(account, RULES, request(price="105"), MID, NOW)

    # With no spread configured the book still keeps one tick between bid and ask.
    assert order.fills[0].price == Decimal("100.01")
    assert order.fills[0].is_maker is False


def test_limit_maker_when_marketable_is_refused() -> None:
    engine = MatchingEngine(NO_SPREAD)

    with pytest.raises(WouldTakeLiquidity):
        engine.place(
            funded_account(), RULES, request(kind=OrderKind.LIMIT_MAKER, price="101"), MID, NOW
        )


def test_ioc_limit_when_not_marketable_expires_without_locking() -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()

    order = engine.place(account, RULES, request(tif=TimeInForce.IOC), MID, NOW)

    assert order.status is OrderStatus.EXPIRED
    assert account.balance("USDT").locked == 0


@pytest.mark.parametrize(
    ("quantity", "price", "filter_name"),
    [
        ("1", "95.001", "PRICE_FILTER"),
        ("0.0005", "95", "LOT_SIZE"),
        ("1.0005", "95", "LOT_SIZE"),
        ("0.01", "95", "NOTIONAL"),
    ],
)
def test_place_when_rules_broken_raises_filter_failure(
    quantity: str, price: str, filter_name: str
) -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()

    with pytest.raises(FilterFailure) as raised:
        engine.place(account, RULES, request(quantity=quantity, price=price), MID, NOW)

    assert raised.value.filter_name == filter_name
    assert account.balance("USDT").free == Decimal("1000")


def test_place_when_quote_short_raises_insufficient_balance_and_changes_nothing() -> None:
    engine = MatchingEngine(NO_SPREAD)
    account = funded_account()

    with pytest.raises(InsufficientBalance):
        engine.place(account, RULES, request(quantity="20"), MID, NOW)

    assert account.balance("USDT").free == Decimal("1000")
    assert account.balance("USDT").locked == 0


def test_market_buy_when_fee_in_quote_debits_cost_plus_fee() -> None:
    engine = MatchingEngine(ExecutionModel(spread=Decimal("0"), fee_in_quote=True))
    account = funded_account()

    engine.place(account, RULES, request(kind=OrderKind.MARKET, price=None), MID, NOW)

    assert account.balance("TST").free == Decimal("11")
    assert account.balance("USDT").free == Decimal("1000") - Decimal("100.01") - Decimal("0.10001")
