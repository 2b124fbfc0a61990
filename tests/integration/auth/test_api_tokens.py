"""API tokens over HTTP: shown once and stored hashed, scoped to a subset of the role, refused
once expired or revoked, and invisible to other users."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from botfolio.auth.hashing import sha256_hex
from botfolio.auth.models import ApiToken
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _new_token(
    client: httpx.AsyncClient, scopes: list[str], **extra: object
) -> httpx.Response:
    return await client.post("/v1/auth/tokens", json={"name": "ci", "scopes": scopes, **extra})


async def test_token_when_created_is_shown_once_stored_hashed_and_limited_to_its_scopes(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    admin = await make_member(Role.ADMIN)
    assert (await log_in(admin)).status_code == 200

    created = await _new_token(client, ["self.read"])
    token = created.json()["token"]
    listed = await client.get("/v1/auth/tokens")
    client.cookies.clear()
    me = await client.get("/v1/me", headers=_bearer(token))
    users = await client.get("/v1/users", headers=_bearer(token))

    assert created.status_code == 201 and token.startswith(created.json()["prefix"] + "_")
    assert [t["id"] for t in listed.json()] == [created.json()["id"]]
    assert "token" not in listed.json()[0] and "token_hash" not in listed.json()[0]
    assert me.status_code == 200 and me.json()["id"] == admin.user.id
    assert users.status_code == 403 and users.json()["error"]["code"] == "permission_denied"
    async with runtime.db.session() as session:
        stored = (await session.execute(select(ApiToken))).scalar_one()
    assert stored.token_hash == sha256_hex(token) and token not in stored.token_hash
    assert stored.last_used_at is not None


async def test_token_when_scopes_exceed_role_is_refused_and_nothing_stored(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    support = await make_member(Role.SUPPORT)
    assert (await log_in(support)).status_code == 200
    refused = await _new_token(client, ["ops.read", "ops.act"])
    unknown = await _new_token(client, ["everything"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "scope_not_allowed"
    assert unknown.status_code == 422
    async with runtime.db.session() as session:
        assert (await session.execute(select(ApiToken))).first() is None


async def test_token_when_revoked_or_expired_is_refused(
    client: httpx.AsyncClient, make_member, log_in, auth_clock: ManualClock
) -> None:
    user = await make_member(Role.USER)
    assert (await log_in(user)).status_code == 200
    short = (await _new_token(client, ["self.read"], ttl_days=1)).json()
    revoked = (await _new_token(client, ["self.read"])).json()
    assert (await client.delete(f"/v1/auth/tokens/{revoked['id']}")).status_code == 204
    client.cookies.clear()

    assert (await client.get("/v1/me", headers=_bearer(short["token"]))).status_code == 200
    after_revoke = await client.get("/v1/me", headers=_bearer(revoked["token"]))
    auth_clock.advance(timedelta(days=1, seconds=1))
    after_expiry = await client.get("/v1/me", headers=_bearer(short["token"]))
    garbage = await client.get("/v1/me", headers=_bearer("bf_0000_not-a-token"))
    wrong_scheme = await client.get("/v1/me", headers={"Authorization": "Basic abc"})

    for refused in (after_revoke, after_expiry, garbage, wrong_scheme):
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "authentication_required"


async def test_token_when_other_users_id_given_reads_as_not_found(
    client: httpx.AsyncClient, make_member, log_in
) -> None:
    owner, other = await make_member(Role.USER), await make_member(Role.USER)
    assert (await log_in(owner)).status_code == 200
    token_id = (await _new_token(client, ["self.read"])).json()["id"]
    client.cookies.clear()
    assert (await log_in(other)).status_code == 200
    attempt = await client.delete(f"/v1/auth/tokens/{token_id}")
    listed = await client.get("/v1/auth/tokens")
    assert attempt.status_code == 404
    assert listed.json() == []


async def test_token_when_owner_demoted_loses_the_scopes_the_role_lost(
    client: httpx.AsyncClient, make_member, log_in
) -> None:
    admin, operator = await make_member(Role.ADMIN), await make_member(Role.OPERATOR)
    assert (await log_in(operator)).status_code == 200
    token = (await _new_token(client, ["ops.read", "self.read"])).json()["token"]
    client.cookies.clear()
    assert (await log_in(admin)).status_code == 200
    demoted = await client.patch(f"/v1/users/{operator.user.id}", json={"role": "user"})
    client.cookies.clear()
    me = await client.get("/v1/me", headers=_bearer(token))
    assert demoted.status_code == 200 and demoted.json()["role"] == "user"
    assert me.status_code == 200 and me.json()["role"] == "user"
    assert "ops.read" not in me.json()["permissions"]
