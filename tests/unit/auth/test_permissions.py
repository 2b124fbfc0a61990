"""The permission matrix keeps least privilege: the properties the operations guide asks for."""

from __future__ import annotations

from botfolio.auth.permissions import ROLE_PERMISSIONS, Permission, Role

P = Permission


def test_matrix_when_read_covers_every_role_and_only_known_permissions() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted == set(Permission)


def test_support_when_checked_reads_operations_but_no_personal_data() -> None:
    support = ROLE_PERMISSIONS[Role.SUPPORT]
    assert P.OPS_READ in support
    assert not support & {P.PERSONAL_DATA_READ, P.AUDIT_READ, P.OPS_ACT, P.USERS_MANAGE}


def test_operator_when_checked_acts_on_operations_but_not_users_roles_or_keys() -> None:
    operator = ROLE_PERMISSIONS[Role.OPERATOR]
    assert {P.OPS_READ, P.OPS_ACT} <= operator
    assert not operator & {P.USERS_MANAGE, P.ROLES_MANAGE, P.KEYS_MANAGE, P.PERSONAL_DATA_READ}


def test_admin_when_checked_manages_users_roles_and_keys_but_not_operations() -> None:
    admin = ROLE_PERMISSIONS[Role.ADMIN]
    assert {P.USERS_MANAGE, P.ROLES_MANAGE, P.KEYS_MANAGE, P.USERS_READ} <= admin
    assert P.OPS_ACT not in admin


def test_user_when_checked_reaches_only_own_resources() -> None:
    assert ROLE_PERMISSIONS[Role.USER] == {
        P.SELF_READ,
        P.SELF_UPDATE,
        P.TOKENS_MANAGE_OWN,
        P.TWO_FACTOR_DISABLE_OWN,
        P.BOTS_OWN,
    }


def test_staff_when_checked_cannot_turn_two_factor_off() -> None:
    for role in (Role.ADMIN, Role.OPERATOR, Role.SUPPORT):
        assert P.TWO_FACTOR_DISABLE_OWN not in ROLE_PERMISSIONS[role]
