"""The matching engine: market orders take the simulated book, limit orders rest until a candle crosses them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

from botfolio.exchanges.simulator.accounts import Account
from botfolio.exchanges.simulator.candles import CandleLike
from botfolio.exchanges.simulator.orders import (
    Fill,
    Order,
    OrderKind,
    OrderRequest,
    OrderStatus,
    Side,
    TimeInForce,
)
from botfolio.exchanges.simulator.rejections import InvalidOrderRequest, WouldTakeLiquidity
from botfolio.exchanges.simulator.rules import SymbolRules

_COMMISSION_QUANTUM = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class ExecutionModel:
    """Costs of trading: fees as fractions, the full bid/ask spread and market-order slippage
    as fractions of the mid price, and an optional cap on how much of a candle's volume one
    resting order may fill (None = fill completely; set it to see partial fills)."""

    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    spread: Decimal = Decimal("0.0005")
    slippage: Decimal = Decimal("0")
    participation: Decimal | None = None
    fee_in_quote: bool = False

    def buy_cost(self, quantity: Decimal, price: Decimal, fee: Decimal) -> Decimal:
        """Quote a buy consumes: Binance takes its fee from the base received, Upbit adds it."""
        cost = quantity * price
        return cost * (1 + fee) if self.fee_in_quote else cost


@dataclass(frozen=True, slots=True)
class BookQuote:
    bid: Decimal
    ask: Decimal


class MatchingEngine:
    """Owns order and trade numbering and the balance movements of every fill."""

    def __init__(self, model: ExecutionModel, seed: int = 0) -> None:
        self.model = model
        self._next_order_id = 1_000_001
        self._next_trade_id = 5_000_001
        self._uuid_rng = random.Random(f"uuid:{seed}")  # noqa: S311 - ids, not secrets

    def quote(self, rules: SymbolRules, mid: Decimal) -> BookQuote:
        half = self.model.spread / 2
        bid = _to_tick(mid * (1 - half), rules.tick_size, ROUND_FLOOR)
        ask = _to_tick(mid * (1 + half), rules.tick_size, ROUND_CEILING)
        return BookQuote(bid=max(bid, rules.tick_size), ask=max(ask, bid + rules.tick_size))

    def place(
        self,
        account: Account,
        rules: SymbolRules,
        request: OrderRequest,
        mid: Decimal,
        now: datetime,
    ) -> Order:
        """Validate, then fill at once (market or marketable limit) or rest with funds locked."""
        taker_price = self._taker_price(rules, request.side, mid)
        quantity = self._quantity(rules, request, taker_price)
        self._validate(rules, request, quantity, mid)
        order = self._new_order(account, request, quantity, now)
        marketable = request.kind is OrderKind.MARKET or _crosses(request, taker_price)
        if marketable and request.kind is OrderKind.LIMIT_MAKER:
            raise WouldTakeLiquidity("Order would immediately match and take.")
        if marketable:
            price = taker_price if request.price is None else _better(request, taker_price)
            self._require_funds(account, rules, request.side, quantity, price, self.model.taker_fee)
            self._fill(account, rules, order, quantity, price, now, is_maker=False)
        elif request.time_in_force is TimeInForce.GTC:
            self._lock(account, rules, order)
        else:
            price = order.price or mid
            self._require_funds(account, rules, request.side, quantity, price, self.model.taker_fee)
            order.status = OrderStatus.EXPIRED
        return order

    def cancel(self, account: Account, rules: SymbolRules, order: Order, now: datetime) -> None:
        self._release(account, rules, order)
        order.status = OrderStatus.CANCELED
        order.updated_at = now

    def match(
        self, account: Account, rules: SymbolRules, order: Order, candle: CandleLike, now: datetime
    ) -> None:
        """Fill a resting limit order at its own price when the candle trades through it."""
        if not order.status.is_open or order.price is None or candle.open_time < order.created_at:
            return
        touched = (
            candle.low <= order.price if order.side is Side.BUY else candle.high >= order.price
        )
        if not touched:
            return
        quantity = self._fillable(rules, order, candle)
        if quantity <= 0:
            return
        self._release_part(account, rules, order, quantity)
        self._fill(account, rules, order, quantity, order.price, now, is_maker=True)

    def _taker_price(self, rules: SymbolRules, side: Side, mid: Decimal) -> Decimal:
        book = self.quote(rules, mid)
        if side is Side.BUY:
            return _to_tick(book.ask * (1 + self.model.slippage), rules.tick_size, ROUND_CEILING)
        return _to_tick(book.bid * (1 - self.model.slippage), rules.tick_size, ROUND_FLOOR)

    @staticmethod
    def _quantity(rules: SymbolRules, request: OrderRequest, price: Decimal) -> Decimal:
        if request.quantity is not None:
            return request.quantity
        if request.quote_quantity is None or request.kind is not OrderKind.MARKET:
            raise InvalidOrderRequest("quantity")
        return rules.floor_quantity(request.quote_quantity / price)

    @staticmethod
    def _validate(
        rules: SymbolRules, request: OrderRequest, quantity: Decimal, mid: Decimal
    ) -> None:
        if request.kind is not OrderKind.MARKET:
            if request.price is None:
                raise InvalidOrderRequest("price")
            rules.check_price(request.price)
        rules.check_quantity(quantity)
        rules.check_notional(request.price or mid, quantity)

    def _new_order(
        self, account: Account, request: OrderRequest, quantity: Decimal, now: datetime
    ) -> Order:
        order = Order(
            order_id=self._next_order_id,
            uuid=str(uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4)),
            api_key=account.api_key,
            symbol=request.symbol,
            client_order_id=request.client_order_id,
            side=request.side,
            kind=request.kind,
            time_in_force=request.time_in_force,
            price=request.price,
            quantity=quantity,
            quote_quantity=request.quote_quantity,
            created_at=now,
            updated_at=now,
        )
        self._next_order_id += 1
        return order

    def _require_funds(
        self,
        account: Account,
        rules: SymbolRules,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
    ) -> None:
        if side is Side.BUY:
            account.require_free(rules.quote, self.model.buy_cost(quantity, price, fee))
        else:
            account.require_free(rules.base, quantity)

    def _lock(self, account: Account, rules: SymbolRules, order: Order) -> None:
        if order.side is Side.BUY:
            price = order.price or Decimal("0")
            amount = self.model.buy_cost(order.quantity, price, self.model.maker_fee)
            account.lock(rules.quote, amount)
        else:
            amount = order.quantity
            account.lock(rules.base, amount)
        order.locked = amount

    @staticmethod
    def _release(account: Account, rules: SymbolRules, order: Order) -> None:
        account.unlock(rules.quote if order.side is Side.BUY else rules.base, order.locked)
        order.locked = Decimal("0")

    def _release_part(
        self, account: Account, rules: SymbolRules, order: Order, quantity: Decimal
    ) -> None:
        if order.side is Side.BUY:
            price = order.price or Decimal("0")
            amount = self.model.buy_cost(quantity, price, self.model.maker_fee)
        else:
            amount = quantity
        amount = min(amount, order.locked)
        account.unlock(rules.quote if order.side is Side.BUY else rules.base, amount)
        order.locked -= amount

    def _fillable(self, rules: SymbolRules, order: Order, candle: CandleLike) -> Decimal:
        if self.model.participation is None:
            return order.remaining
        cap = rules.floor_quantity(candle.volume * self.model.participation)
        return min(order.remaining, cap)

    def _fill(
        self,
        account: Account,
        rules: SymbolRules,
        order: Order,
        quantity: Decimal,
        price: Decimal,
        now: datetime,
        *,
        is_maker: bool,
    ) -> None:
        rate = self.model.maker_fee if is_maker else self.model.taker_fee
        quote_quantity = quantity * price
        if order.side is Side.BUY and self.model.fee_in_quote:
            commission = _commission(quote_quantity * rate)
            account.debit(rules.quote, quote_quantity + commission)
            account.credit(rules.base, quantity)
            commission_asset = rules.quote
        elif order.side is Side.BUY:
            commission = _commission(quantity * rate)
            account.debit(rules.quote, quote_quantity)
            account.credit(rules.base, quantity - commission)
            commission_asset = rules.base
        else:
            commission = _commission(quote_quantity * rate)
            account.debit(rules.base, quantity)
            account.credit(rules.quote, quote_quantity - commission)
            commission_asset = rules.quote
        order.fills.append(
            Fill(
                trade_id=self._next_trade_id,
                order_id=order.order_id,
                symbol=order.symbol,
                side=order.side,
                price=price,
                quantity=quantity,
                quote_quantity=quote_quantity,
                commission=commission,
                commission_asset=commission_asset,
                time=now,
                is_maker=is_maker,
            )
        )
        self._next_trade_id += 1
        order.executed_quantity += quantity
        order.cumulative_quote += quote_quantity
        order.updated_at = now
        filled = order.executed_quantity >= order.quantity
        order.status = OrderStatus.FILLED if filled else OrderStatus.PARTIALLY_FILLED


def _crosses(request: OrderRequest, taker_price: Decimal) -> bool:
    if request.price is None:
        return True
    if request.side is Side.BUY:
        return request.price >= taker_price
    return request.price <= taker_price


def _better(request: OrderRequest, taker_price: Decimal) -> Decimal:
    """A marketable limit order trades at the book, never worse than its limit."""
    assert request.price is not None  # noqa: S101 - guarded by the caller
    if request.side is Side.BUY:
        return min(request.price, taker_price)
    return max(request.price, taker_price)


def _to_tick(price: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return (price / tick).to_integral_value(rounding=rounding) * tick


def _commission(amount: Decimal) -> Decimal:
    return amount.quantize(_COMMISSION_QUANTUM, rounding=ROUND_DOWN)
