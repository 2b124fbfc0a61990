"""Shared fixtures for the job tests: quick job settings."""

from __future__ import annotations

import pytest

from botfolio.config import JobSettings


@pytest.fixture
def job_settings() -> JobSettings:
    return JobSettings(
        poll_interval_seconds=0.05,
        lease_seconds=30.0,
        max_attempts=3,
        backoff_base_seconds=1.0,
        backoff_max_seconds=4.0,
        concurrency=2,
    )
