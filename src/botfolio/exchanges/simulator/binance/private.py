"""Binance signed endpoints: account, orders, trades. Every call is authenticated first."""

from __future__ import annotations

import random
import string
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request

from botfolio.exchanges.simulator.accounts import Account
from botfolio.exchanges.simulator.binance import params as p
from botfolio.exchanges.simulator.binance import wire
from botfolio.exchanges.simulator.binance.auth import (
    check_timestamp,
    signed_payload,
    verify_signature,
)
from botfolio.exchanges.simulator.binance.errors import (
    BinanceError,
    api_key_format_invalid,
    from_rejection,
    invalid_api_key,
    mandatory,
)
from botfolio.exchanges.simulator.context import VenueContext, from_ms, to_ms
from botfolio.exchanges.simulator.orders import (
    Order,
    OrderKind,
    OrderRequest,
    Side,
    TimeInForce,
)
from botfolio.exchanges.simulator.rejections import VenueRejection

API_KEY_HEADER = "X-MBX-APIKEY"
T = TypeVar("T")
_ID_ALPHABET = string.ascii_letters + string.digits


class SignedRequest:
    def __init__(self, account: Account, params: dict[str, str]) -> None:
        self.account = account
        self.params = params


async def authenticate(request: Request, ctx: VenueContext) -> SignedRequest:
    """API key, then signature, then timestamp window: the venue's order of checks."""
    api_key = request.headers.get(API_KEY_HEADER)
    if not api_key:
        raise api_key_format_invalid()
    account = ctx.venue.accounts.get(api_key)
    if account is None:
        raise invalid_api_key()
    body = (await request.body()).decode("utf-8", errors="replace")
    raw = signed_payload(request.url.query, body)
    params = verify_signature(raw, account.secret)
    check_timestamp(params, ctx.server_time_ms())
    return SignedRequest(account, params)


def private_router(ctx: VenueContext) -> APIRouter:
    router = APIRouter(prefix="/api/v3")
    venue = ctx.venue
    client_ids = random.Random(f"client-ids:{venue.name}")  # noqa: S311 - ids, not secrets

    @router.get("/account")
    async def account(request: Request) -> dict[str, Any]:
        signed = await authenticate(request, ctx)
        venue.catch_up()
        return _account_json(ctx, signed.account)

    @router.post("/order")
    async def new_order(request: Request) -> dict[str, Any]:
        signed = await authenticate(request, ctx)
        order_request = _order_request(signed.params, client_ids)
        order = _venue_call(lambda: venue.place(signed.account.api_key, order_request))
        return _new_order_response(order, signed.params)

    @router.get("/order")
    async def query_order(request: Request) -> dict[str, Any]:
        signed = await authenticate(request, ctx)
        venue.catch_up()
        order = _find(ctx, signed, cancelling=False)
        return wire.order_status(order)

    @router.delete("/order")
    async def cancel_order(request: Request) -> dict[str, Any]:
        signed = await authenticate(request, ctx)
        venue.catch_up()
        order = _find(ctx, signed, cancelling=True)
        _venue_call(lambda: venue.cancel(order), cancelling=True)
        cancel_id = signed.params.get("newClientOrderId") or _client_id(client_ids)
        return wire.cancel_result(order, cancel_id, venue.clock.now())

    _query_routes(router, ctx, client_ids)
    return router


def _query_routes(router: APIRouter, ctx: VenueContext, client_ids: random.Random) -> None:
    venue = ctx.venue

    @router.get("/openOrders")
    async def open_orders(request: Request) -> list[dict[str, Any]]:
        signed = await authenticate(request, ctx)
        venue.catch_up()
        symbol = signed.params.get("symbol") or None
        if symbol is not None:
            _venue_call(lambda: venue.market(symbol))
        return [wire.order_status(o) for o in venue.open_orders(signed.account.api_key, symbol)]

    @router.delete("/openOrders")
    async def cancel_open_orders(request: Request) -> list[dict[str, Any]]:
        signed = await authenticate(request, ctx)
        venue.catch_up()
        symbol = p.required(signed.params, "symbol")
        results = []
        for order in venue.open_orders(signed.account.api_key, symbol):
            venue.cancel(order)
            results.append(wire.cancel_result(order, _client_id(client_ids), venue.clock.now()))
        return results

    @router.get("/allOrders")
    async def all_orders(request: Request) -> list[dict[str, Any]]:
        signed = await authenticate(request, ctx)
        venue.catch_up()
        symbol = p.required(signed.params, "symbol")
        orders = venue.account_orders(signed.account.api_key, symbol)
        return [wire.order_status(o) for o in _select_orders(orders, signed.params)]

    @router.get("/myTrades")
    async def my_trades(request: Request) -> list[dict[str, Any]]:
        signed = await authenticate(request, ctx)
        venue.catch_up()
        symbol = p.required(signed.params, "symbol")
        fills = venue.trades(signed.account.api_key, symbol)
        return [wire.my_trade(f) for f in _select_trades(fills, signed.params)]


def _venue_call(call: Callable[[], T], *, cancelling: bool = False) -> T:
    """Run a venue operation; a refusal becomes the Binance error for it."""
    try:
        return call()
    except VenueRejection as rejection:
        raise from_rejection(rejection, cancelling=cancelling) from rejection


def _client_id(rng: random.Random) -> str:
    return "sim" + "".join(rng.choice(_ID_ALPHABET) for _ in range(19))


def _order_request(params: dict[str, str], rng: random.Random) -> OrderRequest:
    symbol = p.required(params, "symbol")
    side = p.enum_value(params, "side", Side, -1117, "Invalid side.")
    kind = p.enum_value(params, "type", OrderKind, -1116, "Invalid orderType.")
    time_in_force = TimeInForce.GTC
    if kind is OrderKind.LIMIT:
        time_in_force = p.enum_value(
            params, "timeInForce", TimeInForce, -1115, "Invalid timeInForce."
        )
    quantity = p.decimal_or_none(params, "quantity")
    quote_quantity = p.decimal_or_none(params, "quoteOrderQty")
    price = p.decimal_or_none(params, "price")
    if kind is not OrderKind.MARKET and price is None:
        raise mandatory("price")
    if quantity is None and (kind is not OrderKind.MARKET or quote_quantity is None):
        raise mandatory("quantity")
    return OrderRequest(
        symbol=symbol,
        side=side,
        kind=kind,
        client_order_id=params.get("newClientOrderId") or _client_id(rng),
        quantity=quantity,
        quote_quantity=quote_quantity,
        price=price,
        time_in_force=time_in_force,
    )


def _new_order_response(order: Order, params: dict[str, str]) -> dict[str, Any]:
    response_type = params.get("newOrderRespType", "FULL").upper()
    if response_type == "ACK":
        return wire.order_ack(order)
    return wire.order_result(order, full=response_type != "RESULT")


def _find(ctx: VenueContext, signed: SignedRequest, *, cancelling: bool) -> Order:
    params = signed.params
    symbol = p.required(params, "symbol")
    _venue_call(lambda: ctx.venue.market(symbol))
    order_id = p.integer_or_none(params, "orderId")
    client_id = params.get("origClientOrderId") or None
    if order_id is None and client_id is None:
        raise BinanceError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    return _venue_call(
        lambda: ctx.venue.find(
            signed.account.api_key, order_id=order_id, client_order_id=client_id, symbol=symbol
        ),
        cancelling=cancelling,
    )


def _account_json(ctx: VenueContext, account: Account) -> dict[str, Any]:
    assets = {a for m in ctx.venue.markets.values() for a in (m.rules.base, m.rules.quote)}
    assets |= set(account.balances)
    fee_bps = int(ctx.venue.engine.model.taker_fee * 10000)
    return {
        "makerCommission": fee_bps,
        "takerCommission": fee_bps,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": wire.fmt(ctx.venue.engine.model.maker_fee),
            "taker": wire.fmt(ctx.venue.engine.model.taker_fee),
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": to_ms(ctx.venue.clock.now()),
        "accountType": "SPOT",
        "balances": [
            {
                "asset": asset,
                "free": wire.fmt(account.balance(asset).free),
                "locked": wire.fmt(account.balance(asset).locked),
            }
            for asset in sorted(assets)
        ],
        "permissions": ["SPOT"],
        "uid": zlib.crc32(account.api_key.encode()),
    }


def _select_orders(orders: list[Order], params: dict[str, str]) -> list[Order]:
    from_id = p.integer_or_none(params, "orderId")
    start = p.integer_or_none(params, "startTime")
    end = p.integer_or_none(params, "endTime")
    selected = [
        o
        for o in orders
        if (from_id is None or o.order_id >= from_id)
        and (start is None or o.created_at >= from_ms(start))
        and (end is None or o.created_at <= from_ms(end))
    ]
    count = p.limit(params, 500, 1000)
    return selected[:count] if from_id is not None or start is not None else selected[-count:]


def _select_trades(fills: list[Any], params: dict[str, str]) -> list[Any]:
    order_id = p.integer_or_none(params, "orderId")
    from_id = p.integer_or_none(params, "fromId")
    start = p.integer_or_none(params, "startTime")
    end = p.integer_or_none(params, "endTime")
    selected = [
        f
        for f in fills
        if (order_id is None or f.order_id == order_id)
        and (from_id is None or f.trade_id >= from_id)
        and (start is None or f.time >= from_ms(start))
        and (end is None or f.time <= from_ms(end))
    ]
    count = p.limit(params, 500, 1000)
    return selected[:count] if from_id is not None or start is not None else selected[-count:]
