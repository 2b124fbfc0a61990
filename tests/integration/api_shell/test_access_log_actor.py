"""The access log names the authenticated user (set by the auth guard on `request.state`)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from botfolio.audit.access import AccessLogRecord
from botfolio.audit.service import Actor
from botfolio.auth import users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.runtime import Runtime

PASSWORD = "correct horse battery staple"
AppFactory = Any


async def test_access_log_when_user_is_logged_in_records_who_called(
    runtime: Runtime, client: httpx.AsyncClient, app_factory: type[AppFactory]
) -> None:
    async with runtime.db.transaction() as session:
        created = await users.create_user(
            session,
            AuthContext.from_runtime(runtime),
            email="trader@example.com",
            role=Role.USER,
            password=PASSWORD,
            actor=Actor.system(),
        )
    login = await client.post(
        "/v1/auth/login", json={"email": "trader@example.com", "password": PASSWORD}
    )
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]

    me = await client.get("/v1/me")
    async with app_factory.client(runtime) as stranger:
        anonymous = await stranger.get("/v1/me")

    async with runtime.db.session() as session:
        rows = {
            row.request_id: row
            for row in (await session.execute(select(AccessLogRecord))).scalars()
        }
    assert me.status_code == 200
    assert rows[me.headers["x-request-id"]].actor_id == created.user.id
    assert rows[me.headers["x-request-id"]].route == "/v1/me"
    assert anonymous.status_code == 401
    assert rows[anonymous.headers["x-request-id"]].actor_id is None
    assert rows[login.headers["x-request-id"]].status == 200
