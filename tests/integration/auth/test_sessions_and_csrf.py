"""Session cookies: HttpOnly, SameSite=Strict, Secure over HTTPS; CSRF double submit on every
state-changing request; logout and expiry end the session."""

from __future__ import annotations

from datetime import timedelta

import httpx

from botfolio.api.app import create_app
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime


async def test_login_cookie_when_set_is_httponly_strict_and_secure_only_over_https(
    runtime: Runtime, client: httpx.AsyncClient, make_member, auth_clock: ManualClock
) -> None:
    member = await make_member(Role.USER)
    body = {"email": member.email, "password": member.password}
    plain = await client.post("/v1/auth/login", json=body)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        secure = await tls.post("/v1/auth/login", json=body)

    cookie = plain.headers["set-cookie"].lower()
    assert cookie.startswith("botfolio_session=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert "secure" in secure.headers["set-cookie"].lower()
    assert member.password not in plain.text and "$argon2" not in plain.text
    assert plain.json()["csrf_token"].lower() not in cookie


async def test_state_change_when_csrf_header_missing_or_wrong_is_refused(
    client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.USER)
    assert (await log_in(member)).status_code == 200
    good = client.headers.pop("X-CSRF-Token")

    read = await client.get("/v1/me")
    missing = await client.post("/v1/auth/tokens", json={"name": "x", "scopes": ["self.read"]})
    wrong = await client.post(
        "/v1/auth/tokens",
        json={"name": "x", "scopes": ["self.read"]},
        headers={"X-CSRF-Token": good[:-2] + "xx"},
    )
    right = await client.post(
        "/v1/auth/tokens",
        json={"name": "x", "scopes": ["self.read"]},
        headers={"X-CSRF-Token": good},
    )

    assert read.status_code == 200
    for refused in (missing, wrong):
        assert (
            refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_token_invalid"
        )
    assert right.status_code == 201


async def test_session_when_logged_out_or_expired_is_refused(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in, auth_clock: ManualClock
) -> None:
    member = await make_member(Role.USER)
    assert (await log_in(member)).status_code == 200
    cookie = client.cookies["botfolio_session"]
    assert (await client.post("/v1/auth/logout")).status_code == 204
    client.cookies.set("botfolio_session", cookie)
    after_logout = await client.get("/v1/me")

    assert (await log_in(member)).status_code == 200
    auth_clock.advance(timedelta(seconds=runtime.settings.auth.session_ttl_seconds + 1))
    after_expiry = await client.get("/v1/me")

    assert after_logout.status_code == 401
    assert after_expiry.status_code == 401


async def test_request_when_no_credentials_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"
