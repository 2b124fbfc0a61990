"""Walk-forward splits over time with an embargo, so no training label overlaps a test period.

The timestamps are cut once: the first `1 - holdout_fraction` are for development, the rest is
the final holdout. Development is split into `folds + 1` consecutive blocks; fold i trains on
blocks 0..i (an expanding window) and tests on block i + 1. Between every training set and the
period it is tested on, the last `embargo` timestamps of training are dropped: a label at t looks
`horizon` bars ahead, so with embargo = horizon no training label sees a test-period return.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from botfolio.errors import ValidationFailedError


@dataclass(frozen=True)
class TimeSplit:
    name: str
    train: pd.DatetimeIndex
    test: pd.DatetimeIndex


def walk_forward_splits(
    times: pd.DatetimeIndex, *, folds: int, embargo: int, holdout_fraction: float
) -> tuple[list[TimeSplit], TimeSplit]:
    """The validation folds and the final split (all development data vs the holdout)."""
    ordered = pd.DatetimeIndex(times.unique().sort_values())
    if not 0 < holdout_fraction < 1:
        raise ValidationFailedError("holdout_fraction must lie strictly between 0 and 1")
    cut = round(len(ordered) * (1 - holdout_fraction))
    development, holdout = ordered[:cut], ordered[cut:]
    block = len(development) // (folds + 1)
    if folds < 1 or block <= embargo or len(holdout) == 0:
        raise ValidationFailedError(
            f"{len(ordered)} timestamps are too few for {folds} folds with an embargo of "
            f"{embargo} bars and a {holdout_fraction:.0%} holdout"
        )
    splits = []
    for fold in range(folds):
        test_start = (fold + 1) * block
        test_end = test_start + block if fold < folds - 1 else len(development)
        splits.append(
            TimeSplit(
                name=f"fold {fold + 1}",
                train=development[: test_start - embargo],
                test=development[test_start:test_end],
            )
        )
    final = TimeSplit(name="holdout", train=development[: cut - embargo], test=holdout)
    return splits, final
