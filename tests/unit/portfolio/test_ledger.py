"""The ledger: positions equal the sum of their fills, with fees in base, in quote or elsewhere."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from botfolio.exchanges.port import OrderSide
from botfolio.portfolio.ledger import Ledger, LedgerFill, ledger_from_fills, split_symbol

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_apply_fill_when_partial_fills_position_equals_sum_of_fills() -> None:
    fills = [
        LedgerFill("BTC/USDT", BUY, D("100"), D("0.4")),
        LedgerFill("BTC/USDT", BUY, D("110"), D("0.6")),
        LedgerFill("BTC/USDT", SELL, D("120"), D("0.25")),
    ]
    ledger = ledger_from_fills(fills, cash=D("1000"))
    position = ledger.positions["BTC/USDT"]
    assert position.quantity == D("0.4") + D("0.6") - D("0.25")
    assert ledger.fills_applied == 3
    average = (D("40") + D("66")) / D("1.0")
    assert position.average_cost == average
    assert ledger.realised_pnl == D("120") * D("0.25") - average * D("0.25")
    assert ledger.cash == D("1000") - D("106") + D("30")


def test_apply_fill_when_buy_fee_in_base_reduces_base_received() -> None:
    ledger = Ledger(cash=D("1000"))
    ledger.apply_fill(
        "ETH/USDT", BUY, price=D("50"), amount=D("2"), fee=D("0.002"), fee_asset="ETH"
    )
    position = ledger.positions["ETH/USDT"]
    assert position.quantity == D("1.998")
    assert position.cost == D("100")
    assert ledger.cash == D("900")
    assert ledger.fees_in_quote == D("0.1")


def test_apply_fill_when_fee_in_quote_adds_to_cost_and_reduces_proceeds() -> None:
    ledger = Ledger(cash=D("1000"))
    ledger.apply_fill("ETH/USDT", BUY, price=D("50"), amount=D("2"), fee=D("0.1"), fee_asset="USDT")
    ledger.apply_fill(
        "ETH/USDT", SELL, price=D("60"), amount=D("2"), fee=D("0.12"), fee_asset="USDT"
    )
    assert ledger.positions == {}
    assert ledger.realised_pnl == D("119.88") - D("100.1")
    assert ledger.cash == D("1000") - D("100.1") + D("119.88")
    assert ledger.fees_in_quote == D("0.22")


def test_apply_fill_when_sell_fee_in_base_gives_up_more_base() -> None:
    ledger = Ledger()
    ledger.apply_fill("ETH/USDT", BUY, price=D("50"), amount=D("2"))
    ledger.apply_fill(
        "ETH/USDT", SELL, price=D("60"), amount=D("1"), fee=D("0.01"), fee_asset="ETH"
    )
    assert ledger.positions["ETH/USDT"].quantity == D("0.99")
    assert ledger.realised_pnl == D("60") - D("50") * D("1.01")


def test_apply_fill_when_fee_in_third_asset_keeps_it_apart() -> None:
    ledger = Ledger()
    ledger.apply_fill(
        "ETH/USDT", BUY, price=D("50"), amount=D("1"), fee=D("0.001"), fee_asset="BNB"
    )
    assert ledger.positions["ETH/USDT"].quantity == D("1")
    assert ledger.other_fees == {"BNB": D("0.001")}
    assert ledger.fees_in_quote == 0


def test_unrealised_pnl_and_equity_when_prices_move() -> None:
    ledger = Ledger(cash=D("1000"))
    ledger.apply_fill(
        "BTC/USDT", BUY, price=D("100"), amount=D("2"), fee=D("0.2"), fee_asset="USDT"
    )
    prices = {"BTC/USDT": D("150")}
    assert ledger.unrealised_pnl(prices) == D("300") - D("200.2")
    assert ledger.equity(prices) == D("799.8") + D("300")
    assert ledger.positions_value(prices) == D("300")


@pytest.mark.parametrize(
    ("side", "amount", "fee", "fee_asset"),
    [
        (SELL, D("1.5"), D("0"), None),
        (SELL, D("1.5"), D("0.1"), "BNB"),
        (SELL, D("1"), D("0.5"), "ETH"),
        (BUY, D("1"), D("1"), "ETH"),
        (BUY, D("0"), D("0"), None),
        (BUY, D("1"), D("-1"), "USDT"),
    ],
)
def test_apply_fill_when_fill_is_impossible_raises_and_changes_nothing(
    side: OrderSide, amount: D, fee: D, fee_asset: str | None
) -> None:
    ledger = Ledger()
    ledger.apply_fill("ETH/USDT", BUY, price=D("10"), amount=D("1.2"))
    before = (ledger.cash, ledger.realised_pnl, ledger.holdings(), dict(ledger.other_fees))
    with pytest.raises(ValueError):
        ledger.apply_fill(
            "ETH/USDT", side, price=D("10"), amount=amount, fee=fee, fee_asset=fee_asset
        )
    assert (ledger.cash, ledger.realised_pnl, ledger.holdings(), ledger.other_fees) == before


def test_split_symbol_when_not_base_slash_quote_raises() -> None:
    assert split_symbol("BTC/USDT") == ("BTC", "USDT")
    with pytest.raises(ValueError):
        split_symbol("BTCUSDT")
