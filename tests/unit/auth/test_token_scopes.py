"""API token scopes must be a subset of the owner's role, and shrink with the role."""

from __future__ import annotations

from datetime import UTC, datetime

from botfolio.auth.models import ApiToken
from botfolio.auth.permissions import Permission, Role
from botfolio.auth.principal import AuthMethod, Principal
from botfolio.auth.tokens import effective_scopes, scopes_outside_role


def test_scopes_outside_role_when_subset_is_empty() -> None:
    assert scopes_outside_role(Role.USER, [Permission.SELF_READ, Permission.BOTS_OWN]) == []


def test_scopes_outside_role_when_beyond_role_lists_the_excess() -> None:
    excess = scopes_outside_role(Role.SUPPORT, [Permission.OPS_READ, Permission.OPS_ACT])
    assert excess == [Permission.OPS_ACT]


def test_effective_scopes_when_owner_demoted_drops_what_the_role_lost() -> None:
    token = ApiToken(
        scopes=["ops.act", "ops.read", "self.read", "retired.permission"],
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert effective_scopes(token, Role.OPERATOR) == {
        Permission.OPS_ACT,
        Permission.OPS_READ,
        Permission.SELF_READ,
    }
    assert effective_scopes(token, Role.SUPPORT) == {Permission.OPS_READ, Permission.SELF_READ}


def test_principal_can_when_token_lacks_scope_refuses_even_if_role_allows() -> None:
    principal = Principal(
        user_id="u1",
        role=Role.ADMIN,
        two_factor_enabled=True,
        method=AuthMethod.BEARER,
        source_ip=None,
        token_scopes=frozenset({Permission.SELF_READ}),
    )
    assert principal.can(Permission.SELF_READ)
    assert not principal.can(Permission.USERS_READ)
