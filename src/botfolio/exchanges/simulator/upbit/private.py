"""Upbit exchange endpoints (JWT-authenticated): accounts, orders."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request

from botfolio.exchanges.simulator.accounts import Account
from botfolio.exchanges.simulator.context import VenueContext
from botfolio.exchanges.simulator.orders import (
    Order,
    OrderKind,
    OrderRequest,
    Side,
    TimeInForce,
)
from botfolio.exchanges.simulator.rejections import VenueRejection
from botfolio.exchanges.simulator.upbit import wire
from botfolio.exchanges.simulator.upbit.auth import (
    NonceRegistry,
    check_query_hash,
    query_string_of,
    unverified_claims,
    verify_jwt,
)
from botfolio.exchanges.simulator.upbit.errors import (
    from_rejection,
    invalid_access_key,
    jwt_verification,
    validation,
)
from botfolio.exchanges.simulator.upbit.public import bounded_int

_KINDS = {"limit": OrderKind.LIMIT, "price": OrderKind.MARKET, "market": OrderKind.MARKET}
_TIME_IN_FORCE = {"ioc": TimeInForce.IOC, "fok": TimeInForce.FOK}


async def authenticate(
    request: Request, ctx: VenueContext, nonces: NonceRegistry
) -> tuple[Account, dict[str, Any]]:
    """Key, signature, nonce, then the query hash binding the token to these parameters."""
    authorization = request.headers.get("authorization")
    claims = unverified_claims(authorization)
    if claims is None or authorization is None:
        raise jwt_verification()
    account = ctx.venue.accounts.get(str(claims.get("access_key", "")))
    if account is None:
        raise invalid_access_key()
    verified = verify_jwt(authorization, account.secret)
    nonces.use(account.api_key, str(verified["nonce"]))
    body = await _json_body(request)
    check_query_hash(verified, query_string_of(request.url.query, body))
    params = body if isinstance(body, dict) else dict(parse_qsl(request.url.query))
    return account, params


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise validation("request body is not JSON") from None


def private_router(ctx: VenueContext) -> APIRouter:
    router = APIRouter(prefix="/v1")
    venue = ctx.venue
    nonces = NonceRegistry()
    fee = venue.engine.model.taker_fee

    @router.get("/accounts")
    async def accounts(request: Request) -> list[dict[str, Any]]:
        account, _ = await authenticate(request, ctx, nonces)
        venue.catch_up()
        return [
            wire.account_entry(asset, b.free, b.locked)
            for asset, b in sorted(account.balances.items())
            if b.free or b.locked
        ]

    @router.post("/orders", status_code=201)
    async def new_order(request: Request) -> dict[str, Any]:
        account, params = await authenticate(request, ctx, nonces)
        order_request = _order_request(params, len(venue.orders))
        try:
            order = venue.place(account.api_key, order_request)
        except VenueRejection as rejection:
            raise from_rejection(rejection, str(params.get("side"))) from rejection
        return wire.order(order, fee, with_trades=False)

    @router.get("/order")
    async def get_order(request: Request) -> dict[str, Any]:
        account, params = await authenticate(request, ctx, nonces)
        venue.catch_up()
        return wire.order(_find(ctx, account, params), fee, with_trades=True)

    @router.delete("/order")
    async def cancel_order(request: Request) -> dict[str, Any]:
        account, params = await authenticate(request, ctx, nonces)
        venue.catch_up()
        order = _find(ctx, account, params)
        before = wire.order(order, fee, with_trades=False)
        try:
            venue.cancel(order)
        except VenueRejection as rejection:
            raise from_rejection(rejection) from rejection
        return before

    @router.get("/orders/open")
    async def open_orders(request: Request) -> list[dict[str, Any]]:
        account, params = await authenticate(request, ctx, nonces)
        venue.catch_up()
        orders = venue.open_orders(account.api_key, params.get("market") or None)
        return [wire.order(o, fee, with_trades=False) for o in reversed(orders)]

    @router.get("/orders/closed")
    async def closed_orders(request: Request) -> list[dict[str, Any]]:
        account, params = await authenticate(request, ctx, nonces)
        venue.catch_up()
        orders = venue.account_orders(account.api_key, params.get("market") or None)
        closed = [o for o in reversed(orders) if not o.status.is_open]
        limit = bounded_int(params.get("limit"), "limit", default=100, maximum=1000)
        return [wire.order(o, fee, with_trades=False) for o in closed[:limit]]

    return router


def _find(ctx: VenueContext, account: Account, params: dict[str, Any]) -> Order:
    uuid, identifier = params.get("uuid"), params.get("identifier")
    if not uuid and not identifier:
        raise validation("uuid or identifier is required")
    try:
        return ctx.venue.find(account.api_key, uuid=uuid or None, client_order_id=identifier)
    except VenueRejection as rejection:
        raise from_rejection(rejection) from rejection


def _order_request(params: dict[str, Any], sequence: int) -> OrderRequest:
    side = {"bid": Side.BUY, "ask": Side.SELL}.get(str(params.get("side")))
    if side is None:
        raise validation("side is missing, side does not have a valid value")
    kind = _KINDS.get(str(params.get("ord_type")))
    if kind is None:
        raise validation("ord_type is missing, ord_type does not have a valid value")
    if not params.get("market"):
        raise validation("market is missing, market does not have a valid value")
    market_buy = kind is OrderKind.MARKET and side is Side.BUY
    price = _decimal(params, "price")
    return OrderRequest(
        symbol=str(params["market"]),
        side=side,
        kind=kind,
        client_order_id=str(params.get("identifier") or f"upbit-sim-{sequence + 1}"),
        quantity=None if market_buy else _decimal(params, "volume", required=True),
        quote_quantity=price if market_buy else None,
        price=None if kind is OrderKind.MARKET else _required_price(price),
        time_in_force=_TIME_IN_FORCE.get(str(params.get("time_in_force")), TimeInForce.GTC),
    )


def _required_price(price: Decimal | None) -> Decimal:
    if price is None:
        raise validation("price is missing, price does not have a valid value")
    return price


def _decimal(params: dict[str, Any], name: str, *, required: bool = False) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise validation(f"{name} is missing, {name} does not have a valid value")
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise validation(f"{name} does not have a valid value") from None
    if not value.is_finite() or value <= 0:
        raise validation(f"{name} does not have a valid value")
    return value
