"""The guard leaves the principal where the access log finds it; a password change needs the
current password and ends the need to change it."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from botfolio.audit.access import AccessLogRecord
from botfolio.auth.permissions import Role
from botfolio.runtime import Runtime


async def test_access_log_when_request_authenticated_records_the_actor(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.USER)
    assert (await log_in(member)).status_code == 200
    me = await client.get("/v1/me", headers={"X-Request-ID": "auth-actor-check"})
    denied = await client.get("/v1/users")
    assert me.status_code == 200 and denied.status_code == 403
    async with runtime.db.session() as session:
        rows = (
            await session.execute(
                select(AccessLogRecord.route, AccessLogRecord.actor_id, AccessLogRecord.status)
                .where(AccessLogRecord.route.in_(["/v1/me", "/v1/users"]))
                .order_by(AccessLogRecord.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("/v1/me", member.user.id, 200),
        ("/v1/users", member.user.id, 403),
    ]


async def test_change_password_when_current_is_right_replaces_it(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.USER)
    assert (await log_in(member)).status_code == 200
    new = "a brand new long passphrase"

    wrong = await client.post(
        "/v1/me/password", json={"current_password": "not it at all", "new_password": new}
    )
    short = await client.post(
        "/v1/me/password", json={"current_password": member.password, "new_password": "short"}
    )
    done = await client.post(
        "/v1/me/password", json={"current_password": member.password, "new_password": new}
    )
    old_login = await log_in(member)
    member.password = new
    new_login = await log_in(member)

    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_current_password"
    assert short.status_code == 422
    assert done.status_code == 204
    assert old_login.status_code == 401
    assert new_login.status_code == 200 and new_login.json()["password_change_required"] is False
