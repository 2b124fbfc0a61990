"""Roles and the permission matrix, kept as data so that least privilege can be read and tested.

| permission            | admin | operator | support | user | what it covers                              |
| --------------------- | :---: | :------: | :-----: | :--: | ------------------------------------------- |
| self.read             |   x   |    x     |    x    |  x   | one's own account (`GET /v1/me`)            |
| self.update           |   x   |    x     |    x    |  x   | own password, own 2FA enrollment, logout    |
| tokens.manage_own     |   x   |    x     |    x    |  x   | one's own API tokens                        |
| two_factor.disable_own|       |          |         |  x   | turning 2FA off (staff must keep it)        |
| bots.own              |       |          |         |  x   | one's own bots, orders, portfolio           |
| users.read            |   x   |          |    x    |      | user records WITHOUT personal data          |
| personal_data.read    |   x   |          |         |      | e-mail addresses and other personal data    |
| users.manage          |   x   |          |         |      | create users, disable/enable, reset 2FA     |
| roles.manage          |   x   |          |         |      | change a user's role                        |
| audit.read            |   x   |          |         |      | the audit log (carries actor ids and IPs)   |
| ops.read              |   x   |    x     |    x    |      | operational state: jobs, alerts, health     |
| ops.act               |       |    x     |         |      | operations actions: job retry, trading halt |
| models.manage         |       |    x     |         |      | prediction models: promote, roll back       |
| keys.manage           |   x   |          |         |      | field-encryption keys: rotation             |

Administrator and operator duties are separate (the operations guide asks for it): the admin
manages people, roles and keys but does not act on trading operations; the operator acts on
operations but cannot touch users, roles or keys; support only reads operational state and never
sees personal data. A user only ever reaches their own resources.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    SUPPORT = "support"
    USER = "user"


class Permission(StrEnum):
    SELF_READ = "self.read"
    SELF_UPDATE = "self.update"
    TOKENS_MANAGE_OWN = "tokens.manage_own"
    TWO_FACTOR_DISABLE_OWN = "two_factor.disable_own"
    BOTS_OWN = "bots.own"
    USERS_READ = "users.read"
    PERSONAL_DATA_READ = "personal_data.read"
    USERS_MANAGE = "users.manage"
    ROLES_MANAGE = "roles.manage"
    AUDIT_READ = "audit.read"
    OPS_READ = "ops.read"
    OPS_ACT = "ops.act"
    MODELS_MANAGE = "models.manage"
    KEYS_MANAGE = "keys.manage"


_EVERYONE = frozenset({Permission.SELF_READ, Permission.SELF_UPDATE, Permission.TOKENS_MANAGE_OWN})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _EVERYONE
    | {
        Permission.USERS_READ,
        Permission.PERSONAL_DATA_READ,
        Permission.USERS_MANAGE,
        Permission.ROLES_MANAGE,
        Permission.AUDIT_READ,
        Permission.OPS_READ,
        Permission.KEYS_MANAGE,
    },
    Role.OPERATOR: _EVERYONE | {Permission.OPS_READ, Permission.OPS_ACT, Permission.MODELS_MANAGE},
    Role.SUPPORT: _EVERYONE | {Permission.OPS_READ, Permission.USERS_READ},
    Role.USER: _EVERYONE | {Permission.TWO_FACTOR_DISABLE_OWN, Permission.BOTS_OWN},
}


def role_has(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
