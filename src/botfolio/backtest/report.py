"""The backtest report as plain JSON: settings, statistics against buy-and-hold, trades, curves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from botfolio.backtest.engine import BacktestResult
from botfolio.backtest.fills import Fill
from botfolio.backtest.metrics import drawdown

REPORT_FORMAT = 1


def report_dict(result: BacktestResult, *, model_id: str | None = None) -> dict[str, Any]:
    config = result.config
    return {
        "format": REPORT_FORMAT,
        "model_id": model_id,
        "symbols": result.symbols,
        "timeframe": config.timeframe,
        "start": result.times[0].isoformat(),
        "end": result.times[-1].isoformat(),
        "candles": result.candles,
        "decisions": result.decisions,
        "settings": {
            "initial_cash": str(config.initial_cash),
            "rebalance_every": config.rebalance_every,
            "fee_rate": str(config.fills.fee_rate),
            "slippage_bps": str(config.fills.slippage_bps),
            "allocation": {
                "method": config.policy.method.value,
                "top_k": config.policy.top_k,
                "max_weight": str(config.policy.max_weight),
                "cash_buffer": str(config.policy.cash_buffer),
                "min_score": config.policy.min_score,
            },
        },
        "risk": {
            "limits": result.config.limits.model_dump(mode="json"),
            "denied_orders": result.denials,
            "denied_by_check": result.denied_by_check,
            "halted_at": result.halted_at.isoformat() if result.halted_at else None,
            "halt_reason": result.halt_reason,
        },
        "realised_pnl": str(result.realised_pnl),
        "fees": str(result.fees),
        "strategy": result.strategy.as_dict(),
        "buy_and_hold": result.buy_and_hold.as_dict(),
        "trades": [_trade(f) for f in result.fills],
        "equity_curve": {
            "time": [t.isoformat() for t in result.times],
            "equity": _floats(result.equity),
            "drawdown": _floats(drawdown(result.equity)),
            "buy_and_hold": _floats(result.benchmark_equity),
        },
    }


def _trade(fill: Fill) -> dict[str, str]:
    return {
        "time": fill.filled_at.isoformat(),
        "symbol": fill.symbol,
        "side": fill.side.value,
        "amount": str(fill.amount),
        "price": str(fill.price),
        "fee": str(fill.fee),
    }


def _floats(values: np.ndarray) -> list[float]:
    return [round(v, 10) for v in values.tolist()]


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, allow_nan=False) + "\n", encoding="utf-8")
