"""The registry of encrypted columns: every domain registers its ciphertext columns at import.

Key rotation walks this registry, so a column that is not registered is never re-encrypted and
keeps depending on its old key. Names are checked as plain SQL identifiers because rotation puts
them into statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from botfolio.errors import ConfigurationError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_registry: dict[tuple[str, str], EncryptedColumn] = {}


@dataclass(frozen=True)
class EncryptedColumn:
    """A column of FieldCipher tokens bound to (table, column, str(row's id_column))."""

    table: str
    column: str
    id_column: str = "id"

    def __post_init__(self) -> None:
        for part in (self.table, self.column, self.id_column):
            if not _IDENTIFIER.match(part):
                raise ConfigurationError(f"{part!r} is not a plain SQL identifier")

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def register_encrypted_column(table: str, column: str, id_column: str = "id") -> EncryptedColumn:
    """Register once per column; registering the same column again is harmless."""
    entry = EncryptedColumn(table, column, id_column)
    existing = _registry.get((table, column))
    if existing is not None and existing != entry:
        raise ConfigurationError(
            f"{entry.name} is already registered with id column {existing.id_column!r}"
        )
    _registry[(table, column)] = entry
    return entry


def unregister_encrypted_column(table: str, column: str) -> None:
    """For columns that are dropped (and for tests that register scratch tables)."""
    _registry.pop((table, column), None)


def encrypted_columns() -> tuple[EncryptedColumn, ...]:
    """Every registered column, in a stable order (table, then column)."""
    return tuple(_registry[key] for key in sorted(_registry))
