"""Canary routing: the share of bots is within tolerance, and a bot always lands on the same side."""

from __future__ import annotations

from botfolio.predictions.canary import canary_bucket, routes_to_canary

BOTS = [f"bot-{i:05d}" for i in range(10_000)]


def test_routes_to_canary_when_share_is_20_percent_of_10000_bots_picks_20_percent_within_2_points() -> (
    None
):
    chosen = sum(routes_to_canary("default", bot, 0.2) for bot in BOTS)

    assert abs(chosen / len(BOTS) - 0.2) <= 0.02


def test_routes_to_canary_when_asked_again_answers_the_same_for_every_bot() -> None:
    first = [routes_to_canary("default", bot, 0.2) for bot in BOTS]
    again = [routes_to_canary("default", bot, 0.2) for bot in BOTS]

    assert first == again


def test_routes_to_canary_when_share_grows_keeps_earlier_canary_bots_on_the_canary() -> None:
    small = {bot for bot in BOTS if routes_to_canary("default", bot, 0.1)}
    large = {bot for bot in BOTS if routes_to_canary("default", bot, 0.3)}

    assert small <= large


def test_routes_to_canary_when_share_is_zero_or_one_routes_none_or_all() -> None:
    assert not any(routes_to_canary("default", bot, 0.0) for bot in BOTS[:100])
    assert all(routes_to_canary("default", bot, 1.0) for bot in BOTS[:100])


def test_canary_bucket_when_family_differs_splits_bots_independently() -> None:
    same_side = sum(
        (canary_bucket("a", bot) < 0.5) == (canary_bucket("b", bot) < 0.5) for bot in BOTS
    )

    assert 0.45 <= same_side / len(BOTS) <= 0.55
