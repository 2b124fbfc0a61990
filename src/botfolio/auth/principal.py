"""Who is calling: the authenticated user, how they authenticated, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botfolio.auth.permissions import Permission, Role, role_has


class AuthMethod(StrEnum):
    SESSION = "session"
    BEARER = "bearer"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role
    two_factor_enabled: bool
    method: AuthMethod
    source_ip: str | None
    session_id: str | None = None
    token_id: str | None = None
    token_scopes: frozenset[Permission] | None = None

    def can(self, permission: Permission) -> bool:
        """The role must have it; an API token must also carry it in its scopes."""
        if not role_has(self.role, permission):
            return False
        return self.token_scopes is None or permission in self.token_scopes
