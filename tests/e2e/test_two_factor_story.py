"""The 2FA story through the real HTTP API, on SQLite and PostgreSQL: an admin made by the CLI
code path must enroll before doing anything, creates an operator who must do the same; a reused
TOTP code is refused; a recovery code works once and only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pyotp

from botfolio.api.app import create_app
from botfolio.auth.permissions import Role
from botfolio.cli.users_cmd import create_user_command
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime

ADMIN_EMAIL = "admin@example.com"
OPERATOR_EMAIL = "operator@example.com"


def _client(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _login(
    client: httpx.AsyncClient, email: str, password: str, **extra: str
) -> httpx.Response:
    response = await client.post(
        "/v1/auth/login", json={"email": email, "password": password, **extra}
    )
    if response.status_code == 200:
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return response


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def _enroll(client: httpx.AsyncClient, clock: ManualClock) -> tuple[pyotp.TOTP, list[str]]:
    enrolled = await client.post("/v1/auth/2fa/enroll")
    assert enrolled.status_code == 200, enrolled.text
    uri = enrolled.json()["provisioning_uri"]
    assert uri.startswith("otpauth://totp/") and "issuer=BotFolio" in uri
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    confirmed = await client.post("/v1/auth/2fa/confirm", json={"code": totp.at(clock.now())})
    assert confirmed.status_code == 200, confirmed.text
    return totp, confirmed.json()["recovery_codes"]


async def _assert_only_enrollment_allowed(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/v1/users"),
        ("GET", "/v1/me"),
        ("GET", "/v1/auth/tokens"),
        ("POST", "/v1/auth/tokens"),
        ("POST", "/v1/users"),
    ):
        response = await client.request(method, path, json={} if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.text)
        assert _error_code(response) == "two_factor_enrollment_required"


async def test_two_factor_story_when_staff_enroll_then_work_and_codes_are_single_use(
    runtime: Runtime,
) -> None:
    # Arrange: an admin created by the CLI's code path, on a clock the test moves.
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC))
    runtime.clock = clock
    created = await create_user_command(runtime, email=ADMIN_EMAIL, role=Role.ADMIN, password=None)
    assert created.one_time_password is not None

    async with _client(runtime) as admin:
        # Act + Assert: the admin logs in, is held at the enrollment door, enrolls, then works.
        login = await _login(admin, ADMIN_EMAIL, created.one_time_password)
        assert login.status_code == 200, login.text
        assert login.json()["two_factor_enrollment_required"] is True
        assert "botfolio_session" in admin.cookies
        await _assert_only_enrollment_allowed(admin)
        admin_totp, admin_recovery = await _enroll(admin, clock)
        assert len(admin_recovery) == runtime.settings.auth.recovery_code_count
        listed = await admin.get("/v1/users")
        assert listed.status_code == 200
        assert [u["email"] for u in listed.json()] == [ADMIN_EMAIL]

        made = await admin.post("/v1/users", json={"email": OPERATOR_EMAIL, "role": "operator"})
        assert made.status_code == 201, made.text
        operator_password = made.json()["one_time_password"]

    async with _client(runtime) as operator:
        login = await _login(operator, OPERATOR_EMAIL, operator_password)
        assert login.status_code == 200 and login.json()["role"] == "operator"
        await _assert_only_enrollment_allowed(operator)
        await _enroll(operator, clock)
        me = await operator.get("/v1/me")
        assert me.status_code == 200 and me.json()["two_factor_enabled"] is True
        assert "ops.act" in me.json()["permissions"]
        tokens = await operator.get("/v1/auth/tokens")
        assert tokens.status_code == 200
        users = await operator.get("/v1/users")
        assert users.status_code == 403 and _error_code(users) == "permission_denied"

    async with _client(runtime) as again:
        # The code used to confirm the admin's enrollment is spent: same step, refused.
        no_code = await _login(again, ADMIN_EMAIL, created.one_time_password)
        assert no_code.status_code == 401 and _error_code(no_code) == "second_factor_required"
        reused = await _login(
            again, ADMIN_EMAIL, created.one_time_password, totp_code=admin_totp.at(clock.now())
        )
        assert reused.status_code == 401 and _error_code(reused) == "totp_code_reused"

        clock.advance(timedelta(seconds=30))
        fresh_code = admin_totp.at(clock.now())
        fresh = await _login(again, ADMIN_EMAIL, created.one_time_password, totp_code=fresh_code)
        assert fresh.status_code == 200, fresh.text
        replay = await _login(again, ADMIN_EMAIL, created.one_time_password, totp_code=fresh_code)
        assert replay.status_code == 401 and _error_code(replay) == "totp_code_reused"

        recovery = admin_recovery[0]
        first = await _login(again, ADMIN_EMAIL, created.one_time_password, recovery_code=recovery)
        assert first.status_code == 200, first.text
        second = await _login(again, ADMIN_EMAIL, created.one_time_password, recovery_code=recovery)
        assert second.status_code == 401 and _error_code(second) == "invalid_second_factor"
