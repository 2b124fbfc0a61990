"""POST /v1/backtests on the real app (SQLite and PostgreSQL): stored candles, champion model."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from botfolio.api.app import create_app
from botfolio.audit.service import Actor
from botfolio.auth import sessions, users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.market.candles import frame_to_candles
from botfolio.market.repository import SeriesKey, upsert_candles
from botfolio.predictions import registry
from botfolio.predictions.models import ModelState
from botfolio.runtime import Runtime

from .conftest import SYMBOLS, Market

VENUE = "synthetic"
OPERATOR = Actor(user_id="00000000-0000-7000-8000-000000000001", source_ip="127.0.0.1")


@pytest.fixture
async def client(runtime: Runtime, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    runtime.clock = clock
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _sign_in(runtime: Runtime, client: httpx.AsyncClient) -> dict[str, str]:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        created = await users.create_user(
            session, ctx, email="trader@example.com", role=Role.USER,
            password="correct horse battery staple", actor=Actor.system(),
        )  # fmt: skip
        issued = await sessions.issue_session(
            session, ctx, created.user, ip="127.0.0.1", user_agent="t"
        )
    client.cookies.set(sessions.SESSION_COOKIE, issued.token)
    return {sessions.CSRF_HEADER: issued.csrf_token}


async def _store(runtime: Runtime, market: Market, *, champion: bool) -> None:
    async with runtime.db.transaction() as session:
        for symbol, frame in market.frames.items():
            await upsert_candles(session, SeriesKey(VENUE, symbol, "5m"), frame_to_candles(frame))
        version = await registry.register_version(
            session, runtime.clock, artifact_dir=market.model_dir, actor=OPERATOR
        )
        if champion:
            await registry.promote(
                session, runtime.clock, version.id, to=ModelState.CHAMPION, actor=OPERATOR
            )


async def test_post_backtest_when_user_asks_answers_the_report_against_buy_and_hold(
    runtime: Runtime, client: httpx.AsyncClient, market: Market
) -> None:
    await _store(runtime, market, champion=True)
    headers = await _sign_in(runtime, client)
    start = market.frames["AAA/BTC"].index[450].isoformat()

    answer = await client.post(
        "/v1/backtests",
        json={"venue": VENUE, "symbols": list(SYMBOLS), "start": start, "include_curve": False,
              "allocation": {"top_k": 2}, "limits": {"max_drawdown_pct": "50"}},
        headers=headers,
    )  # fmt: skip

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["start"] == start and report["candles"] == 450 * 4
    assert report["settings"]["allocation"]["top_k"] == 2
    assert report["risk"]["limits"]["max_drawdown_pct"] == "50"
    assert {"cagr", "sharpe", "sortino", "max_drawdown", "turnover"} <= set(report["strategy"])
    assert report["buy_and_hold"]["turnover"] > 0
    assert "equity_curve" not in report


async def test_post_backtest_when_no_champion_or_no_candles_is_not_found(
    runtime: Runtime, client: httpx.AsyncClient, market: Market
) -> None:
    await _store(runtime, market, champion=False)
    headers = await _sign_in(runtime, client)

    no_model = await client.post(
        "/v1/backtests", json={"venue": VENUE, "symbols": ["AAA/BTC"]}, headers=headers
    )
    no_data = await client.post(
        "/v1/backtests", json={"venue": VENUE, "symbols": ["ZZZ/BTC"]}, headers=headers
    )

    assert no_model.status_code == 404 and "champion" in no_model.text
    assert no_data.status_code == 404 and "ZZZ/BTC" in no_data.text


async def test_post_backtest_when_body_invalid_or_signed_out_is_refused(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    signed_out = await client.post("/v1/backtests", json={"venue": VENUE, "symbols": ["A/B"]})
    headers = await _sign_in(runtime, client)
    bad = await client.post(
        "/v1/backtests",
        json={"venue": VENUE, "symbols": ["AAA/BTC"], "fee_rate": "0.5", "surprise": 1},
        headers=headers,
    )

    assert signed_out.status_code == 401
    assert bad.status_code == 422
