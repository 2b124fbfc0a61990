"""`botfolio users ...`: create, list, set-role, disable, enable, reset-2fa (admin recovery).

Each command is one transaction and writes its audit event with a system actor (no user id),
which is how a CLI action on the server shows up in the audit log.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor
from botfolio.auth import repository, users
from botfolio.auth.context import AuthContext
from botfolio.auth.models import User, UserStatus
from botfolio.auth.permissions import Role
from botfolio.cli.common import console, run_with_runtime
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)

CLI_ACTOR = Actor.system()
STAFF_HINT_ROLES = frozenset({Role.ADMIN.value, Role.OPERATOR.value, Role.SUPPORT.value})


async def create_user_command(
    runtime: Runtime, *, email: str, role: Role, password: str | None
) -> users.CreatedUser:
    """The work of `users create`, callable with any runtime (tests use it directly)."""
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        return await users.create_user(
            session, ctx, email=email, role=role, password=password, actor=CLI_ACTOR
        )


async def _find(runtime: Runtime, session: AsyncSession, who: str) -> User:
    if "@" in who:
        return await users.find_by_email(session, AuthContext.from_runtime(runtime), who)
    return await users.get_user(session, who)


@app.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="E-mail address (stored encrypted).")],
    role: Annotated[
        Role, typer.Option("--role", help="admin, operator, support or user.")
    ] = Role.USER,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a user. Prints a one-time password unless --password-stdin is given."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None

    async def _work(runtime: Runtime) -> users.CreatedUser:
        return await create_user_command(runtime, email=email, role=role, password=password)

    created = run_with_runtime(_work)
    console.print(f"created user {created.user.id} with role {created.user.role}")
    if created.one_time_password is not None:
        console.print(f"one-time password (shown once): {created.one_time_password}")
    if role.value in STAFF_HINT_ROLES:
        console.print("staff accounts must enroll in 2FA at first login (POST /v1/auth/2fa/enroll)")


@app.command("list")
def list_users(limit: Annotated[int, typer.Option(min=1, max=1000)] = 100) -> None:
    """List users: id, e-mail, role, status, 2FA."""

    async def _work(runtime: Runtime) -> list[tuple[User, str, bool]]:
        ctx = AuthContext.from_runtime(runtime)
        async with runtime.db.transaction() as session:
            found: Sequence[User] = await users.list_users(session, limit=limit)
            enrolled = await repository.users_with_two_factor(session, [u.id for u in found])
            return [(u, users.email_of(ctx, u), u.id in enrolled) for u in found]

    table = Table("id", "e-mail", "role", "status", "2FA", "created")
    for user, email, has_2fa in run_with_runtime(_work):
        table.add_row(
            user.id, email, user.role, user.status, "yes" if has_2fa else "no", str(user.created_at)
        )
    console.print(table)


@app.command("set-role")
def set_role(
    who: Annotated[str, typer.Argument(help="E-mail address or user id.")],
    role: Annotated[Role, typer.Argument(help="admin, operator, support or user.")],
) -> None:
    """Change a user's role (audited)."""

    async def _work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            user = await _find(runtime, session, who)
            await users.change_role(
                session, AuthContext.from_runtime(runtime), user, role, actor=CLI_ACTOR
            )

    run_with_runtime(_work)
    console.print(f"role set to {role.value}")


def _set_status(who: str, status: UserStatus) -> None:
    async def _work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            user = await _find(runtime, session, who)
            await users.change_status(
                session, AuthContext.from_runtime(runtime), user, status, actor=CLI_ACTOR
            )

    run_with_runtime(_work)
    console.print(f"user is now {status.value}")


@app.command("disable")
def disable(who: Annotated[str, typer.Argument(help="E-mail address or user id.")]) -> None:
    """Disable a user: no login, every session and API token ended (audited)."""
    _set_status(who, UserStatus.DISABLED)


@app.command("enable")
def enable(who: Annotated[str, typer.Argument(help="E-mail address or user id.")]) -> None:
    """Re-enable a disabled user (audited)."""
    _set_status(who, UserStatus.ACTIVE)


@app.command("reset-2fa")
def reset_2fa(who: Annotated[str, typer.Argument(help="E-mail address or user id.")]) -> None:
    """Admin recovery for a lost device: removes 2FA, ends sessions and tokens (audited)."""

    async def _work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            user = await _find(runtime, session, who)
            await users.reset_two_factor(
                session, AuthContext.from_runtime(runtime), user, actor=CLI_ACTOR
            )

    run_with_runtime(_work)
    console.print("2FA removed; the user must enroll again at next login")
