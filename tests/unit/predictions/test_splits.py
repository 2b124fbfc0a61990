"""Walk-forward splits expand, keep the embargo, and never test on what they trained on."""

from __future__ import annotations

import pandas as pd
import pytest

from botfolio.errors import ValidationFailedError
from botfolio.predictions.splits import walk_forward_splits

TIMES = pd.date_range("2026-01-01", periods=1000, freq="300s", tz="UTC")


def test_walk_forward_splits_when_embargo_set_leave_a_gap_before_each_test() -> None:
    folds, final = walk_forward_splits(TIMES, folds=4, embargo=12, holdout_fraction=0.3)
    assert len(folds) == 4
    for split in [*folds, final]:
        gap = TIMES.get_loc(split.test[0]) - TIMES.get_loc(split.train[-1])
        assert gap == 13  # 12 embargoed timestamps lie between train and test
        assert split.train.max() < split.test.min()
    assert [len(f.train) for f in folds] == sorted(len(f.train) for f in folds)
    assert final.test[0] == TIMES[700] and final.test[-1] == TIMES[-1]
    assert all(f.test.max() < final.test.min() for f in folds)


def test_walk_forward_splits_when_data_too_short_is_refused() -> None:
    with pytest.raises(ValidationFailedError, match="too few"):
        walk_forward_splits(TIMES[:50], folds=4, embargo=12, holdout_fraction=0.3)
