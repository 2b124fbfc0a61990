"""Linked exchange accounts: keys stored encrypted, validated against the venue before they are
kept, and marked when the venue rejects them (trading stops until the user re-links)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts.service import raise_alert
from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import NotFoundError, ValidationFailedError
from botfolio.exchanges.incidents import record_incident
from botfolio.exchanges.models import ExchangeAccount
from botfolio.notifications.service import queue_notification
from botfolio.security.crypto import FieldCipher

TABLE = "exchange_accounts"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    CREDENTIALS_INVALID = "credentials_invalid"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Credentials:
    api_key: str
    secret: str

    def __post_init__(self) -> None:
        if not self.api_key.strip() or not self.secret.strip():
            raise ValidationFailedError("api_key and secret must not be empty")

    def __repr__(self) -> str:
        return "Credentials(api_key='***', secret='***')"


def encrypt_credentials(cipher: FieldCipher, account: ExchangeAccount, creds: Credentials) -> None:
    account.api_key_encrypted = cipher.encrypt(
        creds.api_key, table=TABLE, column="api_key_encrypted", row_id=account.id
    )
    account.api_secret_encrypted = cipher.encrypt(
        creds.secret, table=TABLE, column="api_secret_encrypted", row_id=account.id
    )


def decrypt_credentials(cipher: FieldCipher, account: ExchangeAccount) -> Credentials:
    return Credentials(
        api_key=cipher.decrypt(
            account.api_key_encrypted, table=TABLE, column="api_key_encrypted", row_id=account.id
        ),
        secret=cipher.decrypt(
            account.api_secret_encrypted,
            table=TABLE,
            column="api_secret_encrypted",
            row_id=account.id,
        ),
    )


async def add_account(
    session: AsyncSession,
    clock: Clock,
    cipher: FieldCipher,
    *,
    actor: Actor,
    user_id: str,
    venue: str,
    label: str,
    creds: Credentials,
) -> ExchangeAccount:
    """Store an account whose credentials the caller has already validated with the venue."""
    now = clock.now()
    account = ExchangeAccount(
        id=new_id(),
        user_id=user_id,
        venue=venue,
        label=label,
        status=AccountStatus.ACTIVE.value,
        created_at=now,
        updated_at=now,
    )
    encrypt_credentials(cipher, account, creds)
    session.add(account)
    await session.flush()
    await record_event(
        session,
        clock,
        actor=actor,
        action="exchange_account.linked",
        target_type="exchange_account",
        target_id=account.id,
        details={"venue": venue, "label": label},
    )
    return account


async def replace_credentials(
    session: AsyncSession,
    clock: Clock,
    cipher: FieldCipher,
    *,
    actor: Actor,
    account: ExchangeAccount,
    creds: Credentials,
) -> ExchangeAccount:
    encrypt_credentials(cipher, account, creds)
    account.status = AccountStatus.ACTIVE.value
    account.status_reason = None
    account.updated_at = clock.now()
    await record_event(
        session,
        clock,
        actor=actor,
        action="exchange_account.relinked",
        target_type="exchange_account",
        target_id=account.id,
        details={"venue": account.venue},
    )
    return account


async def mark_credentials_rejected(
    session: AsyncSession, clock: Clock, account: ExchangeAccount, reason: str
) -> bool:
    """The venue refused the key: stop trading the account. False if it was already marked."""
    if account.status == AccountStatus.CREDENTIALS_INVALID.value:
        return False
    account.status = AccountStatus.CREDENTIALS_INVALID.value
    account.status_reason = reason[:500]
    account.updated_at = clock.now()
    await record_incident(
        session,
        clock,
        venue=account.venue,
        kind="credentials_rejected",
        message=reason[:500],
        account_id=account.id,
    )
    await record_event(
        session,
        clock,
        actor=Actor.system(),
        action="exchange_account.credentials_rejected",
        target_type="exchange_account",
        target_id=account.id,
        details={"venue": account.venue},
    )
    await raise_alert(
        session,
        clock,
        rule="exchange.credentials_rejected",
        severity="warning",
        fingerprint=f"exchange.credentials_rejected:{account.id}",
        summary=f"{account.venue} rejected the API key of account {account.id}",
        details={"venue": account.venue, "account_id": account.id, "user_id": account.user_id},
    )
    await queue_notification(
        session,
        clock,
        user_id=account.user_id,
        event="credentials.expired",
        data={"venue": account.venue},
        dedup_key=f"credentials.expired:{account.id}:{clock.now().isoformat()}",
    )
    return True


async def get_account(session: AsyncSession, account_id: str) -> ExchangeAccount:
    account = await session.get(ExchangeAccount, account_id)
    if account is None:
        raise NotFoundError(f"exchange account {account_id} does not exist")
    return account


async def get_owned_account(
    session: AsyncSession, account_id: str, user_id: str
) -> ExchangeAccount:
    """Another user's account is reported as not found, never as forbidden."""
    account = await session.get(ExchangeAccount, account_id)
    if account is None or account.user_id != user_id:
        raise NotFoundError(f"exchange account {account_id} does not exist")
    return account


async def list_accounts(
    session: AsyncSession, *, user_id: str | None = None
) -> Sequence[ExchangeAccount]:
    stmt = select(ExchangeAccount).order_by(ExchangeAccount.created_at)
    if user_id is not None:
        stmt = stmt.where(ExchangeAccount.user_id == user_id)
    return (await session.execute(stmt)).scalars().all()
