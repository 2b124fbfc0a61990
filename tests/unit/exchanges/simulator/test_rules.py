"""Symbol rules: defaults scaled to the price, and the Binance filter arithmetic (no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from botfolio.exchanges.simulator.rejections import FilterFailure
from botfolio.exchanges.simulator.rules import default_rules


@pytest.mark.parametrize(
    ("base", "quote", "price", "tick", "step", "min_notional"),
    [
        ("BTC", "USDT", "60000", "0.01", "0.00001", "5"),
        ("ETH", "BTC", "0.087", "0.00000001", "0.001", "0.0001"),
        ("ADA", "BTC", "0.00005", "0.00000001", "1", "0.0001"),
    ],
)
def test_default_rules_when_priced_scale_tick_step_and_minimum(
    base: str, quote: str, price: str, tick: str, step: str, min_notional: str
) -> None:
    rules = default_rules(base + quote, base, quote, Decimal(price))

    assert rules.tick_size == Decimal(tick)
    assert rules.step_size == Decimal(step)
    assert rules.min_qty == Decimal(step)
    assert rules.min_notional == Decimal(min_notional)


def test_check_price_when_on_the_tick_grid_passes_and_off_it_fails() -> None:
    rules = default_rules("BTCUSDT", "BTC", "USDT", Decimal("60000"))

    rules.check_price(Decimal("60000.01"))
    with pytest.raises(FilterFailure):
        rules.check_price(Decimal("60000.015"))


def test_floor_quantity_when_between_steps_rounds_down() -> None:
    rules = default_rules("BTCUSDT", "BTC", "USDT", Decimal("60000"))

    assert rules.floor_quantity(Decimal("0.123456789")) == Decimal("0.12345")
