"""`botfolio keys status | rotate` against the test database, through Typer's runner in-process.

In-process because the scratch table is registered in this process's registry (domains register
their columns when their models are imported).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from botfolio.audit.models import AuditEvent
from botfolio.cli.main import app
from botfolio.config import get_settings
from botfolio.db.database import Database
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing, encode_key, save_keyring
from botfolio.security.registry import register_encrypted_column, unregister_encrypted_column

from .scratch import SCRATCH, create_scratch, drop_scratch, plaintext_of, stored_values

ROWS = 60
KEYRING_FILE = Path("var/secrets/keyring.json")  # the default, relative to the working directory


@pytest.fixture
def workdir(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    register_encrypted_column(SCRATCH.table, SCRATCH.column, SCRATCH.id_column)
    yield tmp_path
    unregister_encrypted_column(SCRATCH.table, SCRATCH.column)
    get_settings.cache_clear()
    asyncio.run(_with_db(db_url, drop_scratch))


async def _with_db(db_url: str, work, *args):  # type: ignore[no-untyped-def]
    db = Database(db_url)
    try:
        return await work(db, *args)
    finally:
        await db.dispose()


def _invoke(db_url: str, *args: str, extra_env: dict[str, str] | None = None) -> Result:
    env = {"BOTFOLIO_DATABASE__URL": db_url, "BOTFOLIO_LOG__LEVEL": "WARNING", "COLUMNS": "200"}
    return CliRunner().invoke(app, ["keys", *args], env={**env, **(extra_env or {})})


async def _keys_rotated_events(db: Database) -> list[AuditEvent]:
    async with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.action == "keys.rotated")
        return list((await session.scalars(query)).all())


def test_keys_rotate_when_ring_in_file_adds_key_reencrypts_and_audits(
    db_url: str, workdir: Path
) -> None:
    ring = KeyRing.generate()
    save_keyring(ring, workdir / KEYRING_FILE)
    asyncio.run(_with_db(db_url, create_scratch, FieldCipher(ring), ROWS))

    rotated = _invoke(db_url, "rotate", "--batch-size", "25")
    status = _invoke(db_url, "status")

    new_ring = KeyRing.from_json((workdir / KEYRING_FILE).read_text())
    cipher = FieldCipher(new_ring)
    values = asyncio.run(_with_db(db_url, stored_values))
    events = asyncio.run(_with_db(db_url, _keys_rotated_events))
    assert rotated.exit_code == 0, rotated.output
    assert set(new_ring.keys) == {"k1", new_ring.active_key_id}
    assert new_ring.keys["k1"] == ring.keys["k1"]
    assert oct((workdir / KEYRING_FILE).stat().st_mode & 0o777) == "0o600"
    assert {cipher.key_id_of(v) for v in values.values() if v} == {new_ring.active_key_id}
    assert all(
        cipher.decrypt(v, table=SCRATCH.table, column=SCRATCH.column, row_id=k)
        == plaintext_of(int(k[1:]))
        for k, v in values.items()
        if v
    )
    assert f"re-encrypted {ROWS} values under {new_ring.active_key_id}" in rotated.output
    assert len(events) == 1
    assert events[0].details["reencrypted"][SCRATCH.name] == ROWS
    assert status.exit_code == 0, status.output
    assert f"active key: {new_ring.active_key_id}" in status.output
    assert SCRATCH.name in status.output


def _settings_env(ring: KeyRing) -> dict[str, str]:
    return {
        "BOTFOLIO_SECURITY__FIELD_KEYS": json.dumps(
            {kid: encode_key(key) for kid, key in ring.keys.items()}
        ),
        "BOTFOLIO_SECURITY__ACTIVE_KEY_ID": ring.active_key_id,
        "BOTFOLIO_SECURITY__BLIND_INDEX_KEY": encode_key(ring.blind_index_key),
    }


def test_keys_rotate_when_keys_from_settings_refuses_and_prints_instructions(
    db_url: str, workdir: Path
) -> None:
    ring = KeyRing.generate()
    asyncio.run(_with_db(db_url, create_scratch, FieldCipher(ring), 5))
    before = asyncio.run(_with_db(db_url, stored_values))

    result = _invoke(db_url, "rotate", extra_env=_settings_env(ring))

    assert result.exit_code == 1
    assert "BOTFOLIO_SECURITY__ACTIVE_KEY_ID=" in result.output
    assert "keys rotate --reencrypt-only" in result.output
    assert encode_key(ring.keys["k1"]) not in result.output  # existing keys never printed
    assert not (workdir / KEYRING_FILE).exists()
    assert asyncio.run(_with_db(db_url, stored_values)) == before


def test_keys_rotate_reencrypt_only_when_active_key_switched_in_settings(
    db_url: str, workdir: Path
) -> None:
    ring = KeyRing.generate()
    asyncio.run(_with_db(db_url, create_scratch, FieldCipher(ring), 7))
    switched = ring.with_new_active_key("k2")

    result = _invoke(db_url, "rotate", "--reencrypt-only", extra_env=_settings_env(switched))

    values = asyncio.run(_with_db(db_url, stored_values))
    assert result.exit_code == 0, result.output
    assert {FieldCipher(switched).key_id_of(v) for v in values.values() if v} == {"k2"}
    assert not (workdir / KEYRING_FILE).exists()
