"""The per-process runtime: settings, database, clock and cipher, built once and passed down.

Nothing here is global: each role (api, worker, scheduler, CLI command, test) builds its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botfolio.clock import Clock, SystemClock
from botfolio.config import Settings
from botfolio.db.database import Database
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import load_keyring

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from botfolio.exchanges.registry import GatewayRegistry
    from botfolio.predictions.requests import PredictionService


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cipher: FieldCipher
    clock: Clock = field(default_factory=SystemClock)
    _gateways: GatewayRegistry | None = field(default=None, init=False, repr=False)
    _predictions: PredictionService | None = field(default=None, init=False, repr=False)

    @property
    def predictions(self) -> PredictionService:
        """What bots ask for forecasts: the predictor role's client or an in-process engine."""
        if self._predictions is None:
            from botfolio.predictions.requests import PredictionService
            from botfolio.predictions.tasks import backend_for

            self._predictions = PredictionService(self.db, self.clock, backend_for(self))
        return self._predictions

    @property
    def gateways(self) -> GatewayRegistry:
        """Exchange gateways for this process, built on first use (breakers, rate limits)."""
        if self._gateways is None:
            from botfolio.exchanges.registry import GatewayRegistry

            self._gateways = GatewayRegistry(
                self.settings.exchanges, self.db, self.cipher, self.clock
            )
            _pause_bots_with_their_account(self._gateways, self.clock)
        return self._gateways

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        return cls(
            settings=settings,
            db=Database.from_settings(settings.database),
            cipher=FieldCipher(load_keyring(settings), reload=lambda: load_keyring(settings)),
            clock=clock or SystemClock(),
        )

    async def close(self) -> None:
        if self._gateways is not None:
            await self._gateways.close()
        await self.db.dispose()


def _pause_bots_with_their_account(gateways: GatewayRegistry, clock: Clock) -> None:
    """Rejected keys pause the account's running bots; a re-link resumes exactly those."""
    from botfolio.audit.service import Actor
    from botfolio.bots.service import (
        CREDENTIALS_PAUSE,
        pause_bots_of_account,
        resume_bots_paused_for,
    )

    async def pause(session: AsyncSession, account_id: str, _reason: str) -> object:
        return await pause_bots_of_account(session, clock, account_id, CREDENTIALS_PAUSE)

    async def resume(session: AsyncSession, account_id: str, _reason: str) -> object:
        return await resume_bots_paused_for(
            session, clock, account_id, CREDENTIALS_PAUSE, Actor.system()
        )

    gateways.on_credentials_rejected.append(pause)
    gateways.on_credentials_restored.append(resume)
