"""Login over HTTP: wrong passwords are counted and lock the account (423 even with the right
password) until the lockout ends; every attempt leaves an audit event, failures included."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from botfolio.audit.models import AuditEvent
from botfolio.auth.models import User
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime


async def _actions(runtime: Runtime) -> list[str]:
    async with runtime.db.session() as session:
        rows = await session.execute(select(AuditEvent.action).order_by(AuditEvent.id))
        return list(rows.scalars())


async def test_login_when_max_failures_reached_locks_even_the_right_password_until_expiry(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in, auth_clock: ManualClock
) -> None:
    member = await make_member(Role.USER)
    limit = runtime.settings.auth.login_max_failures

    statuses = [
        (
            await client.post(
                "/v1/auth/login", json={"email": member.email, "password": "wrong-" * 3}
            )
        ).status_code
        for _ in range(limit)
    ]
    locked = await log_in(member)
    auth_clock.advance(timedelta(seconds=runtime.settings.auth.lockout_seconds + 1))
    after = await log_in(member)

    assert statuses == [401] * (limit - 1) + [423]
    assert locked.status_code == 423 and locked.json()["error"]["code"] == "account_locked"
    assert after.status_code == 200, after.text
    actions = await _actions(runtime)
    assert actions.count("auth.login_failed") == limit
    assert actions.count("auth.account_locked") == 1
    assert "auth.login_refused" in actions and actions[-1] == "auth.login_succeeded"


async def test_login_when_success_resets_failure_count(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.USER)
    for _ in range(runtime.settings.auth.login_max_failures - 1):
        await client.post("/v1/auth/login", json={"email": member.email, "password": "nope" * 4})
    assert (await log_in(member)).status_code == 200
    async with runtime.db.session() as session:
        stored = await session.get(User, member.user.id)
    assert stored is not None and stored.failed_login_count == 0 and stored.locked_until is None


async def test_login_when_email_unknown_answers_like_a_wrong_password_and_audits(
    runtime: Runtime, client: httpx.AsyncClient, make_member
) -> None:
    member = await make_member(Role.USER)
    unknown = await client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever-long"}
    )
    wrong = await client.post(
        "/v1/auth/login", json={"email": member.email, "password": "whatever-long"}
    )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"]["message"] == wrong.json()["error"]["message"]
    assert (await _actions(runtime)).count("auth.login_failed") == 2


async def test_login_when_account_disabled_is_refused(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    admin = await make_member(Role.ADMIN)
    target = await make_member(Role.USER)
    assert (await log_in(admin)).status_code == 200
    disabled = await client.patch(f"/v1/users/{target.user.id}", json={"status": "disabled"})
    client.headers.pop("X-CSRF-Token")
    client.cookies.clear()
    refused = await log_in(target)
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    assert refused.status_code == 401
    assert "users.disabled" in await _actions(runtime)


async def test_login_when_second_factor_wrong_counts_as_failure(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.USER, with_2fa=True)
    bad = await log_in(member, totp_code="000000")
    async with runtime.db.session() as session:
        stored = await session.get(User, member.user.id)
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_second_factor"
    assert stored is not None and stored.failed_login_count == 1


async def test_login_when_failures_arrive_concurrently_counts_every_one(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.USER)
    limit = runtime.settings.auth.login_max_failures
    wrong = {"email": member.email, "password": "not the password"}

    results = await asyncio.gather(
        *(client.post("/v1/auth/login", json=wrong) for _ in range(limit))
    )
    right = await log_in(member)

    assert sorted(r.status_code for r in results) == [401] * (limit - 1) + [423]
    assert right.status_code == 423
