"""Loopback fixtures for delivery tests: a webhook sink, an SMTP server, a delivery worker."""

from __future__ import annotations

import random
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from botfolio.config import JobSettings
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.worker import Worker
from botfolio.notifications.delivery import DeliveryDeps
from botfolio.notifications.ratelimit import ChannelRateLimiter
from botfolio.notifications.senders import ChannelSenders
from botfolio.notifications.settings import NotificationSettings
from botfolio.notifications.sink import SinkState, WebhookSink
from botfolio.notifications.tasks import register_delivery
from botfolio.runtime import Runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SmtpInbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=default_policy).parsebytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpInbox, int]]:
    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    server = WebhookSink(state=SinkState())
    server.start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def failing_sink() -> Iterator[WebhookSink]:
    server = WebhookSink(state=SinkState(fail_rate=1.0))
    server.start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def fast_settings(smtp_port: int | None = None, **overrides: Any) -> NotificationSettings:
    values: dict[str, Any] = {
        "attempts_per_channel": 3,
        "backoff_base_seconds": 0.0,
        "backoff_max_seconds": 0.0,
        "send_timeout_seconds": 5.0,
    }
    if smtp_port is not None:
        values["smtp_url"] = (
            f"mailto://127.0.0.1:{smtp_port}?from=botfolio@example.com&mode=insecure"
        )
    values.update(overrides)
    return NotificationSettings(**values)


DeliverAll = Callable[[NotificationSettings], Awaitable[None]]


def make_deps(runtime: Runtime, settings: NotificationSettings) -> DeliveryDeps:
    return DeliveryDeps(
        db=runtime.db,
        cipher=runtime.cipher,
        clock=runtime.clock,
        settings=settings,
        senders=ChannelSenders(settings),
        limiter=ChannelRateLimiter(settings.rate_per_second, max_wait_seconds=5.0),
        rng=random.Random(1),
    )


@pytest.fixture
def deliver_all(runtime: Runtime) -> DeliverAll:
    """Run a worker with the delivery handler until no delivery step is due."""

    async def run(settings: NotificationSettings) -> None:
        deps = make_deps(runtime, settings)
        senders = deps.senders
        registry = JobRegistry()
        register_delivery(registry, deps)
        job_settings = JobSettings(poll_interval_seconds=0.02, concurrency=4, max_attempts=3)
        worker = Worker(runtime.db, registry, job_settings, runtime.clock, worker_id="test-worker")
        try:
            await worker.run_until_idle()
        finally:
            await senders.aclose()

    return run
