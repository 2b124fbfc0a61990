"""Job registry rules, periodic slot alignment and how handler errors are classified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from botfolio.errors import (
    ConfigurationError,
    LeaseLostError,
    NotFoundError,
    TemporaryError,
    ValidationFailedError,
)
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.runner import describe_error, is_permanent
from botfolio.jobs.scheduler import PeriodicTaskRegistry, TaskContext, slot_start


async def _noop(ctx: JobContext, payload: dict[str, Any]) -> None:
    return None


async def _task(ctx: TaskContext) -> None:
    return None


def test_registry_when_kind_registered_returns_its_handler_and_lists_it() -> None:
    registry = JobRegistry()

    registry.register("bot.tick", _noop)

    assert registry.get("bot.tick") is _noop
    assert registry.kinds() == ("bot.tick",)
    assert "bot.tick" in registry


def test_registry_when_kind_registered_twice_refuses() -> None:
    registry = JobRegistry()
    registry.register("bot.tick", _noop)

    with pytest.raises(ConfigurationError):
        registry.register("bot.tick", _noop)


@pytest.mark.parametrize("kind", ["", "Bot.Tick", "bot..tick", "bot tick", ".bot", "x" * 101])
def test_registry_when_kind_malformed_refuses(kind: str) -> None:
    with pytest.raises(ValidationFailedError):
        JobRegistry().register(kind, _noop)


def test_registry_when_kind_unknown_raises_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        JobRegistry().get("nobody.home")


def test_periodic_registry_when_name_repeats_or_interval_tiny_refuses() -> None:
    tasks = PeriodicTaskRegistry()
    tasks.register("bots.tick", 60, _task)

    with pytest.raises(ConfigurationError):
        tasks.register("bots.tick", 60, _task)
    with pytest.raises(ConfigurationError):
        tasks.register("bots.other", 0, _task)
    assert [task.name for task in tasks.tasks()] == ["bots.tick"]


@pytest.mark.parametrize(
    ("now", "interval", "expected"),
    [
        (
            datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC),
            60,
            datetime(2026, 3, 1, 12, 34, tzinfo=UTC),
        ),
        (datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC), 3600, datetime(2026, 3, 1, 12, tzinfo=UTC)),
        (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), 3600, datetime(2026, 3, 1, 12, tzinfo=UTC)),
        (
            datetime(2026, 3, 1, 0, 0, 1, 700_000, tzinfo=UTC),
            0.5,
            datetime(2026, 3, 1, 0, 0, 1, 500_000, tzinfo=UTC),
        ),
    ],
)
def test_slot_start_when_given_a_moment_floors_to_epoch_aligned_slot(
    now: datetime, interval: float, expected: datetime
) -> None:
    assert slot_start(now, timedelta(seconds=interval)) == expected


def test_error_classification_when_user_or_operational_is_permanent_else_retried() -> None:
    assert is_permanent(ValidationFailedError("bad payload"))
    assert is_permanent(NotFoundError("no such bot"))
    assert is_permanent(LeaseLostError("deposed"))
    assert not is_permanent(TemporaryError("venue busy"))
    assert not is_permanent(RuntimeError("bug"))


def test_describe_error_when_message_long_is_bounded_and_typed() -> None:
    text = describe_error(RuntimeError("x" * 5000))

    assert text.startswith("RuntimeError: xxx")
    assert len(text) == 2000
