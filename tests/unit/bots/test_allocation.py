"""Allocation: long-only top-k and score-weighted weights, caps, cash buffer, rebalance drafts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from botfolio.bots.allocation import (
    AllocationMethod,
    AllocationPolicy,
    rebalance_orders,
    target_weights,
)
from botfolio.exchanges.port import OrderSide


def test_top_k_when_scores_mixed_keeps_best_positive_equal_weights() -> None:
    policy = AllocationPolicy(top_k=2, max_weight=Decimal("1"), cash_buffer=Decimal("0.1"))

    weights = target_weights({"A": 0.03, "B": -0.01, "C": 0.02, "D": 0.001}, policy)

    assert weights == {"A": Decimal("0.45"), "C": Decimal("0.45")}


def test_score_weighted_is_proportional_and_capped() -> None:
    policy = AllocationPolicy(
        method=AllocationMethod.SCORE_WEIGHTED,
        top_k=3,
        max_weight=Decimal("0.5"),
        cash_buffer=Decimal(0),
    )

    weights = target_weights({"A": 0.03, "B": 0.01}, policy)

    assert weights["A"] == Decimal("0.5")  # 0.75 capped; the excess stays in cash
    assert weights["B"] == Decimal("0.25")


def test_no_positive_or_finite_score_means_all_cash() -> None:
    assert (
        target_weights({"A": -0.1, "B": float("nan"), "C": float("inf")}, AllocationPolicy()) == {}
    )


def test_rebalance_sells_first_and_respects_steps_and_minimum() -> None:
    drafts = rebalance_orders(
        {"ETH/BTC": Decimal("0.5")},
        {"LTC/BTC": Decimal("10"), "ETH/BTC": Decimal("0")},
        {"ETH/BTC": Decimal("0.05"), "LTC/BTC": Decimal("0.01")},
        cash=Decimal("0.9"),
        amount_steps={"ETH/BTC": Decimal("0.001"), "LTC/BTC": Decimal("0.01")},
        min_notional=Decimal("0.001"),
    )

    assert [(d.symbol, d.side) for d in drafts] == [
        ("LTC/BTC", OrderSide.SELL),
        ("ETH/BTC", OrderSide.BUY),
    ]
    assert drafts[0].amount == Decimal("10")
    assert drafts[1].amount == Decimal("10")  # half of 1.0 BTC equity at 0.05


def test_rebalance_when_already_on_target_does_nothing() -> None:
    drafts = rebalance_orders(
        {"ETH/BTC": Decimal("0.5")},
        {"ETH/BTC": Decimal("10")},
        {"ETH/BTC": Decimal("0.05")},
        cash=Decimal("0.5"),
        amount_steps={"ETH/BTC": Decimal("0.001")},
        min_notional=Decimal("0.0001"),
    )
    assert drafts == []


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="top_k"):
        AllocationPolicy(top_k=0)


def test_rebalance_full_exit_never_sells_more_than_held() -> None:
    holding = Decimal("0.1234567890123456789012345678")
    drafts = rebalance_orders(
        {},
        {"ETH/BTC": holding},
        {"ETH/BTC": Decimal("0.0512345678901234567890123")},
        cash=Decimal("0.3"),
        amount_steps={},
    )

    assert [(d.side, d.amount) for d in drafts] == [(OrderSide.SELL, holding)]
