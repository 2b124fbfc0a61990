"""The per-process runtime: settings, database, clock and cipher, built once and passed down.

Nothing here is global: each role (api, worker, scheduler, CLI command, test) builds its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botfolio.clock import Clock, SystemClock
from botfolio.config import Settings
from botfolio.db.database import Database
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import load_keyring


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cipher: FieldCipher
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        return cls(
            settings=settings,
            db=Database.from_settings(settings.database),
            cipher=FieldCipher(load_keyring(settings)),
            clock=clock or SystemClock(),
        )

    async def close(self) -> None:
        await self.db.dispose()
