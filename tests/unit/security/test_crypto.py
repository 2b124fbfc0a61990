"""Field encryption: round trip, binding to row and column, rotation, blind index."""

from __future__ import annotations

import pytest

from botfolio.security.crypto import DecryptionError, FieldCipher
from botfolio.security.keyring import KeyRing


def test_round_trip_and_ciphertext_hides_plaintext() -> None:
    cipher = FieldCipher(KeyRing.generate())
    token = cipher.encrypt("alice@example.com", table="users", column="email", row_id="r1")
    assert "alice" not in token
    assert cipher.decrypt(token, table="users", column="email", row_id="r1") == "alice@example.com"


def test_ciphertext_moved_to_another_row_or_column_fails() -> None:
    cipher = FieldCipher(KeyRing.generate())
    token = cipher.encrypt("secret", table="users", column="email", row_id="r1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, table="users", column="email", row_id="r2")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, table="users", column="phone", row_id="r1")


def test_old_values_readable_after_new_active_key() -> None:
    ring = KeyRing.generate()
    old = FieldCipher(ring).encrypt("v", table="t", column="c", row_id="1")
    rotated = FieldCipher(ring.with_new_active_key("k2"))
    assert rotated.needs_rotation(old)
    assert rotated.decrypt(old, table="t", column="c", row_id="1") == "v"
    assert not rotated.needs_rotation(rotated.encrypt("v", table="t", column="c", row_id="1"))


def test_blind_index_is_normalised_and_keyed() -> None:
    a, b = FieldCipher(KeyRing.generate()), FieldCipher(KeyRing.generate())
    assert a.blind_index(" Alice@Example.COM", purpose="email") == a.blind_index(
        "alice@example.com", purpose="email"
    )
    assert a.blind_index("alice@example.com", purpose="email") != b.blind_index(
        "alice@example.com", purpose="email"
    )


def test_decrypt_when_key_id_unknown_reloads_ring_once() -> None:
    """A process started before a rotation reads values written under the new key."""
    old_ring = KeyRing.generate()
    new_ring = old_ring.with_new_active_key("k2")
    token = FieldCipher(new_ring).encrypt("v", table="t", column="c", row_id="1")
    reloads: list[int] = []

    def _reload() -> KeyRing:
        reloads.append(1)
        return new_ring

    stale = FieldCipher(old_ring, reload=_reload)

    assert stale.decrypt(token, table="t", column="c", row_id="1") == "v"
    assert stale.ring.active_key_id == "k2"
    assert len(reloads) == 1


def test_decrypt_when_key_id_unknown_even_after_reload_fails() -> None:
    ring = KeyRing.generate()
    token = FieldCipher(ring.with_new_active_key("k9")).encrypt(
        "v", table="t", column="c", row_id="1"
    )

    with pytest.raises(DecryptionError):
        FieldCipher(ring, reload=lambda: ring).decrypt(token, table="t", column="c", row_id="1")
