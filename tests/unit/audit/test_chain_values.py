"""Pure parts of the audit chain: hashing, anchors, --since parsing, retention floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from botfolio.audit.service import GENESIS_HASH, chain_hash
from botfolio.audit.verify import ChainAnchor
from botfolio.cli.audit_cmd import parse_since
from botfolio.config import RetentionSettings, Settings
from botfolio.errors import ValidationFailedError

FIELDS = {
    "id": 1,
    "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
    "actor_id": "u1",
    "action": "user.logged_in",
    "target_type": None,
    "target_id": None,
    "source_ip": "192.0.2.1",
    "details": {"b": 1, "a": [1, 2]},
}


def test_chain_hash_when_same_instant_in_other_zone_is_identical() -> None:
    shifted = {
        **FIELDS,
        "occurred_at": datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9))),
    }

    assert chain_hash(GENESIS_HASH, shifted) == chain_hash(GENESIS_HASH, FIELDS)


def test_chain_hash_when_any_field_or_parent_changes_differs() -> None:
    base = chain_hash(GENESIS_HASH, FIELDS)

    for name, value in [("actor_id", "u2"), ("details", {"b": 2, "a": [1, 2]}), ("id", 2)]:
        assert chain_hash(GENESIS_HASH, {**FIELDS, name: value}) != base
    assert chain_hash("1" * 64, FIELDS) != base


def test_chain_anchor_parse_when_valid_and_invalid() -> None:
    assert ChainAnchor.parse(f"12:{'AB' * 32}") == ChainAnchor(12, "ab" * 32)
    for bad in ("12", "x:" + "a" * 64, "12:abc"):
        with pytest.raises(ValidationFailedError):
            ChainAnchor.parse(bad)


def test_parse_since_when_relative_or_iso() -> None:
    now = datetime(2026, 5, 10, 12, tzinfo=UTC)

    assert parse_since("7d", now=now) == now - timedelta(days=7)
    assert parse_since("30m", now=now) == now - timedelta(minutes=30)
    assert parse_since("2026-05-01", now=now) == datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_since("2026-05-01T09:00+09:00", now=now) == datetime(2026, 5, 1, tzinfo=UTC)
    with pytest.raises(ValidationFailedError):
        parse_since("last tuesday", now=now)


def test_retention_settings_when_less_than_three_years_refused() -> None:
    assert RetentionSettings().audit_days == 3 * 365 + 1
    with pytest.raises(ValidationError):
        Settings(retention={"audit_days": 3 * 365})
    with pytest.raises(ValidationError):
        RetentionSettings(access_log_days=30)
