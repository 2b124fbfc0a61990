"""The key ring: field-encryption keys by id, the active key id, and the blind-index key.

Keys come from settings (`BOTFOLIO_SECURITY__FIELD_KEYS`, or their `*_FILE` variants) or from the
key-ring file. Outside production a missing file is created with fresh random keys (mode 0600);
in production a missing key ring is a configuration error.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from botfolio.config import Settings
from botfolio.errors import ConfigurationError

KEY_BYTES = 32


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    active_key_id: str
    blind_index_key: bytes

    def __post_init__(self) -> None:
        if self.active_key_id not in self.keys:
            raise ConfigurationError(f"active key id {self.active_key_id!r} is not in the key ring")
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise ConfigurationError(f"key {key_id!r} must be {KEY_BYTES} bytes")
            if ":" in key_id:
                raise ConfigurationError(f"key id {key_id!r} must not contain ':'")
        if len(self.blind_index_key) < KEY_BYTES:
            raise ConfigurationError(f"the blind-index key must be at least {KEY_BYTES} bytes")

    def with_new_active_key(self, key_id: str | None = None) -> KeyRing:
        key_id = key_id or f"k{len(self.keys) + 1}-{secrets.token_hex(3)}"
        if key_id in self.keys:
            raise ConfigurationError(f"key id {key_id!r} already exists")
        keys = {**self.keys, key_id: secrets.token_bytes(KEY_BYTES)}
        return KeyRing(keys=keys, active_key_id=key_id, blind_index_key=self.blind_index_key)

    def to_json(self) -> str:
        return json.dumps(
            {
                "active_key_id": self.active_key_id,
                "keys": {kid: _b64(key) for kid, key in self.keys.items()},
                "blind_index_key": _b64(self.blind_index_key),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        data = json.loads(text)
        return cls(
            keys={kid: _unb64(value) for kid, value in data["keys"].items()},
            active_key_id=data["active_key_id"],
            blind_index_key=_unb64(data["blind_index_key"]),
        )

    @classmethod
    def generate(cls) -> KeyRing:
        return cls(
            keys={"k1": secrets.token_bytes(KEY_BYTES)},
            active_key_id="k1",
            blind_index_key=secrets.token_bytes(KEY_BYTES),
        )


def load_keyring(settings: Settings) -> KeyRing:
    sec = settings.security
    if sec.field_keys:
        if sec.blind_index_key is None or sec.active_key_id is None:
            raise ConfigurationError(
                "field_keys needs security.active_key_id and security.blind_index_key too"
            )
        return KeyRing(
            keys={kid: _unb64(v.get_secret_value()) for kid, v in sec.field_keys.items()},
            active_key_id=sec.active_key_id,
            blind_index_key=_unb64(sec.blind_index_key.get_secret_value()),
        )
    path = sec.keyring_file
    if path.is_file():
        return KeyRing.from_json(path.read_text(encoding="utf-8"))
    if settings.environment == "production":
        raise ConfigurationError(f"no key ring: set security.field_keys or create {path}")
    ring = KeyRing.generate()
    save_keyring(ring, path)
    return ring


def save_keyring(ring: KeyRing, path: Path) -> None:
    """Write atomically with owner-only permissions, flushed to disk before it replaces the old."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(ring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    _fsync_directory(path.parent)


def keys_come_from_settings(settings: Settings) -> bool:
    """True when the ring is configured through settings/env, which BotFolio never rewrites."""
    return bool(settings.security.field_keys)


def add_active_key_to_file(path: Path, key_id: str | None = None) -> KeyRing:
    """Add a fresh key to the ring file and make it active; every older key stays readable.

    The read-modify-write holds an exclusive lock on a sibling lock file, so two rotations at
    once cannot each drop the other's key (which would make its ciphertexts unreadable).
    """
    if not path.is_file():
        raise ConfigurationError(f"no key-ring file at {path}")
    lock_path = path.with_suffix(".lock")
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        ring = KeyRing.from_json(path.read_text(encoding="utf-8")).with_new_active_key(key_id)
        save_keyring(ring, path)
        return ring
    finally:
        os.close(fd)


def encode_key(raw: bytes) -> str:
    """A key in the form `security.field_keys` takes (base64)."""
    return _b64(raw)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ConfigurationError("a key is not valid base64") from exc
