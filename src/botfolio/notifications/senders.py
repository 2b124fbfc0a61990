"""Sending one message on one channel: apprise for e-mail, Slack, Telegram and SMS providers; our
own HTTP client for webhooks; in-app needs no send (the notification row is the in-app message).

Webhooks bypass apprise on purpose: each POST must carry the notification's idempotency key
header, and one pooled HTTP client is what lets a worker reach hundreds of deliveries a second.
Apprise is given a fresh object per send: its e-mail plugin throttles one send per ~5.5 s per
instance, and our own rate limits (ratelimit.py) and retries (planning.py) own that policy.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import apprise
import httpx

from botfolio.notifications.models import ChannelKind
from botfolio.notifications.settings import NotificationSettings

IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-BotFolio-Event"
ERROR_MAX = 500
PERMANENT_HTTP = frozenset({400, 401, 403, 404, 405, 410, 413, 422})


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: str
    event: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class SendResult:
    delivered: bool
    error: str | None = None
    retryable: bool = True


def scrub(text: str, destination: str | None) -> str:
    """Never let a destination (phone number, token in a URL) reach an error column or a log."""
    if destination:
        text = text.replace(destination, "<destination>")
    return text[:ERROR_MAX]


class ChannelSenders:
    """One per worker process: holds the pooled HTTP client used for webhooks."""

    def __init__(
        self, settings: NotificationSettings, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self._settings = settings
        self._own_client = http_client is None
        self._http = http_client or httpx.AsyncClient(
            # Dispatchers bound their sends (lanes), so waiting for a pooled connection is normal.
            timeout=httpx.Timeout(settings.send_timeout_seconds, pool=None),
            limits=httpx.Limits(
                max_connections=4 * settings.max_in_flight,
                max_keepalive_connections=4 * settings.max_in_flight,
            ),
        )

    async def aclose(self) -> None:
        if self._own_client:
            await self._http.aclose()

    async def send(
        self, kind: str, destination: str | None, message: OutgoingMessage
    ) -> SendResult:
        if kind == ChannelKind.IN_APP:
            return SendResult(delivered=True)
        if not destination:
            return SendResult(False, "no destination configured", retryable=False)
        if kind == ChannelKind.WEBHOOK:
            result = await self._post_webhook(destination, message)
        else:
            result = await self._send_apprise(self._apprise_url(kind, destination), message)
        if result.error:
            return SendResult(result.delivered, scrub(result.error, destination), result.retryable)
        return result

    def _apprise_url(self, kind: str, destination: str) -> str:
        if kind == ChannelKind.EMAIL:
            separator = "&" if "?" in self._settings.smtp_url else "?"
            return f"{self._settings.smtp_url}{separator}to={quote(destination, safe='@')}"
        return destination

    async def _post_webhook(self, url: str, message: OutgoingMessage) -> SendResult:
        payload = {
            "id": message.notification_id,
            "event": message.event,
            "title": message.title,
            "body": message.body,
            "data": message.data,
            "created_at": message.created_at,
        }
        headers = {IDEMPOTENCY_HEADER: message.notification_id, EVENT_HEADER: message.event}
        try:
            response = await self._http.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(False, f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code < 300:
            return SendResult(True)
        permanent = response.status_code in PERMANENT_HTTP
        return SendResult(False, f"HTTP {response.status_code}", retryable=not permanent)

    async def _send_apprise(self, url: str, message: OutgoingMessage) -> SendResult:
        notifier = apprise.Apprise()
        if not notifier.add(url):
            return SendResult(False, "apprise refused the channel URL", retryable=False)
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(notifier.notify, body=message.body, title=message.title),
                timeout=self._settings.send_timeout_seconds,
            )
        except TimeoutError:
            return SendResult(False, "send timed out")
        if result:
            return SendResult(True)
        return SendResult(False, _apprise_error(result))


def _apprise_error(result: Any) -> str:
    lines = [str(entry) for entry in result.logs()]
    last = lines[-1] if lines else "apprise reported a failure without detail"
    return last.split(" - ", 2)[-1]
