"""Accounts, roles and permissions, TOTP 2FA, sessions and API tokens, and the route guards."""
