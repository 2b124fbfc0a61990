"""Positions, average cost, fees and PnL in the quote currency, derived from fills. Pure, no I/O.

The live portfolio (fills read from `order_fills`) and the backtest (simulated fills) both feed
this one ledger, so a backtest can never account differently from the bots.

Long-only. Fees follow the venue: a fee in the base asset (Binance-style buys) reduces the base
received (or adds to the base given up on a sell); a fee in the quote asset adds to a buy's cost or
reduces a sell's proceeds; a fee in any other asset (e.g. BNB) is kept apart in `other_fees`
because the ledger has no price for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from botfolio.exchanges.port import OrderSide

ZERO = Decimal(0)


def split_symbol(symbol: str) -> tuple[str, str]:
    """`BTC/USDT` -> (`BTC`, `USDT`); the unified CCXT symbol is the only form we store."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote:
        raise ValueError(f"symbol {symbol!r} is not of the form BASE/QUOTE")
    return base, quote.split(":")[0]


@dataclass
class Position:
    """Base held and what it cost in quote (fees included), so average cost is cost / quantity."""

    symbol: str
    quantity: Decimal = ZERO
    cost: Decimal = ZERO

    @property
    def average_cost(self) -> Decimal:
        return self.cost / self.quantity if self.quantity else ZERO

    def value(self, price: Decimal) -> Decimal:
        return self.quantity * price


@dataclass(frozen=True)
class LedgerFill:
    """One execution as the ledger needs it (a row of `order_fills` joined to its order)."""

    symbol: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    fee: Decimal = ZERO
    fee_asset: str | None = None


@dataclass
class Ledger:
    """Cash in quote, positions, realised PnL and fees; `apply_fill` is the only way to move them.

    `cash` starts at the budget (or 0 to read it as the net cash flow of the fills).
    """

    cash: Decimal = ZERO
    realised_pnl: Decimal = ZERO
    fees_in_quote: Decimal = ZERO
    other_fees: dict[str, Decimal] = field(default_factory=dict)
    fills_applied: int = 0
    _positions: dict[str, Position] = field(default_factory=dict)

    @property
    def positions(self) -> dict[str, Position]:
        """Open positions only (quantity above zero), by symbol."""
        return {s: p for s, p in self._positions.items() if p.quantity > 0}

    def holdings(self) -> dict[str, Decimal]:
        return {s: p.quantity for s, p in self.positions.items()}

    def apply(self, fill: LedgerFill) -> None:
        self.apply_fill(
            fill.symbol,
            fill.side,
            price=fill.price,
            amount=fill.amount,
            fee=fill.fee,
            fee_asset=fill.fee_asset,
        )

    def apply_fill(
        self,
        symbol: str,
        side: OrderSide,
        *,
        price: Decimal,
        amount: Decimal,
        fee: Decimal = ZERO,
        fee_asset: str | None = None,
    ) -> None:
        """Book one fill. A sell of more than is held is refused (long-only: it means missing
        fills, and guessing would hide that)."""
        if price <= 0 or amount <= 0 or fee < 0:
            raise ValueError("a fill needs a positive price and amount and a non-negative fee")
        base, quote = split_symbol(symbol)
        fee_base, fee_quote = _split_fee(fee, fee_asset, base, quote)
        position = self._positions.get(symbol) or Position(symbol)
        if side is OrderSide.BUY:
            self._buy(position, price, amount, fee_base, fee_quote)
        else:
            self._sell(position, price, amount, fee_base, fee_quote)
        self._positions[symbol] = position
        if fee and fee_asset not in (None, base, quote):
            self.other_fees[str(fee_asset)] = self.other_fees.get(str(fee_asset), ZERO) + fee
        self.fees_in_quote += fee_quote + fee_base * price
        self.fills_applied += 1

    def _buy(
        self,
        position: Position,
        price: Decimal,
        amount: Decimal,
        fee_base: Decimal,
        fee_quote: Decimal,
    ) -> None:
        received = amount - fee_base
        if received <= 0:
            raise ValueError("a buy's fee in base cannot exceed the amount bought")
        spent = price * amount + fee_quote
        position.quantity += received
        position.cost += spent
        self.cash -= spent

    def _sell(
        self,
        position: Position,
        price: Decimal,
        amount: Decimal,
        fee_base: Decimal,
        fee_quote: Decimal,
    ) -> None:
        given_up = amount + fee_base
        if given_up > position.quantity:
            raise ValueError(
                f"sell of {given_up} {position.symbol} exceeds the {position.quantity} held"
            )
        released_cost = position.cost * given_up / position.quantity
        proceeds = price * amount - fee_quote
        position.quantity -= given_up
        position.cost = position.cost - released_cost if position.quantity else ZERO
        self.cash += proceeds
        self.realised_pnl += proceeds - released_cost

    def positions_value(self, prices: Mapping[str, Decimal]) -> Decimal:
        return sum((p.value(prices[s]) for s, p in self.positions.items()), ZERO)

    def unrealised_pnl(self, prices: Mapping[str, Decimal]) -> Decimal:
        """Value at `prices` minus cost of what is held; every held symbol needs a price."""
        return sum((p.value(prices[s]) - p.cost for s, p in self.positions.items()), ZERO)

    def equity(self, prices: Mapping[str, Decimal]) -> Decimal:
        return self.cash + self.positions_value(prices)


def _split_fee(
    fee: Decimal, fee_asset: str | None, base: str, quote: str
) -> tuple[Decimal, Decimal]:
    """(fee in base, fee in quote); a fee in a third asset is neither."""
    if fee_asset == base:
        return fee, ZERO
    if fee_asset is None or fee_asset == quote:
        return ZERO, fee
    return ZERO, ZERO


def ledger_from_fills(fills: list[LedgerFill], *, cash: Decimal = ZERO) -> Ledger:
    ledger = Ledger(cash=cash)
    for fill in fills:
        ledger.apply(fill)
    return ledger
