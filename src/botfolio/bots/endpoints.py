"""Routes: a user's own bots (create, read, change, start/pause/resume/stop). Owner only."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends, Request

from botfolio.audit.service import Actor
from botfolio.auth.dependencies import UnitOfWork, require
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal
from botfolio.bots import service
from botfolio.bots.models import Bot
from botfolio.bots.schemas import BotCreate, BotOut, BotUpdate
from botfolio.clock import Clock

router = APIRouter(tags=["bots"])
OwnBots = Annotated[Principal, Depends(require(Permission.BOTS_OWN))]
Command = Literal["start", "pause", "resume", "stop"]


class BotsRuntime(Protocol):
    clock: Clock


def _clock(request: Request) -> Clock:
    runtime: BotsRuntime = request.app.state.runtime
    return runtime.clock


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.source_ip)


def _out(bot: Bot) -> BotOut:
    return BotOut.model_validate(bot, from_attributes=True)


@router.post("/v1/bots", status_code=201, response_model=BotOut)
async def create_bot(
    body: BotCreate, request: Request, principal: OwnBots, session: UnitOfWork
) -> BotOut:
    bot = await service.create_bot(
        session, _clock(request), actor=_actor(principal), user_id=principal.user_id, spec=body
    )
    return _out(bot)


@router.get("/v1/bots", response_model=list[BotOut])
async def list_bots(principal: OwnBots, session: UnitOfWork) -> list[BotOut]:
    return [_out(b) for b in await service.list_bots(session, user_id=principal.user_id)]


@router.get("/v1/bots/{bot_id}", response_model=BotOut)
async def get_bot(bot_id: str, principal: OwnBots, session: UnitOfWork) -> BotOut:
    return _out(await service.get_owned_bot(session, bot_id, principal.user_id))


@router.patch("/v1/bots/{bot_id}", response_model=BotOut)
async def update_bot(
    bot_id: str, body: BotUpdate, request: Request, principal: OwnBots, session: UnitOfWork
) -> BotOut:
    bot = await service.get_owned_bot(session, bot_id, principal.user_id)
    await service.update_bot(
        session, _clock(request), actor=_actor(principal), bot=bot, changes=body
    )
    return _out(bot)


@router.post("/v1/bots/{bot_id}/{command}", response_model=BotOut)
async def command_bot(
    bot_id: str, command: Command, request: Request, principal: OwnBots, session: UnitOfWork
) -> BotOut:
    """start, pause, resume or stop; an impossible transition is a 409 that changes nothing."""
    bot = await service.get_owned_bot(session, bot_id, principal.user_id)
    await service.change_status(
        session, _clock(request), actor=_actor(principal), bot=bot, command=command
    )
    return _out(bot)
