"""RFC 6238 TOTP (pyotp): provisioning URIs and code checks with a ±1 step window and no reuse."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyotp

STEP_SECONDS = 30
DIGITS = 6
WINDOW_STEPS = 1


class CodeCheck(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    REUSED = "reused"


@dataclass(frozen=True)
class CodeResult:
    check: CodeCheck
    step: int | None = None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def time_step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def check_code(secret: str, code: str, now: datetime, last_used_step: int | None) -> CodeResult:
    """Accept the code of the current step or one step either side, unless its step is spent.

    A step at or before the last accepted one is refused, so a code seen once (shoulder-surfed,
    phished, replayed) cannot be used again, not even within its own 30 seconds.
    """
    if not (code.isdigit() and len(code) == DIGITS):
        return CodeResult(CodeCheck.INVALID)
    generator = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if hmac.compare_digest(generator.generate_otp(step), code):
            if last_used_step is not None and step <= last_used_step:
                return CodeResult(CodeCheck.REUSED, step)
            return CodeResult(CodeCheck.VALID, step)
    return CodeResult(CodeCheck.INVALID)
