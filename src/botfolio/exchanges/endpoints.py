"""Routes: linked exchange accounts (owner only) and the exchange failure history (operations)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from botfolio.audit.service import Actor
from botfolio.auth.dependencies import UnitOfWork, require
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal
from botfolio.clock import Clock
from botfolio.config import Settings
from botfolio.errors import ValidationFailedError
from botfolio.exchanges import accounts as account_service
from botfolio.exchanges.errors import CredentialsRejectedError
from botfolio.exchanges.incidents import list_incidents
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.registry import GatewayRegistry, check_credentials
from botfolio.exchanges.schemas import AccountOut, IncidentOut, LinkAccountRequest, RelinkRequest
from botfolio.security.crypto import FieldCipher

router = APIRouter(tags=["exchange accounts"])
OwnBots = Annotated[Principal, Depends(require(Permission.BOTS_OWN))]


class ExchangeRuntime(Protocol):
    settings: Settings
    cipher: FieldCipher
    clock: Clock

    @property
    def gateways(self) -> GatewayRegistry: ...


def _runtime(request: Request) -> ExchangeRuntime:
    runtime: ExchangeRuntime = request.app.state.runtime
    return runtime


def _actor(request: Request, principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.source_ip)


async def _validated(
    runtime: ExchangeRuntime, venue: str, creds: account_service.Credentials
) -> float:
    if venue not in runtime.settings.exchanges.venues:
        raise ValidationFailedError(f"unknown venue {venue!r}", venue=venue)
    try:
        return await check_credentials(
            runtime.settings.exchanges, venue, creds.api_key, creds.secret, runtime.clock
        )
    except CredentialsRejectedError as exc:
        raise ValidationFailedError("the venue rejected these credentials", venue=venue) from exc


def _out(account: ExchangeAccount) -> AccountOut:
    return AccountOut.model_validate(account, from_attributes=True)


@router.post("/v1/accounts", status_code=201, response_model=AccountOut)
async def link_account(
    body: LinkAccountRequest, request: Request, principal: OwnBots, session: UnitOfWork
) -> AccountOut:
    """Link an exchange account; the keys are checked with the venue before they are kept."""
    runtime = _runtime(request)
    creds = account_service.Credentials(
        body.api_key.get_secret_value(), body.secret.get_secret_value()
    )
    latency = await _validated(runtime, body.venue, creds)
    account = await account_service.add_account(
        session,
        runtime.clock,
        runtime.cipher,
        actor=_actor(request, principal),
        user_id=principal.user_id,
        venue=body.venue,
        label=body.label,
        creds=creds,
    )
    account.last_checked_at = runtime.clock.now()
    account.last_latency_ms = latency
    return _out(account)


@router.get("/v1/accounts", response_model=list[AccountOut])
async def list_my_accounts(principal: OwnBots, session: UnitOfWork) -> list[AccountOut]:
    return [
        _out(a) for a in await account_service.list_accounts(session, user_id=principal.user_id)
    ]


@router.get("/v1/accounts/{account_id}", response_model=AccountOut)
async def get_my_account(account_id: str, principal: OwnBots, session: UnitOfWork) -> AccountOut:
    return _out(await account_service.get_owned_account(session, account_id, principal.user_id))


@router.put("/v1/accounts/{account_id}/credentials", response_model=AccountOut)
async def relink_account(
    account_id: str,
    body: RelinkRequest,
    request: Request,
    principal: OwnBots,
    session: UnitOfWork,
) -> AccountOut:
    """Replace the keys (after expiry or rotation); a rejected account becomes active again."""
    runtime = _runtime(request)
    account = await account_service.get_owned_account(session, account_id, principal.user_id)
    creds = account_service.Credentials(
        body.api_key.get_secret_value(), body.secret.get_secret_value()
    )
    latency = await _validated(runtime, account.venue, creds)
    await account_service.replace_credentials(
        session,
        runtime.clock,
        runtime.cipher,
        actor=_actor(request, principal),
        account=account,
        creds=creds,
    )
    account.last_checked_at = runtime.clock.now()
    account.last_latency_ms = latency
    await runtime.gateways.credentials_restored(session, account.id)
    return _out(account)


@router.get(
    "/v1/admin/exchange-incidents",
    response_model=list[IncidentOut],
    dependencies=[Depends(require(Permission.OPS_READ))],
)
async def exchange_incidents(
    session: UnitOfWork,
    venue: str | None = None,
    since: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[IncidentOut]:
    """The failure history: failure runs, breaker changes, HotSwap switches, rejected keys."""
    rows = await list_incidents(session, venue=venue, since=since, limit=limit)
    return [IncidentOut.model_validate(r, from_attributes=True) for r in rows]
