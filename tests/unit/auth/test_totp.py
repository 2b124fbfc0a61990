"""TOTP checks: RFC 6238 codes within ±1 step, and a spent step is never accepted again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from botfolio.auth import totp
from botfolio.auth.totp import CodeCheck

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)


def _code(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_check_code_when_code_of_neighbouring_step_accepts_it() -> None:
    for offset in (-30, 0, 30):
        result = totp.check_code(SECRET, _code(NOW + timedelta(seconds=offset)), NOW, None)
        assert result.check is CodeCheck.VALID
        assert result.step == totp.time_step(NOW) + offset // 30


def test_check_code_when_code_two_steps_away_refuses_it() -> None:
    result = totp.check_code(SECRET, _code(NOW - timedelta(seconds=60)), NOW, None)
    assert result.check is CodeCheck.INVALID


def test_check_code_when_step_already_used_refuses_reuse() -> None:
    code = _code(NOW)
    first = totp.check_code(SECRET, code, NOW, None)
    again = totp.check_code(SECRET, code, NOW + timedelta(seconds=5), first.step)
    assert first.check is CodeCheck.VALID
    assert again.check is CodeCheck.REUSED


def test_check_code_when_older_step_after_newer_was_used_refuses_it() -> None:
    previous = _code(NOW - timedelta(seconds=30))
    result = totp.check_code(SECRET, previous, NOW, totp.time_step(NOW))
    assert result.check is CodeCheck.REUSED


def test_check_code_when_not_six_digits_is_invalid() -> None:
    for bad in ("", "12345", "1234567", "abcdef", "12 456", "' OR 1"):
        assert totp.check_code(SECRET, bad, NOW, None).check is CodeCheck.INVALID


def test_provisioning_uri_when_built_names_issuer_and_account() -> None:
    uri = totp.provisioning_uri(SECRET, account="a@example.com", issuer="BotFolio")
    parsed = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/BotFolio:")
    assert isinstance(parsed, pyotp.TOTP) and parsed.secret == SECRET
