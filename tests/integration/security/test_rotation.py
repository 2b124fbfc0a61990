"""Rotation re-encrypts a registered column under the active key, online, idempotently."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from botfolio.db.database import Database
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing
from botfolio.security.registry import (
    EncryptedColumn,
    register_encrypted_column,
    unregister_encrypted_column,
)
from botfolio.security.rotation import (
    RotationProgress,
    key_usage,
    reencrypt_all,
    reencrypt_column,
)

from .scratch import SCRATCH, create_scratch, drop_scratch, plaintext_of, stored_values

ROWS = 130


@pytest.fixture
async def old_cipher(db: Database, keyring: KeyRing) -> AsyncIterator[FieldCipher]:
    cipher = FieldCipher(keyring)
    await create_scratch(db, cipher, ROWS, nulls=3)
    register_encrypted_column(SCRATCH.table, SCRATCH.column, SCRATCH.id_column)
    yield cipher
    unregister_encrypted_column(SCRATCH.table, SCRATCH.column)
    await drop_scratch(db)


def _decrypt_all(cipher: FieldCipher, values: dict[str, str | None]) -> dict[str, str]:
    return {
        row_id: cipher.decrypt(token, table=SCRATCH.table, column=SCRATCH.column, row_id=row_id)
        for row_id, token in values.items()
        if token is not None
    }


async def test_reencrypt_all_when_new_key_active_moves_every_value_and_keeps_plaintext(
    db: Database, old_cipher: FieldCipher
) -> None:
    new_cipher = FieldCipher(old_cipher.ring.with_new_active_key("k2"))
    seen: list[RotationProgress] = []

    report = await reencrypt_all(db, new_cipher, batch_size=40, on_progress=seen.append)

    values = await stored_values(db)
    ours = next(c for c in report.columns if c.column == SCRATCH)
    assert ours.reencrypted == ROWS
    assert ours.failed == 0
    assert all(new_cipher.key_id_of(v) == "k2" for v in values.values() if v is not None)
    assert sum(v is None for v in values.values()) == 3
    assert _decrypt_all(new_cipher, values) == {f"r{n:04d}": plaintext_of(n) for n in range(ROWS)}
    scratch_progress = [p for p in seen if p.column == SCRATCH]
    assert [p.done for p in scratch_progress] == [40, 80, 120, 130]
    assert {p.total for p in scratch_progress} == {ROWS}


async def test_key_usage_when_half_rotated_counts_values_per_key(
    db: Database, old_cipher: FieldCipher
) -> None:
    new_cipher = FieldCipher(old_cipher.ring.with_new_active_key("k2"))

    class _Stop(Exception):
        pass

    def _stop_after_first_batch(progress: RotationProgress) -> None:
        raise _Stop

    with pytest.raises(_Stop):
        await reencrypt_column(
            db, new_cipher, SCRATCH, batch_size=50, on_progress=_stop_after_first_batch
        )
    half = await key_usage(db, new_cipher, [SCRATCH])
    resumed = await reencrypt_column(db, new_cipher, SCRATCH, batch_size=50)
    done = await key_usage(db, new_cipher, [SCRATCH])

    assert half[SCRATCH] == {"k1": ROWS - 50, "k2": 50}
    assert resumed.reencrypted == ROWS - 50
    assert done[SCRATCH] == {"k1": 0, "k2": ROWS}


async def test_reencrypt_column_when_run_again_changes_nothing(
    db: Database, old_cipher: FieldCipher
) -> None:
    new_cipher = FieldCipher(old_cipher.ring.with_new_active_key("k2"))
    await reencrypt_column(db, new_cipher, SCRATCH)
    before = await stored_values(db)

    again = await reencrypt_column(db, new_cipher, SCRATCH)

    assert again.reencrypted == 0
    assert await stored_values(db) == before


async def test_reencrypt_column_when_value_undecryptable_reports_it_and_rotates_the_rest(
    db: Database, old_cipher: FieldCipher
) -> None:
    moved = old_cipher.encrypt("x", table=SCRATCH.table, column=SCRATCH.column, row_id="r0001")
    async with db.transaction() as session:  # a ciphertext copied from another row
        await session.execute(
            text(f"UPDATE {SCRATCH.table} SET {SCRATCH.column} = :v WHERE id = 'r0002'"),  # noqa: S608
            {"v": moved},
        )
    new_cipher = FieldCipher(old_cipher.ring.with_new_active_key("k2"))

    outcome = await reencrypt_column(db, new_cipher, SCRATCH, batch_size=16)

    assert (outcome.reencrypted, outcome.failed, outcome.failed_row_ids) == (ROWS - 1, 1, ["r0002"])


async def test_reencrypt_column_when_old_key_is_active_again_rotates_back(
    db: Database, old_cipher: FieldCipher
) -> None:
    """--reencrypt-only after an operator switched the active key back through settings."""
    ring = old_cipher.ring.with_new_active_key("k2")
    await reencrypt_column(db, FieldCipher(ring), SCRATCH)
    back = FieldCipher(
        KeyRing(keys=ring.keys, active_key_id="k1", blind_index_key=ring.blind_index_key)
    )

    outcome = await reencrypt_column(db, back, SCRATCH)

    assert outcome.reencrypted == ROWS
    assert (await key_usage(db, back, [SCRATCH]))[SCRATCH] == {"k1": ROWS, "k2": 0}


async def test_reencrypt_column_when_id_column_is_integer_named_pk_binds_to_it(
    db: Database, keyring: KeyRing
) -> None:
    spec = EncryptedColumn("zz_rotation_int_ids", "phone_encrypted", id_column="pk")
    cipher = FieldCipher(keyring)
    async with db.transaction() as session:
        await session.execute(text(f"DROP TABLE IF EXISTS {spec.table}"))
        await session.execute(
            text(f"CREATE TABLE {spec.table} (pk INTEGER PRIMARY KEY, {spec.column} TEXT)")
        )
        for pk in (2, 10, 11):  # 10 sorts before 2 as text: ordering must stay numeric
            token = cipher.encrypt(
                f"+8210{pk}", table=spec.table, column=spec.column, row_id=str(pk)
            )
            await session.execute(
                text(f"INSERT INTO {spec.table} (pk, {spec.column}) VALUES (:pk, :v)"),  # noqa: S608
                {"pk": pk, "v": token},
            )
    new_cipher = FieldCipher(keyring.with_new_active_key("k2"))
    try:
        outcome = await reencrypt_column(db, new_cipher, spec, batch_size=1)
        usage = await key_usage(db, new_cipher, [spec])
    finally:
        async with db.transaction() as session:
            await session.execute(text(f"DROP TABLE IF EXISTS {spec.table}"))

    assert (outcome.reencrypted, outcome.failed) == (3, 0)
    assert usage[spec] == {"k1": 0, "k2": 3}
