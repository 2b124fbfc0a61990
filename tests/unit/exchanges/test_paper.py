"""The paper venue behaves like a venue: balances, duplicates, limit fills when price crosses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from botfolio.clock import ManualClock
from botfolio.exchanges.errors import OrderRejectedError, RejectReason
from botfolio.exchanges.paper import PaperCosts, PaperGateway
from botfolio.exchanges.port import (
    ClientOrderId,
    Market,
    OrderSide,
    OrderType,
    SubmitOrder,
    VenueOrderStatus,
)

MARKET = Market(
    "ETH/BTC",
    "ETH",
    "BTC",
    Decimal("0.000001"),
    Decimal("0.001"),
    Decimal("0.001"),
    Decimal("0.0001"),
)


class Prices:
    def __init__(self, price: str) -> None:
        self.price = Decimal(price)

    async def __call__(self, symbol: str) -> Decimal:
        return self.price


def _gateway(prices: Prices) -> PaperGateway:
    return PaperGateway(
        {"ETH/BTC": MARKET},
        {"BTC": Decimal("1")},
        prices,
        ManualClock(),
        costs=PaperCosts(fee_rate=Decimal("0.001"), slippage=Decimal(0)),
    )


async def test_market_buy_when_funded_fills_and_moves_balances_with_fee() -> None:
    paper = _gateway(Prices("0.05"))
    report = await paper.create_order(
        SubmitOrder(ClientOrderId("c1"), "ETH/BTC", OrderSide.BUY, OrderType.MARKET, Decimal("2"))
    )
    assert report.status is VenueOrderStatus.FILLED
    balances = await paper.fetch_balances()
    assert balances["BTC"].free == Decimal("0.9")
    assert balances["ETH"].free == Decimal("2") - Decimal("0.002")
    assert balances["BTC"].locked == 0


async def test_same_client_id_twice_is_rejected_as_duplicate() -> None:
    paper = _gateway(Prices("0.05"))
    order = SubmitOrder(
        ClientOrderId("c1"), "ETH/BTC", OrderSide.BUY, OrderType.MARKET, Decimal("1")
    )
    await paper.create_order(order)
    with pytest.raises(OrderRejectedError) as caught:
        await paper.create_order(order)
    assert caught.value.reason is RejectReason.DUPLICATE_CLIENT_ORDER_ID


async def test_limit_buy_rests_then_fills_when_price_crosses() -> None:
    prices = Prices("0.05")
    paper = _gateway(prices)
    cid = ClientOrderId("c2")
    await paper.create_order(
        SubmitOrder(cid, "ETH/BTC", OrderSide.BUY, OrderType.LIMIT, Decimal("1"), Decimal("0.04"))
    )
    assert (await paper.fetch_order(cid, "ETH/BTC")).status is VenueOrderStatus.OPEN
    assert (await paper.fetch_balances())["BTC"].locked == Decimal("0.04")
    prices.price = Decimal("0.039")
    filled = await paper.fetch_order(cid, "ETH/BTC")
    assert filled.status is VenueOrderStatus.FILLED
    assert filled.average_price == Decimal("0.039")
    assert (await paper.fetch_balances())["BTC"].locked == 0


async def test_order_beyond_balance_is_rejected_and_changes_nothing() -> None:
    paper = _gateway(Prices("0.05"))
    with pytest.raises(OrderRejectedError) as caught:
        await paper.create_order(
            SubmitOrder(
                ClientOrderId("c3"), "ETH/BTC", OrderSide.BUY, OrderType.MARKET, Decimal("100")
            )
        )
    assert caught.value.reason is RejectReason.INSUFFICIENT_FUNDS
    assert (await paper.fetch_balances())["BTC"].free == Decimal("1")
