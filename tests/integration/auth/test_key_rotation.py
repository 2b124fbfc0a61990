"""After a key rotation re-encrypts the auth columns, e-mail look-up, 2FA login and the e-mail in
`/v1/me` keep working, and no value is left under the old key."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from botfolio.auth.models import EMAIL_COLUMN, TOTP_SECRET_COLUMN, TotpCredential, User
from botfolio.auth.permissions import Role
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.registry import encrypted_columns
from botfolio.security.rotation import reencrypt_all


async def test_login_when_keys_rotated_still_finds_user_and_checks_totp(
    runtime: Runtime, client: httpx.AsyncClient, make_member, log_in
) -> None:
    member = await make_member(Role.OPERATOR)
    rotated = FieldCipher(runtime.cipher.ring.with_new_active_key())

    report = await reencrypt_all(runtime.db, rotated, columns=[EMAIL_COLUMN, TOTP_SECRET_COLUMN])
    runtime.cipher = rotated
    response = await log_in(member)
    me = await client.get("/v1/me")

    assert {EMAIL_COLUMN, TOTP_SECRET_COLUMN} <= set(encrypted_columns())
    assert report.reencrypted == 2
    assert response.status_code == 200, response.text
    assert me.json()["email"] == member.email
    async with runtime.db.session() as session:
        stored = [
            *(await session.execute(select(User.email_encrypted))).scalars(),
            *(await session.execute(select(TotpCredential.secret_encrypted))).scalars(),
        ]
    assert stored and all(rotated.key_id_of(v) == rotated.ring.active_key_id for v in stored)
