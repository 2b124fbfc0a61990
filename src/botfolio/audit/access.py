"""The API access log: one row per request, written by the API middleware in its own transaction.

Query strings often carry secrets (reset tokens, API keys, OAuth codes): the writer keeps ordinary
parameters, replaces the value of any secret-looking one with a redaction mark, and drops the
fragment. Client-supplied text (path, user agent) is cut to the column width, never refused,
because losing an access record is worse than shortening it.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import BigInteger, Float, Index, Integer, String, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.clock import ensure_utc
from botfolio.db.base import Base

REDACTED = "**********"
# Lower-cased fragments of parameter names whose values are never stored.
SECRET_PARAM_MARKERS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "sig",
    "code",
    "otp",
    "auth",
    "session",
    "credential",
    "jwt",
    "nonce",
    "recovery",
)
PATH_MAX = 2048
ROUTE_MAX = 255
USER_AGENT_MAX = 512
REQUEST_ID_MAX = 64
ACTOR_ID_MAX = 64
METHOD_MAX = 16
SOURCE_IP_MAX = 64


class AccessLogRecord(Base):
    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime]
    request_id: Mapped[str] = mapped_column(String(REQUEST_ID_MAX))
    actor_id: Mapped[str | None] = mapped_column(String(ACTOR_ID_MAX))
    method: Mapped[str] = mapped_column(String(METHOD_MAX))
    path: Mapped[str] = mapped_column(String(PATH_MAX))
    route: Mapped[str | None] = mapped_column(String(ROUTE_MAX))
    status: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    source_ip: Mapped[str | None] = mapped_column(String(SOURCE_IP_MAX))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX))

    __table_args__ = (
        Index("ix_access_log_occurred_at", "occurred_at"),
        Index("ix_access_log_actor_id", "actor_id"),
        Index("ix_access_log_request_id", "request_id"),
    )


async def record_access(
    session: AsyncSession,
    *,
    occurred_at: datetime,
    request_id: str,
    actor_id: str | None,
    method: str,
    path: str,
    route: str | None,
    status: int,
    latency_ms: float,
    source_ip: str | None,
    user_agent: str | None,
) -> None:
    """Store one access record in the caller's transaction; secret query values never reach it."""
    await session.execute(
        insert(AccessLogRecord).values(
            occurred_at=ensure_utc(occurred_at),
            request_id=request_id[:REQUEST_ID_MAX],
            actor_id=_cut(actor_id, ACTOR_ID_MAX),
            method=method.upper()[:METHOD_MAX],
            path=redact_path(path)[:PATH_MAX],
            route=_cut(route, ROUTE_MAX),
            status=int(status),
            latency_ms=max(0.0, float(latency_ms)),
            source_ip=_cut(source_ip, SOURCE_IP_MAX),
            user_agent=_cut(user_agent, USER_AGENT_MAX),
        )
    )


def redact_path(path: str) -> str:
    """The path with its fragment dropped and every secret-looking query value redacted.

    A value that itself carries a secret parameter (`?next=/reset?token=...`) is redacted whole.
    """
    without_fragment = path.partition("#")[0]
    base, _, query = without_fragment.partition("?")
    if not query:
        return base
    params = [
        (name, REDACTED if _hides_secret(name, value) else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{base}?{urlencode(params, safe='*/')}"


def is_secret_param(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_PARAM_MARKERS)


def _hides_secret(name: str, value: str) -> bool:
    if is_secret_param(name):
        return True
    if "=" not in value:
        return False
    nested = value.partition("?")[2] or value
    return any(is_secret_param(inner) for inner, _ in parse_qsl(nested, keep_blank_values=True))


def _cut(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]
