"""What auth services need from the process runtime, without importing the runtime layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from botfolio.auth.passwords import Passwords
from botfolio.clock import Clock
from botfolio.config import AuthSettings, Settings
from botfolio.db.database import Database
from botfolio.security.crypto import FieldCipher


class RuntimeParts(Protocol):
    """The slice of `botfolio.runtime.Runtime` auth reads (auth sits below the runtime layer)."""

    settings: Settings
    db: Database
    cipher: FieldCipher
    clock: Clock


@dataclass(frozen=True)
class AuthContext:
    settings: AuthSettings
    cipher: FieldCipher
    clock: Clock
    passwords: Passwords = field(default_factory=Passwords)

    @classmethod
    def from_runtime(cls, runtime: RuntimeParts, passwords: Passwords | None = None) -> AuthContext:
        return cls(
            settings=runtime.settings.auth,
            cipher=runtime.cipher,
            clock=runtime.clock,
            passwords=passwords or Passwords(),
        )

    def is_staff(self, role: str) -> bool:
        return role in self.settings.staff_roles_require_2fa
