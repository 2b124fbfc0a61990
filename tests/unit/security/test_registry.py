"""The encrypted-column registry: idempotent registration, conflicts and unsafe names refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botfolio.errors import ConfigurationError
from botfolio.security.registry import (
    EncryptedColumn,
    encrypted_columns,
    register_encrypted_column,
    unregister_encrypted_column,
)


@pytest.fixture
def scratch_names() -> Iterator[list[tuple[str, str]]]:
    names: list[tuple[str, str]] = []
    yield names
    for table, column in names:
        unregister_encrypted_column(table, column)


def test_register_when_repeated_keeps_one_entry(scratch_names: list[tuple[str, str]]) -> None:
    scratch_names.append(("zz_scratch", "secret"))

    first = register_encrypted_column("zz_scratch", "secret")
    again = register_encrypted_column("zz_scratch", "secret")

    assert first == again == EncryptedColumn("zz_scratch", "secret", "id")
    assert encrypted_columns().count(first) == 1


def test_register_when_same_column_other_id_column_refused(
    scratch_names: list[tuple[str, str]],
) -> None:
    scratch_names.append(("zz_scratch", "secret"))
    register_encrypted_column("zz_scratch", "secret")

    with pytest.raises(ConfigurationError):
        register_encrypted_column("zz_scratch", "secret", id_column="pk")


@pytest.mark.parametrize("bad", ["users; drop table users", "a.b", "", "1abc", 'x"y'])
def test_register_when_name_not_identifier_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        register_encrypted_column(bad, "secret")
    with pytest.raises(ConfigurationError):
        register_encrypted_column("zz_scratch", "secret", id_column=bad)

    assert all(spec.table != bad for spec in encrypted_columns())


def test_encrypted_columns_when_several_registered_sorted_by_table_and_column(
    scratch_names: list[tuple[str, str]],
) -> None:
    scratch_names.extend([("zz_b", "x"), ("zz_a", "y"), ("zz_a", "b")])
    for table, column in scratch_names:
        register_encrypted_column(table, column)

    ours = [spec.name for spec in encrypted_columns() if spec.table.startswith("zz_")]

    assert ours == ["zz_a.b", "zz_a.y", "zz_b.x"]
