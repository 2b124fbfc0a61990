"""Helpers for the auth integration tests: users made through the services, HTTP clients on the
real app (ASGI transport), a clock the tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pyotp
import pytest

from botfolio.api.app import create_app
from botfolio.audit.service import Actor
from botfolio.auth import two_factor, users
from botfolio.auth.context import AuthContext
from botfolio.auth.models import User
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime

PASSWORD = "correct horse battery staple"


@dataclass
class Member:
    user: User
    email: str
    password: str
    totp: pyotp.TOTP | None
    recovery_codes: list[str]


MakeMember = Callable[..., Awaitable[Member]]


@pytest.fixture
def auth_clock(runtime: Runtime) -> ManualClock:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    runtime.clock = clock
    return clock


@pytest.fixture
def ctx(runtime: Runtime, auth_clock: ManualClock) -> AuthContext:
    return AuthContext.from_runtime(runtime)


@pytest.fixture
def make_member(runtime: Runtime, ctx: AuthContext) -> MakeMember:
    async def _make(
        role: Role, *, email: str | None = None, with_2fa: bool | None = None
    ) -> Member:
        address = email or f"{role.value}-{len(_made)}@example.com"
        enroll = ctx.is_staff(role.value) if with_2fa is None else with_2fa
        async with runtime.db.transaction() as session:
            created = await users.create_user(
                session, ctx, email=address, role=role, password=PASSWORD, actor=Actor.system()
            )
            generator, codes = None, []
            if enroll:
                enrollment = await two_factor.begin_enrollment(
                    session, ctx, created.user, account_label=address, actor=Actor.system()
                )
                generator = pyotp.TOTP(enrollment.secret)
                codes = await two_factor.confirm_enrollment(
                    session, ctx, created.user, generator.at(ctx.clock.now()), actor=Actor.system()
                )
        member = Member(created.user, address, PASSWORD, generator, codes)
        _made.append(member)
        return member

    _made: list[Member] = []
    return _make


@pytest.fixture
async def client(runtime: Runtime, auth_clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


LogIn = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def log_in(client: httpx.AsyncClient, auth_clock: ManualClock) -> LogIn:
    """Log in (with a fresh TOTP code when the member has 2FA); sets the CSRF header."""

    async def _log_in(member: Member, **extra: str) -> httpx.Response:
        body: dict[str, str] = {"email": member.email, "password": member.password, **extra}
        if member.totp is not None and "totp_code" not in body and "recovery_code" not in body:
            auth_clock.advance(30)  # a new time step: the previous code is spent
            body["totp_code"] = member.totp.at(auth_clock.now())
        response = await client.post("/v1/auth/login", json=body)
        if response.status_code == 200:
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return response

    return _log_in
