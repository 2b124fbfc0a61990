"""AES-256-GCM field encryption bound to (table, column, row id), and keyed blind indexes.

A stored value reads `v1:<key id>:<base64(nonce || ciphertext+tag)>`; the key id lets old values
be read after rotation while new ones use the active key. Binding to the row and column (associated
data) means a ciphertext copied into another row or column fails to decrypt instead of leaking.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from botfolio.errors import OperationalError
from botfolio.security.keyring import KeyRing

VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(OperationalError):
    code = "decryption_failed"


class FieldCipher:
    """`reload`, when given, re-reads the ring once on an unknown key id: a process started
    before a rotation can then read values written under the new key without a restart."""

    def __init__(self, ring: KeyRing, *, reload: Callable[[], KeyRing] | None = None) -> None:
        self.ring = ring
        self._reload = reload

    def encrypt(self, plaintext: str, *, table: str, column: str, row_id: str) -> str:
        key_id = self.ring.active_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.ring.keys[key_id]).encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(table, column, row_id)
        )
        return f"{VERSION}:{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, *, table: str, column: str, row_id: str) -> str:
        key_id, blob = _split(token)
        key = self.ring.keys.get(key_id)
        if key is None and self._reload is not None:
            self.ring = self._reload()
            key = self.ring.keys.get(key_id)
        if key is None:
            raise DecryptionError(f"unknown key id {key_id!r} for {table}.{column}")
        raw = base64.b64decode(blob)
        try:
            plain = AESGCM(key).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(table, column, row_id)
            )
        except InvalidTag as exc:
            raise DecryptionError(f"{table}.{column} of row {row_id} fails authentication") from exc
        return plain.decode("utf-8")

    def key_id_of(self, token: str) -> str:
        return _split(token)[0]

    def needs_rotation(self, token: str) -> bool:
        return self.key_id_of(token) != self.ring.active_key_id

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A keyed hash for equality look-ups (e.g. login by e-mail) without storing plaintext."""
        normalized = unicodedata.normalize("NFKC", value).strip().casefold()
        message = f"{purpose}\x00{normalized}".encode()
        return hmac.new(self.ring.blind_index_key, message, hashlib.sha256).hexdigest()


def _associated_data(table: str, column: str, row_id: str) -> bytes:
    return f"botfolio:{table}.{column}:{row_id}".encode()


def _split(token: str) -> tuple[str, str]:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError("not a BotFolio ciphertext")
    return parts[1], parts[2]
