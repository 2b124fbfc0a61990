"""Access-log paths never keep secret query values."""

from __future__ import annotations

import pytest

from botfolio.audit.access import REDACTED, redact_path


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("/bots", "/bots"),
        ("/bots?limit=5", "/bots?limit=5"),
        ("/login?next=/bots#section", "/login?next=/bots"),
        ("/reset?token=abc", f"/reset?token={REDACTED}"),
        (
            "/x?Password=p&PASSWD=q&client_secret=s",
            f"/x?Password={REDACTED}&PASSWD={REDACTED}&client_secret={REDACTED}",
        ),
        ("/cb?code=oauth&state=1", f"/cb?code={REDACTED}&state=1"),
        ("/x?apiKey=k&signature=s", f"/x?apiKey={REDACTED}&signature={REDACTED}"),
        (
            "/x?access_token=a&refresh_token=b",
            f"/x?access_token={REDACTED}&refresh_token={REDACTED}",
        ),
        ("/x?pass%77ord=hidden", f"/x?password={REDACTED}"),
        ("/x?next=/reset?token%3Dabc", f"/x?next={REDACTED}"),
        ("//evil?token=t", f"//evil?token={REDACTED}"),
    ],
)
def test_redact_path_when_query_given_keeps_only_safe_values(raw: str, stored: str) -> None:
    assert redact_path(raw) == stored


def test_redact_path_when_secret_appears_only_as_value_keeps_it_out_of_names() -> None:
    stored = redact_path("/search?q=hello&token")

    assert stored == f"/search?q=hello&token={REDACTED}"
