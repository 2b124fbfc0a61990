"""Settings: env vars, `*_FILE` secret variants, and settings that are themselves file paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from botfolio.config import Settings, redacted


def test_file_variant_reads_secret_from_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "url"
    secret.write_text("postgresql+asyncpg://u:p@db/botfolio\n")
    monkeypatch.setenv("BOTFOLIO_DATABASE__URL_FILE", str(secret))

    settings = Settings()

    assert settings.database.url.get_secret_value() == "postgresql+asyncpg://u:p@db/botfolio"
    assert redacted(settings)["database"]["url"] == "**********"


def test_setting_whose_name_ends_in_file_is_a_plain_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFOLIO_SECURITY__KEYRING_FILE", str(tmp_path / "ring.json"))

    assert Settings().security.keyring_file == tmp_path / "ring.json"


def test_unknown_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="extra"):
        Settings(unknown_thing=1)  # type: ignore[call-arg]


def test_retention_shorter_than_three_years_is_refused() -> None:
    with pytest.raises(ValueError, match="greater than or equal"):
        Settings(retention={"audit_days": 365})


def test_unknown_key_inside_a_section_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTFOLIO_JOBS__LEASE_SECOND", "3")  # typo of lease_seconds

    with pytest.raises(ValueError, match="lease_second"):
        Settings()
