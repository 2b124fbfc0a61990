"""The key-ring file: rotation adds a key atomically and never loses one, even when raced."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from botfolio.errors import ConfigurationError
from botfolio.security.keyring import KeyRing, add_active_key_to_file, save_keyring


def test_add_active_key_to_file_when_ring_exists_keeps_old_keys(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keyring.json"
    ring = KeyRing.generate()
    save_keyring(ring, path)

    rotated = add_active_key_to_file(path, "k2")

    on_disk = KeyRing.from_json(path.read_text())
    assert on_disk == rotated
    assert on_disk.active_key_id == "k2"
    assert on_disk.keys["k1"] == ring.keys["k1"]
    assert on_disk.blind_index_key == ring.blind_index_key
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not path.with_suffix(".tmp").exists()


def test_add_active_key_to_file_when_raced_keeps_every_key(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    save_keyring(KeyRing.generate(), path)

    with ThreadPoolExecutor(max_workers=4) as pool:
        added = list(pool.map(lambda n: add_active_key_to_file(path, f"k{n + 2}"), range(8)))

    on_disk = KeyRing.from_json(path.read_text())
    assert set(on_disk.keys) == {"k1"} | {ring.active_key_id for ring in added}
    assert len(on_disk.keys) == 9


def test_add_active_key_to_file_when_missing_refuses(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        add_active_key_to_file(tmp_path / "absent.json")

    assert not (tmp_path / "absent.json").exists()
