"""Model artifacts on disk: LightGBM's text model plus a JSON metadata file that pins its sha256.

Loading re-hashes the model text and refuses a mismatch before LightGBM parses it. Nothing is
ever unpickled: the model is LightGBM's own text format and the metadata is plain JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
from pydantic import BaseModel, ConfigDict, ValidationError

from botfolio.errors import OperationalError
from botfolio.predictions.features import FEATURE_NAMES, FEATURE_SET
from botfolio.predictions.training import TrainingResult

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
ARTIFACT_FORMAT = 1
ARTIFACT_FILE_MODE = 0o644  # models and metrics are not secrets; their integrity is the sha256


class ArtifactIntegrityError(OperationalError):
    """A model artifact is missing, malformed or does not match its recorded sha256."""

    code = "model_artifact_invalid"


class ModelMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int
    model_id: str
    model_sha256: str
    feature_set: str
    feature_names: list[str]
    timeframe: str
    horizon: int
    execution_lag: int = 0  # absent from artifacts written before the option existed
    symbols: list[str]
    data_start: str
    data_end: str
    params: dict[str, Any]
    num_boost_round: int
    metrics: dict[str, Any]


@dataclass(frozen=True)
class LoadedModel:
    booster: lgb.Booster
    metadata: ModelMetadata


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def metadata_for(result: TrainingResult, model_text: str) -> ModelMetadata:
    digest = sha256_text(model_text)
    config = result.config
    return ModelMetadata(
        format=ARTIFACT_FORMAT,
        model_id=f"{FEATURE_SET}-{config.timeframe}-h{config.horizon}-{digest[:12]}",
        model_sha256=digest,
        feature_set=FEATURE_SET,
        feature_names=list(FEATURE_NAMES),
        timeframe=config.timeframe,
        horizon=config.horizon,
        execution_lag=config.execution_lag,
        symbols=result.symbols,
        data_start=result.data_start.isoformat(),
        data_end=result.data_end.isoformat(),
        params=config.params,
        num_boost_round=config.num_boost_round,
        metrics={
            "folds": {f.name: f.metrics.as_dict() for f in result.folds},
            "holdout": result.holdout.metrics.as_dict(),
        },
    )


def save_artifact(result: TrainingResult, directory: Path) -> ModelMetadata:
    """Write model.txt and metadata.json into `directory` (created if needed), atomically each."""
    model_text = result.booster.model_to_string()
    metadata = metadata_for(result, model_text)
    directory.mkdir(parents=True, exist_ok=True)
    _write_atomic(directory / MODEL_FILE, model_text)
    _write_atomic(directory / METADATA_FILE, metadata.model_dump_json(indent=2) + "\n")
    return metadata


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, ARTIFACT_FILE_MODE)  # mkstemp makes 0600; predictors may run apart
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_artifact(directory: Path) -> LoadedModel:
    """The booster and its metadata, after checking the model text against the recorded sha256."""
    metadata = _read_metadata(directory / METADATA_FILE)
    model_path = directory / MODEL_FILE
    try:
        model_text = model_path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactIntegrityError(f"cannot read {model_path}: {exc}") from exc
    actual = sha256_text(model_text)
    if actual != metadata.model_sha256:
        raise ArtifactIntegrityError(
            f"{model_path} does not match its metadata (sha256 {actual[:16]}..., expected "
            f"{metadata.model_sha256[:16]}...): refusing to load a modified model",
            path=str(model_path),
        )
    booster = lgb.Booster(model_str=model_text)
    if booster.feature_name() != metadata.feature_names:
        raise ArtifactIntegrityError(f"{model_path} was trained on other features than recorded")
    return LoadedModel(booster=booster, metadata=metadata)


def _read_metadata(path: Path) -> ModelMetadata:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ModelMetadata.model_validate(raw)
    except (OSError, ValueError, ValidationError) as exc:
        raise ArtifactIntegrityError(f"cannot use model metadata {path}: {exc}") from exc
