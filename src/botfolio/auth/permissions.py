"""Roles and the permission matrix, kept as data (least privilege). Contract stub: the auth work
completes the list of permissions and the matrix."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    SUPPORT = "support"
    USER = "user"


class Permission(StrEnum):
    SELF_READ = "self.read"
