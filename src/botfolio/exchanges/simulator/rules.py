"""Per-symbol trading rules (tick, lot step, minimums) and their validation, Binance-style."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from botfolio.exchanges.simulator.rejections import FilterFailure

_MIN_NOTIONAL_BY_QUOTE = {
    "USDT": Decimal("5"),
    "USDC": Decimal("5"),
    "BTC": Decimal("0.0001"),
    "ETH": Decimal("0.001"),
    "KRW": Decimal("5000"),
}


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """What a venue allows for one symbol; identical semantics to Binance's spot filters."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal = Decimal("9000000")
    min_price: Decimal | None = None
    max_price: Decimal = Decimal("1000000000")
    min_notional: Decimal = Decimal("0")

    @property
    def lowest_price(self) -> Decimal:
        return self.min_price if self.min_price is not None else self.tick_size

    def check_price(self, price: Decimal) -> None:
        if price < self.lowest_price or price > self.max_price:
            raise FilterFailure("PRICE_FILTER")
        if (price - self.lowest_price) % self.tick_size != 0:
            raise FilterFailure("PRICE_FILTER")

    def check_quantity(self, quantity: Decimal) -> None:
        if quantity < self.min_qty or quantity > self.max_qty:
            raise FilterFailure("LOT_SIZE")
        if (quantity - self.min_qty) % self.step_size != 0:
            raise FilterFailure("LOT_SIZE")

    def check_notional(self, price: Decimal, quantity: Decimal) -> None:
        if price * quantity < self.min_notional:
            raise FilterFailure("NOTIONAL")

    def floor_quantity(self, quantity: Decimal) -> Decimal:
        return (quantity / self.step_size).to_integral_value(rounding=ROUND_DOWN) * self.step_size


def default_rules(symbol: str, base: str, quote: str, reference_price: Decimal) -> SymbolRules:
    """Plausible rules for a market nobody configured: about 6 significant digits of price, and a
    lot step worth no more than the minimum order value (or a thousandth of the price)."""
    price = reference_price if reference_price > 0 else Decimal("1")
    min_notional = _MIN_NOTIONAL_BY_QUOTE.get(quote, Decimal("0"))
    tick = Decimal(1).scaleb(max(_exponent(price) - 6, -8))
    smallest_order = min_notional if min_notional > 0 else price / 1000
    step = Decimal(1).scaleb(min(max(_exponent(smallest_order / price), -8), 0))
    return SymbolRules(
        symbol=symbol,
        base=base,
        quote=quote,
        tick_size=tick,
        step_size=step,
        min_qty=step,
        min_notional=min_notional,
    )


def _exponent(value: Decimal) -> int:
    return math.floor(math.log10(value))
