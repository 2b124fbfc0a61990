"""Every API route declares exactly one route guard, and every role gets past it exactly when
ROLE_PERMISSIONS grants the guard's permission (staff with 2FA enrolled). A new route without a
guard, or a guard that lets the wrong role through, fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pyotp
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from botfolio.api.app import create_app
from botfolio.audit.service import Actor
from botfolio.auth import sessions, two_factor, users
from botfolio.auth.context import AuthContext
from botfolio.auth.dependencies import RouteGuard
from botfolio.auth.models import User
from botfolio.auth.permissions import ROLE_PERMISSIONS, Role
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime

FASTAPI_OWN_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})
PLACEHOLDER_ID = "00000000-0000-7000-8000-000000000000"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    template: str
    guard: RouteGuard


def _guards_of(dependant: Dependant) -> Iterator[RouteGuard]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, RouteGuard):
            yield sub.call
        yield from _guards_of(sub)


@dataclass(frozen=True)
class ServedRoute:
    path: str
    methods: frozenset[str]
    dependant: Dependant


def _api_routes(app: FastAPI) -> list[ServedRoute]:
    """Every APIRoute as served, prefixes and router-level dependencies included.

    FastAPI now keeps included routers lazily (`app.routes` holds `_IncludedRouter` entries), so
    the routes are walked the way its OpenAPI generator walks them.
    """
    served = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path in FASTAPI_OWN_PATHS:
            continue
        dependant = context.dependant or route.dependant
        served.append(ServedRoute(str(context.path), frozenset(context.methods or ()), dependant))
    return served


def _calls(app: FastAPI) -> list[Call]:
    calls = []
    for route in _api_routes(app):
        guards = {id(g): g for g in _guards_of(route.dependant)}
        assert len(guards) == 1, (
            f"{route.path} must declare exactly one route guard, has {len(guards)}"
        )
        [guard] = guards.values()
        path = re.sub(r"\{[^}]+\}", PLACEHOLDER_ID, route.path)
        calls.extend(Call(m, path, route.path, guard) for m in sorted(route.methods))
    return calls


async def _user_with_role(runtime: Runtime, ctx: AuthContext, role: Role) -> User:
    async with runtime.db.transaction() as session:
        created = await users.create_user(
            session,
            ctx,
            email=f"{role.value}@example.com",
            role=role,
            password="correct horse battery staple",
            actor=Actor.system(),
        )
        user = created.user
        if ctx.is_staff(role.value):
            enrollment = await two_factor.begin_enrollment(
                session, ctx, user, account_label=role.value, actor=Actor.system()
            )
            code = pyotp.TOTP(enrollment.secret).at(ctx.clock.now())
            await two_factor.confirm_enrollment(session, ctx, user, code, actor=Actor.system())
    return user


async def _call_as(
    client: httpx.AsyncClient, runtime: Runtime, ctx: AuthContext, user: User, call: Call
) -> httpx.Response:
    """A fresh session per call: a route like logout may end the one it was called with."""
    async with runtime.db.transaction() as session:
        issued = await sessions.issue_session(session, ctx, user, ip="127.0.0.1", user_agent="t")
    client.cookies.clear()
    client.cookies.set(sessions.SESSION_COOKIE, issued.token)
    return await client.request(
        call.method,
        call.path,
        headers={sessions.CSRF_HEADER: issued.csrf_token},
        json={} if call.method in BODY_METHODS else None,
    )


def _verdict(role: Role, call: Call, response: httpx.Response) -> str | None:
    if call.guard.permission is None:
        allowed = True
    else:
        allowed = call.guard.permission in ROLE_PERMISSIONS[role]
    status = response.status_code
    if allowed and status in (401, 403):
        return f"{role} {call.method} {call.template}: expected past the guard, got {status} {response.text}"
    if not allowed and (status != 403 or response.json()["error"]["code"] != "permission_denied"):
        return f"{role} {call.method} {call.template}: expected 403 permission_denied, got {status}"
    return None


def test_every_route_when_listed_has_exactly_one_guard(runtime: Runtime) -> None:
    calls = _calls(create_app(runtime))
    templates = {c.template for c in calls}
    assert {"/v1/auth/login", "/v1/users", "/v1/users/{user_id}", "/v1/me"} <= templates


async def test_permission_matrix_when_each_role_calls_every_route_matches_role_permissions(
    runtime: Runtime,
) -> None:
    runtime.clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    ctx = AuthContext.from_runtime(runtime)
    app = create_app(runtime)
    calls = _calls(app)
    members = {role: await _user_with_role(runtime, ctx, role) for role in Role}
    failures: list[str] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for role, user in members.items():
            for call in calls:
                response = await _call_as(client, runtime, ctx, user, call)
                verdict = _verdict(role, call, response)
                if verdict:
                    failures.append(verdict)
    assert failures == [], "\n".join(failures)
    assert len(calls) >= 14


def test_route_check_when_a_route_has_no_guard_fails_naming_its_path(runtime: Runtime) -> None:
    app = create_app(runtime)

    @app.get("/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    try:
        _calls(app)
    except AssertionError as exc:
        assert "/v1/forgotten" in str(exc)
    else:
        raise AssertionError("a route without a guard went unnoticed")
