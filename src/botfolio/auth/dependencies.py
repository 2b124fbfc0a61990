"""Route guards. Every API route declares exactly one: `Depends(public)` or `Depends(require(P))`.

The permission-matrix test walks every route and reads the declared permission from the guard
(`guard.permission`, None for public routes); a route without a guard fails that test.
(Contract stub: the auth work fills in `require`.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botfolio.auth.permissions import Permission


class RouteGuard:
    """A FastAPI dependency that carries the permission it enforces."""

    permission: Permission | None

    def __init__(
        self, permission: Permission | None, check: Callable[..., Awaitable[Any]] | None = None
    ) -> None:
        self.permission = permission
        self._check = check

    async def __call__(self) -> None:
        return None


public = RouteGuard(None)
