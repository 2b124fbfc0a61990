"""After users are created (and enroll 2FA) through the services, the raw database holds no
plaintext e-mail address, password, TOTP seed or recovery code."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from botfolio.audit.service import Actor
from botfolio.auth import two_factor, users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.runtime import Runtime

EMAILS = ("Alice.Plaintext@example.com", "bob.unique-marker@example.org")
PASSWORD = "a password nobody should find"


async def _create(runtime: Runtime, ctx: AuthContext) -> list[str]:
    secrets_made: list[str] = []
    async with runtime.db.transaction() as session:
        for email in EMAILS:
            created = await users.create_user(
                session, ctx, email=email, role=Role.ADMIN, password=PASSWORD, actor=Actor.system()
            )
            enrollment = await two_factor.begin_enrollment(
                session, ctx, created.user, account_label=email, actor=Actor.system()
            )
            secrets_made.append(enrollment.secret)
    return secrets_made


async def _sqlite_bytes(runtime: Runtime) -> bytes:
    await runtime.db.dispose()  # close connections so nothing is only in memory
    path = Path(str(make_url(runtime.db.url).database))
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def _postgres_text(runtime: Runtime) -> str:
    found: list[str] = []
    async with runtime.db.session() as session:
        columns = await session.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'json', 'jsonb', 'character')"
            )
        )
        for table, column in columns.all():
            rows = await session.execute(text(f'SELECT "{column}"::text FROM "{table}"'))  # noqa: S608
            found.extend(str(value) for value in rows.scalars() if value is not None)
    return "\n".join(found)


async def test_database_when_users_created_holds_no_plaintext_email_or_secret(
    runtime: Runtime,
) -> None:
    ctx = AuthContext.from_runtime(runtime)
    totp_secrets = await _create(runtime, ctx)

    if runtime.db.dialect == "sqlite":
        raw = (await _sqlite_bytes(runtime)).lower()
        haystack = raw.decode("latin-1")
    else:
        haystack = (await _postgres_text(runtime)).lower()

    assert len(haystack) > 1000  # the dump really contains the rows
    for needle in (*EMAILS, PASSWORD, *totp_secrets):
        assert needle.lower() not in haystack, f"{needle!r} is stored in plaintext"
    async with runtime.db.session() as session:
        found = await users.find_by_email(session, ctx, EMAILS[0].upper())
    assert users.email_of(ctx, found) == EMAILS[0]
