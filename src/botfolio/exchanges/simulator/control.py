"""The /_sim control API (not part of any venue dialect), guarded by the simulator's control token."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, Field

from botfolio.exchanges.simulator.accounts import Account
from botfolio.exchanges.simulator.context import VenueContext
from botfolio.exchanges.simulator.faults import FaultRule, FaultSpec
from botfolio.exchanges.simulator.orders import Order

CONTROL_TOKEN_HEADER = "X-Sim-Token"  # noqa: S105 - a header name, not a secret


class AccountSpec(BaseModel):
    """An account to create; key and secret are generated when not given."""

    api_key: str | None = Field(default=None, min_length=8, max_length=128)
    secret: str | None = Field(default=None, min_length=8, max_length=128)
    balances: dict[str, Decimal] = Field(default_factory=dict)


class BalancesUpdate(BaseModel):
    balances: dict[str, Decimal]


class ClockStep(BaseModel):
    seconds: float = Field(gt=0, le=366 * 24 * 3600)


class ClockSet(BaseModel):
    time: datetime


class ClockSpeed(BaseModel):
    speed: float = Field(ge=0, le=100_000)


class ServerSkew(BaseModel):
    skew_ms: int = Field(ge=-86_400_000, le=86_400_000)


def create_account(ctx: VenueContext, spec: AccountSpec) -> Account:
    """Used by the control API and at start-up; refuses a key that already exists."""
    api_key = spec.api_key or secrets.token_hex(16)
    if api_key in ctx.venue.accounts:
        raise ValueError(f"account {api_key} already exists")
    _check_balances(spec.balances)
    account = Account(api_key=api_key, secret=spec.secret or secrets.token_hex(32))
    for asset, amount in spec.balances.items():
        account.set_free(asset.upper(), amount)
    return ctx.venue.add_account(account)


def _check_balances(balances: dict[str, Decimal]) -> None:
    for asset, amount in balances.items():
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"balance of {asset} must be a finite amount >= 0")


def control_router(ctx: VenueContext) -> APIRouter:
    def require_token(x_sim_token: str = Header(default="")) -> None:
        if not hmac.compare_digest(x_sim_token.encode(), ctx.control_token.encode()):
            raise HTTPException(status_code=401, detail="control token required")

    router = APIRouter(prefix="/_sim", dependencies=[Depends(require_token)])
    _clock_routes(router, ctx)
    _account_routes(router, ctx)
    _fault_routes(router, ctx)

    @router.get("/orders")
    async def list_orders(api_key: str | None = None) -> list[dict[str, Any]]:
        ctx.venue.catch_up()
        orders = ctx.venue.orders.values()
        return [order_json(o) for o in orders if api_key is None or o.api_key == api_key]

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        ctx.venue.reset()
        ctx.faults.clear()
        ctx.skew_ms = 0
        for spec in ctx.initial_accounts:
            create_account(ctx, spec)
        return {"accounts": sorted(ctx.venue.accounts)}

    return router


def _clock_routes(router: APIRouter, ctx: VenueContext) -> None:
    clock = ctx.venue.clock

    @router.get("/clock")
    async def read_clock() -> dict[str, Any]:
        return _clock_json(ctx)

    @router.post("/clock/step")
    async def step_clock(body: ClockStep) -> dict[str, Any]:
        clock.step(timedelta(seconds=body.seconds))
        ctx.venue.catch_up()
        return _clock_json(ctx)

    @router.post("/clock/set")
    async def set_clock(body: ClockSet) -> dict[str, Any]:
        try:
            clock.set(body.time)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        ctx.venue.catch_up()
        return _clock_json(ctx)

    @router.post("/clock/speed")
    async def set_speed(body: ClockSpeed) -> dict[str, Any]:
        clock.set_speed(body.speed)
        return _clock_json(ctx)

    @router.post("/server-time/skew")
    async def set_skew(body: ServerSkew) -> dict[str, Any]:
        ctx.skew_ms = body.skew_ms
        return {"skew_ms": ctx.skew_ms, "server_time_ms": ctx.server_time_ms()}


def _clock_json(ctx: VenueContext) -> dict[str, Any]:
    return {
        "market_time": ctx.venue.clock.now().isoformat(),
        "speed": ctx.venue.clock.speed,
        "server_time_ms": ctx.server_time_ms(),
    }


def _account_routes(router: APIRouter, ctx: VenueContext) -> None:
    @router.post("/accounts", status_code=201)
    async def add_account(spec: AccountSpec) -> dict[str, Any]:
        try:
            account = create_account(ctx, spec)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        return {"api_key": account.api_key, "secret": account.secret} | _balances(account)

    @router.get("/accounts")
    async def list_accounts() -> list[dict[str, Any]]:
        ctx.venue.catch_up()
        accounts = ctx.venue.accounts.values()
        return [{"api_key": a.api_key} | _balances(a) for a in accounts]

    @router.put("/accounts/{api_key}/balances")
    async def set_balances(api_key: str, body: BalancesUpdate) -> dict[str, Any]:
        account = ctx.venue.accounts.get(api_key)
        if account is None:
            raise HTTPException(status_code=404, detail="no such account")
        try:
            _check_balances(body.balances)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        for asset, amount in body.balances.items():
            account.set_free(asset.upper(), amount)
        return {"api_key": api_key} | _balances(account)


def _balances(account: Account) -> dict[str, Any]:
    return {
        "balances": {
            asset: {"free": str(b.free), "locked": str(b.locked)}
            for asset, b in sorted(account.balances.items())
        }
    }


def _fault_routes(router: APIRouter, ctx: VenueContext) -> None:
    @router.post("/faults", status_code=201)
    async def add_fault(spec: FaultSpec) -> dict[str, Any]:
        return fault_json(ctx.faults.add(spec))

    @router.get("/faults")
    async def list_faults() -> list[dict[str, Any]]:
        return [fault_json(r) for r in ctx.faults.rules]

    @router.delete("/faults/{rule_id}")
    async def remove_fault(rule_id: int) -> dict[str, Any]:
        if not ctx.faults.remove(rule_id):
            raise HTTPException(status_code=404, detail="no such fault rule")
        return {"removed": rule_id}

    @router.delete("/faults")
    async def clear_faults() -> dict[str, Any]:
        ctx.faults.clear()
        return {"removed": "all"}


def fault_json(rule: FaultRule) -> dict[str, Any]:
    return {"id": rule.rule_id, "remaining": rule.remaining, "fired": rule.fired} | (
        rule.spec.model_dump(mode="json")
    )


def order_json(order: Order) -> dict[str, Any]:
    """Venue-neutral view of an order for test assertions."""
    return {
        "order_id": order.order_id,
        "uuid": order.uuid,
        "api_key": order.api_key,
        "symbol": order.symbol,
        "client_order_id": order.client_order_id,
        "side": order.side.value,
        "type": order.kind.value,
        "status": order.status.value,
        "price": None if order.price is None else str(order.price),
        "quantity": str(order.quantity),
        "executed_quantity": str(order.executed_quantity),
        "cumulative_quote": str(order.cumulative_quote),
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "fills": len(order.fills),
    }
