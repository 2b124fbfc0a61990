"""2FA rules: plain users may turn it off (with a code), staff may not; an admin reset forces
re-enrollment and ends the user's sessions; support sees users without personal data."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from botfolio.api.app import create_app
from botfolio.audit.models import AuditEvent
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime


async def test_disable_two_factor_when_plain_user_with_code_turns_it_off(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in, auth_clock: ManualClock
) -> None:
    member = await make_member(Role.USER, with_2fa=True)
    assert (await log_in(member)).status_code == 200
    auth_clock.advance(30)
    wrong = await client.post("/v1/auth/2fa/disable", json={"code": "000000"})
    right = await client.post(
        "/v1/auth/2fa/disable", json={"code": member.totp.at(auth_clock.now())}
    )
    me = await client.get("/v1/me")
    assert wrong.status_code == 401
    assert right.status_code == 204 and me.json()["two_factor_enabled"] is False


async def test_disable_two_factor_when_staff_is_forbidden(
    client: httpx.AsyncClient, make_member, log_in, auth_clock: ManualClock
) -> None:
    operator = await make_member(Role.OPERATOR)
    assert (await log_in(operator)).status_code == 200
    auth_clock.advance(30)
    response = await client.post(
        "/v1/auth/2fa/disable", json={"code": operator.totp.at(auth_clock.now())}
    )
    assert response.status_code == 403
    assert (await client.get("/v1/me")).json()["two_factor_enabled"] is True


async def test_admin_reset_when_done_forces_reenrollment_and_ends_sessions(
    runtime: Runtime, make_member, log_in, client: httpx.AsyncClient
) -> None:
    admin, support = await make_member(Role.ADMIN), await make_member(Role.SUPPORT)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        support_login = await other.post(
            "/v1/auth/login",
            json={"email": support.email, "password": support.password, "totp_code": "000000"},
        )
        assert support_login.status_code == 401
    assert (await log_in(support)).status_code == 200
    support_cookie = client.cookies["botfolio_session"]
    client.cookies.clear()
    assert (await log_in(admin)).status_code == 200

    reset = await client.post(f"/v1/users/{support.user.id}/reset-2fa")
    client.cookies.clear()
    client.cookies.set("botfolio_session", support_cookie)
    old_session = await client.get("/v1/me")
    client.cookies.clear()
    relogin = await client.post(
        "/v1/auth/login", json={"email": support.email, "password": support.password}
    )
    client.headers["X-CSRF-Token"] = relogin.json()["csrf_token"]
    blocked = await client.get("/v1/me")

    assert reset.status_code == 204
    assert old_session.status_code == 401
    assert relogin.status_code == 200 and relogin.json()["two_factor_enrollment_required"]
    assert blocked.status_code == 403
    async with runtime.db.session() as session:
        actions = list((await session.execute(select(AuditEvent.action))).scalars())
    assert "auth.2fa_reset" in actions


async def test_user_list_when_read_by_support_hides_email_addresses(
    client: httpx.AsyncClient, make_member, log_in
) -> None:
    support = await make_member(Role.SUPPORT)
    await make_member(Role.USER)
    assert (await log_in(support)).status_code == 200
    listed = await client.get("/v1/users")
    one = await client.get(f"/v1/users/{support.user.id}")
    assert listed.status_code == 200 and len(listed.json()) == 2
    assert all(u["email"] is None for u in listed.json())
    assert one.json()["email"] is None
    assert "@" not in listed.text


async def test_user_record_when_plain_user_asks_for_someone_else_is_refused(
    client: httpx.AsyncClient, make_member, log_in
) -> None:
    member, other = await make_member(Role.USER), await make_member(Role.USER)
    assert (await log_in(member)).status_code == 200
    assert (await client.get(f"/v1/users/{other.user.id}")).status_code == 403
    me = await client.get("/v1/me")
    assert me.json()["id"] == member.user.id and me.json()["email"] == member.email
