"""The backtest's own account: cash and holdings moved by fills, exactly, in Decimal.

INTEGRATION POINT (ledger): when `botfolio.portfolio.ledger.Ledger` lands, `apply` delegates to
its `apply_fill` so positions and realised PnL come from the same code as the live bots; until
then this keeps the cash and quantities a fill implies (value +/- fee), nothing more.
"""

from __future__ import annotations

from decimal import Decimal

from botfolio.backtest.fills import Fill
from botfolio.backtest.step import Portfolio
from botfolio.exchanges.port import OrderSide


class Book:
    def __init__(self, cash: Decimal) -> None:
        self.cash = cash
        self.holdings: dict[str, Decimal] = {}

    def apply(self, fill: Fill) -> None:
        held = self.holdings.get(fill.symbol, Decimal(0))
        if fill.side is OrderSide.BUY:
            self.cash -= fill.value + fill.fee
            self.holdings[fill.symbol] = held + fill.amount
        else:
            self.cash += fill.value - fill.fee
            self.holdings[fill.symbol] = held - fill.amount

    def snapshot(self) -> Portfolio:
        return Portfolio(cash=self.cash, holdings=dict(self.holdings))
