"""Alert rules over the system's own state: each returns the alerts that should be open now.

Rules read the tables (dead jobs, job backlog, exchange accounts); alerts a rule raised and no
longer fires are resolved by the system. Other domains raise their own event alerts (model
rollback, backup failure, breaker open) with `raise_alert`; Prometheus rules cover what the
database cannot report about itself (DB unreachable).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts import repository
from botfolio.alerts.service import raise_alert, resolve
from botfolio.alerts.settings import AlertSettings
from botfolio.audit.service import Actor
from botfolio.clock import Clock
from botfolio.exchanges.models import ExchangeAccount
from botfolio.jobs.service import queue_stats

RULE_PREFIX = "rule."


@dataclass(frozen=True)
class Firing:
    rule: str
    severity: str
    fingerprint: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[AsyncSession, Clock, AlertSettings], Awaitable[list[Firing]]]


async def dead_jobs(session: AsyncSession, clock: Clock, policy: AlertSettings) -> list[Firing]:
    stats = await queue_stats(session, clock=clock)
    return [
        Firing(
            "rule.jobs.dead_letter",
            "warning",
            f"rule.jobs.dead_letter:{row.kind}",
            f"{row.dead} dead-lettered {row.kind} job(s) wait for an operator",
            {"kind": row.kind, "dead": row.dead},
        )
        for row in stats.by_kind
        if row.dead > 0
    ]


async def job_backlog(session: AsyncSession, clock: Clock, policy: AlertSettings) -> list[Firing]:
    age = (await queue_stats(session, clock=clock)).oldest_due_age_seconds or 0.0
    if age < policy.job_backlog_warning_seconds:
        return []
    severity = "critical" if age >= policy.job_backlog_critical_seconds else "warning"
    return [
        Firing(
            "rule.jobs.backlog",
            severity,
            "rule.jobs.backlog",
            f"the oldest due job has waited {age:.0f} s",
            {"oldest_due_age_seconds": round(age, 1)},
        )
    ]


async def exchange_accounts(
    session: AsyncSession, clock: Clock, policy: AlertSettings
) -> list[Firing]:
    rows = (
        await session.execute(
            select(
                ExchangeAccount.id,
                ExchangeAccount.venue,
                ExchangeAccount.status,
                ExchangeAccount.trading_blocked_reason,
            )
        )
    ).all()
    firing: list[Firing] = []
    for account_id, venue, status, blocked in rows:
        if blocked:
            firing.append(
                Firing(
                    "rule.reconciliation.mismatch",
                    "critical",
                    f"rule.reconciliation.mismatch:{account_id}",
                    f"trading blocked on {venue} account {account_id}: state disagrees with the venue",
                    {"account_id": account_id, "venue": venue},
                )
            )
        if status == "credentials_invalid":
            firing.append(
                Firing(
                    "rule.credentials.invalid",
                    "warning",
                    f"rule.credentials.invalid:{account_id}",
                    f"{venue} credentials of account {account_id} are rejected",
                    {"account_id": account_id, "venue": venue},
                )
            )
    return firing


RULES: tuple[Rule, ...] = (dead_jobs, job_backlog, exchange_accounts)


async def evaluate_rules(
    session: AsyncSession, clock: Clock, policy: AlertSettings, rules: tuple[Rule, ...] = RULES
) -> list[Firing]:
    """Raise what fires; resolve rule alerts that stopped firing. Returns what fired."""
    firing: list[Firing] = []
    for rule in rules:
        firing.extend(await rule(session, clock, policy))
    for item in firing:
        await raise_alert(
            session,
            clock,
            rule=item.rule,
            severity=item.severity,
            fingerprint=item.fingerprint,
            summary=item.summary,
            details=item.details,
        )
    active = {item.fingerprint for item in firing}
    for alert in await repository.unresolved_of_rule(session, RULE_PREFIX):
        if alert.fingerprint not in active:
            await resolve(session, clock, alert.id, actor=Actor.system(), note="condition cleared")
    return firing
