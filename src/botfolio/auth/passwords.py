"""argon2id password hashing: verification, rehash when parameters change, a dummy for timing."""

from __future__ import annotations

import asyncio
import secrets
import string
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_ONE_TIME_ALPHABET = string.ascii_letters + string.digits


class Passwords:
    """Wraps one argon2 PasswordHasher so its parameters can be set (and changed) in one place."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)

    async def hash_async(self, password: str) -> str:
        """argon2 takes ~100 ms of CPU by design: off the event loop, so other requests go on."""
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self.verify, password_hash, password)

    async def burn_time_async(self, password: str) -> None:
        await asyncio.to_thread(self.burn_time, password)

    def burn_time(self, password: str) -> None:
        """Verify against a dummy hash so an unknown e-mail costs as much time as a known one."""
        h = self.hasher
        dummy = _dummy_hash(h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len)
        self.verify(dummy, password)


@lru_cache(maxsize=4)
def _dummy_hash(
    time_cost: int, memory_cost: int, parallelism: int, hash_len: int, salt_len: int
) -> str:
    """One dummy per parameter set, made once per process (hashers compare by identity)."""
    hasher = PasswordHasher(time_cost, memory_cost, parallelism, hash_len, salt_len)
    return hasher.hash(secrets.token_urlsafe(16))


def one_time_password() -> str:
    """A random password shown once to whoever creates the account; the user should change it."""
    return "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(20))
