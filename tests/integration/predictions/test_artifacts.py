"""Artifacts round-trip exactly, and a model whose text no longer matches its sha256 is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from botfolio.market.candles import numeric_frame
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions.artifacts import (
    METADATA_FILE,
    MODEL_FILE,
    ArtifactIntegrityError,
    load_artifact,
    save_artifact,
)
from botfolio.predictions.features import FEATURE_NAMES, FEATURE_SET, compute_features
from botfolio.predictions.training import (
    TrainingConfig,
    TrainingResult,
    default_lightgbm_params,
    train_walk_forward,
)

SYMBOLS = ("AAA/USDT", "BBB/USDT", "CCC/USDT", "DDD/USDT")


@pytest.fixture(scope="module")
def trained() -> TrainingResult:
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=12, bars=1200)
    candles = {symbol: numeric_frame(frame) for symbol, frame in frames.items()}
    params = {**default_lightgbm_params(), "num_threads": 1, "min_data_in_leaf": 50}
    config = TrainingConfig(
        timeframe="5m", horizon=6, folds=2, top_k=2, num_boost_round=15, params=params
    )
    return train_walk_forward(candles, config)


def test_load_artifact_when_untouched_predicts_like_the_trained_model(
    trained: TrainingResult, tmp_path: Path
) -> None:
    metadata = save_artifact(trained, tmp_path / "model")
    loaded = load_artifact(tmp_path / "model")
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=13, bars=200)
    features = compute_features(frames, "5m")[list(FEATURE_NAMES)]
    expected = trained.booster.predict(features)
    assert np.array_equal(loaded.booster.predict(features), expected)
    assert loaded.metadata == metadata
    assert metadata.feature_set == FEATURE_SET and metadata.horizon == 6
    assert set(metadata.metrics) == {"folds", "holdout"}
    assert (tmp_path / "model" / MODEL_FILE).read_text().startswith("tree")


def test_load_artifact_when_model_text_is_tampered_refuses(
    trained: TrainingResult, tmp_path: Path
) -> None:
    save_artifact(trained, tmp_path)
    model = tmp_path / MODEL_FILE
    text = model.read_text()
    model.write_text(text.replace("shrinkage=", "shrinkage=9", 1))
    with pytest.raises(ArtifactIntegrityError, match="refusing to load a modified model"):
        load_artifact(tmp_path)


def test_load_artifact_when_metadata_is_tampered_or_missing_refuses(
    trained: TrainingResult, tmp_path: Path
) -> None:
    save_artifact(trained, tmp_path)
    metadata_path = tmp_path / METADATA_FILE
    raw = json.loads(metadata_path.read_text())
    metadata_path.write_text(json.dumps({**raw, "model_sha256": "0" * 64}))
    with pytest.raises(ArtifactIntegrityError, match="does not match"):
        load_artifact(tmp_path)
    metadata_path.write_text(json.dumps({**raw, "pickle": "cos\nsystem\n"}))
    with pytest.raises(ArtifactIntegrityError, match="cannot use model metadata"):
        load_artifact(tmp_path)
    metadata_path.unlink()
    with pytest.raises(ArtifactIntegrityError):
        load_artifact(tmp_path)
