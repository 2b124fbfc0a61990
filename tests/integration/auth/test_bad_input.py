"""Bad input gets a clear 4xx and changes nothing: malformed JSON, unknown fields, SQL-ish
e-mail addresses, bad or reused TOTP codes, bad admin requests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from botfolio.audit.models import AuditEvent
from botfolio.auth.models import ApiToken, TotpCredential, User, UserSession
from botfolio.auth.permissions import Role
from botfolio.runtime import Runtime

SQLISH_EMAILS = (
    "' OR '1'='1",
    "admin@example.com' --",
    "x@example.com; DROP TABLE users; --",
    '"; DELETE FROM users; --@example.com',
)


async def _counts(runtime: Runtime) -> dict[str, int]:
    async with runtime.db.session() as session:
        return {
            model.__tablename__: int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
            for model in (User, UserSession, ApiToken, TotpCredential, AuditEvent)
        }


async def test_login_when_body_malformed_or_has_unknown_fields_is_422_and_changes_nothing(
    runtime: Runtime, client: httpx.AsyncClient, make_member
) -> None:
    member = await make_member(Role.USER)
    before = await _counts(runtime)
    bodies: list[dict[str, Any]] = [
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"json": {"email": member.email, "password": member.password, "role": "admin"}},
        {"json": {"email": member.email}},
        {"json": {"email": member.email, "password": member.password, "totp_code": "12ab56"}},
        {"json": [member.email, member.password]},
    ]
    bodies += [{"json": {"email": e, "password": "whatever-long"}} for e in SQLISH_EMAILS]
    responses = [await client.post("/v1/auth/login", **body) for body in bodies]
    for response in responses:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_failed"
    assert await _counts(runtime) == before


async def test_admin_requests_when_invalid_are_refused_and_change_nothing(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    admin = await make_member(Role.ADMIN)
    assert (await log_in(admin)).status_code == 200
    before = await _counts(runtime)
    attempts = [
        await client.post("/v1/users", json={"email": SQLISH_EMAILS[2], "role": "user"}),
        await client.post("/v1/users", json={"email": "new@example.com", "role": "root"}),
        await client.post("/v1/users", json={"email": "new@example.com", "is_admin": True}),
        await client.post("/v1/users", json={"email": admin.email.upper(), "role": "user"}),
        await client.patch(f"/v1/users/{admin.user.id}", json={"role": "user"}),
        await client.patch(f"/v1/users/{admin.user.id}", json={}),
        await client.patch("/v1/users/' OR 1=1 --", json={"status": "disabled"}),
        await client.get("/v1/users?limit=100000"),
    ]
    assert [r.status_code for r in attempts] == [422, 422, 422, 409, 409, 422, 404, 422]
    assert await _counts(runtime) == before


async def test_two_factor_confirm_when_code_wrong_is_refused_and_not_enabled(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.USER)
    assert (await log_in(member)).status_code == 200
    assert (await client.post("/v1/auth/2fa/enroll")).status_code == 200
    wrong = await client.post("/v1/auth/2fa/confirm", json={"code": "000000"})
    malformed = await client.post("/v1/auth/2fa/confirm", json={"code": "0; --"})
    me = await client.get("/v1/me")
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_totp_code"
    assert malformed.status_code == 422
    assert me.json()["two_factor_enabled"] is False


async def test_responses_when_listing_users_never_carry_secrets(
    client: httpx.AsyncClient, make_member, log_in
) -> None:
    admin = await make_member(Role.ADMIN)
    assert (await log_in(admin)).status_code == 200
    listed = await client.get("/v1/users")
    me = await client.get("/v1/me")
    for text in (listed.text, me.text):
        assert "$argon2" not in text and "password_hash" not in text
        assert "secret" not in text and "v1:" not in text
