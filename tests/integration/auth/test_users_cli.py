"""The `botfolio users` commands: their code paths in-process, and `create` as a real subprocess
against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from botfolio.audit.models import AuditEvent
from botfolio.auth import users
from botfolio.auth.context import AuthContext
from botfolio.auth.models import UserStatus
from botfolio.auth.permissions import Role
from botfolio.cli import users_cmd
from botfolio.errors import ConflictError, NotFoundError
from botfolio.runtime import Runtime
from botfolio.security.keyring import KeyRing, save_keyring

EMAIL = "cli-admin@example.com"


def _cli(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("botfolio")), "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
async def test_users_create_when_run_as_a_command_stores_the_user_and_prints_once(
    runtime: Runtime, keyring: KeyRing, tmp_path: Path
) -> None:
    ring_file = tmp_path / "cli-keyring.json"
    save_keyring(keyring, ring_file)
    env = {
        **os.environ,
        "BOTFOLIO_DATABASE__URL": runtime.settings.database.url.get_secret_value(),
        "BOTFOLIO_SECURITY__KEYRING_FILE": str(ring_file),
        "COLUMNS": "200",
    }

    given = _cli(
        ["create", "--email", EMAIL, "--role", "admin", "--password-stdin"],
        env,
        stdin="a long enough password\n",
    )
    generated = _cli(["create", "--email", "plain@example.com"], env)

    assert given.returncode == 0, given.stderr
    assert generated.returncode == 0, generated.stderr
    assert "one-time password" not in given.stdout and "enroll in 2FA" in given.stdout
    one_time = generated.stdout.split("one-time password (shown once): ", 1)[1].split()[0]
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.session() as session:
        admin = await users.find_by_email(session, ctx, EMAIL)
        plain = await users.find_by_email(session, ctx, "plain@example.com")
    assert admin.role == "admin" and ctx.passwords.verify(
        admin.password_hash, "a long enough password"
    )
    assert plain.password_change_required and ctx.passwords.verify(plain.password_hash, one_time)


async def test_users_commands_when_managing_users_change_them_and_audit(runtime: Runtime) -> None:
    await users_cmd.create_user_command(runtime, email=EMAIL, role=Role.ADMIN, password=None)
    made = await users_cmd.create_user_command(
        runtime, email="plain@example.com", role=Role.USER, password=None
    )

    await users_cmd.set_role_work(runtime, "plain@example.com", Role.SUPPORT)
    await users_cmd.reset_2fa_work(runtime, EMAIL)
    await users_cmd.set_status_work(runtime, made.user.id, UserStatus.DISABLED)
    listed = await users_cmd.list_users_work(runtime, limit=10)
    with pytest.raises(ConflictError):
        await users_cmd.create_user_command(
            runtime, email=EMAIL.upper(), role=Role.USER, password=None
        )
    with pytest.raises(NotFoundError):
        await users_cmd.set_status_work(runtime, "nobody@example.com", UserStatus.DISABLED)

    assert [(email, user.role, user.status) for user, email, _ in listed] == [
        (EMAIL, "admin", "active"),
        ("plain@example.com", "support", "disabled"),
    ]
    async with runtime.db.session() as session:
        actions = list(
            (await session.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars()
        )
    assert actions == [
        "users.created",
        "users.created",
        "users.role_changed",
        "auth.2fa_reset",
        "users.disabled",
    ]
