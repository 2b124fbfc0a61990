"""`botfolio users ...`: create, list, set-role, disable, enable, reset-2fa (admin recovery).

Each command is one transaction and writes its audit event with a system actor (no user id),
which is how a CLI action on the server shows up in the audit log. The `*_work` coroutines are
the commands' code paths, callable with any runtime (the tests use them directly).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
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
STAFF_ROLES = frozenset({Role.ADMIN, Role.OPERATOR, Role.SUPPORT})
Who = Annotated[str, typer.Argument(help="E-mail address or user id.")]


async def create_user_command(
    runtime: Runtime, *, email: str, role: Role, password: str | None
) -> users.CreatedUser:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        return await users.create_user(
            session, ctx, email=email, role=role, password=password, actor=CLI_ACTOR
        )


async def list_users_work(runtime: Runtime, limit: int) -> list[tuple[User, str, bool]]:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        found = await users.list_users(session, limit=limit)
        enrolled = await repository.users_with_two_factor(session, [u.id for u in found])
        return [(u, users.email_of(ctx, u), u.id in enrolled) for u in found]


async def _find(session: AsyncSession, ctx: AuthContext, who: str) -> User:
    if "@" in who:
        return await users.find_by_email(session, ctx, who)
    return await users.get_user(session, who)


async def set_role_work(runtime: Runtime, who: str, role: Role) -> None:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        user = await _find(session, ctx, who)
        await users.change_role(session, ctx, user, role, actor=CLI_ACTOR)


async def set_status_work(runtime: Runtime, who: str, status: UserStatus) -> None:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        user = await _find(session, ctx, who)
        await users.change_status(session, ctx, user, status, actor=CLI_ACTOR)


async def reset_2fa_work(runtime: Runtime, who: str) -> None:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        user = await _find(session, ctx, who)
        await users.reset_two_factor(session, ctx, user, actor=CLI_ACTOR)


def _run(work: Callable[[Runtime], Awaitable[None]], done: str) -> None:
    run_with_runtime(work)
    console.print(done)


@app.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="E-mail address (stored encrypted).")],
    role: Annotated[Role, typer.Option("--role", help="admin, operator, support or user.")] = (
        Role.USER
    ),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a user. Prints a one-time password unless --password-stdin is given."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    created = run_with_runtime(
        lambda rt: create_user_command(rt, email=email, role=role, password=password)
    )
    console.print(f"created user {created.user.id} with role {created.user.role}")
    if created.one_time_password is not None:
        console.print(f"one-time password (shown once): {created.one_time_password}")
    if role in STAFF_ROLES:
        console.print("staff must enroll in 2FA at first login (POST /v1/auth/2fa/enroll)")


@app.command("list")
def list_users(limit: Annotated[int, typer.Option(min=1, max=1000)] = 100) -> None:
    """List users: id, e-mail, role, status, 2FA."""
    table = Table("id", "e-mail", "role", "status", "2FA", "created")
    for user, email, has_2fa in run_with_runtime(lambda rt: list_users_work(rt, limit)):
        table.add_row(
            user.id, email, user.role, user.status, "yes" if has_2fa else "no", str(user.created_at)
        )
    console.print(table)


@app.command("set-role")
def set_role(
    who: Who,
    role: Annotated[Role, typer.Argument(help="admin, operator, support or user.")],
) -> None:
    """Change a user's role (audited)."""
    _run(lambda rt: set_role_work(rt, who, role), f"role set to {role.value}")


@app.command("disable")
def disable(who: Who) -> None:
    """Disable a user: no login, every session and API token ended (audited)."""
    _run(lambda rt: set_status_work(rt, who, UserStatus.DISABLED), "user disabled")


@app.command("enable")
def enable(who: Who) -> None:
    """Re-enable a disabled user (audited)."""
    _run(lambda rt: set_status_work(rt, who, UserStatus.ACTIVE), "user enabled")


@app.command("reset-2fa")
def reset_2fa(who: Who) -> None:
    """Admin recovery for a lost device: removes 2FA, ends sessions and tokens (audited)."""
    _run(lambda rt: reset_2fa_work(rt, who), "2FA removed; the user must enroll again")
