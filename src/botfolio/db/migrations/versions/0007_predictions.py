"""model registry, predictions and their scores, queued prediction requests

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from botfolio.db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_model_versions()
    _create_model_transitions()
    op.create_table(
        "model_registry_heads",
        sa.Column("family", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("family", name=op.f("pk_model_registry_heads")),
    )
    _create_predictions()
    _create_prediction_requests()


def _create_model_versions() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("family", sa.String(100), nullable=False),
        sa.Column("model_key", sa.String(200), nullable=False),
        sa.Column("artifact_path", sa.Text(), nullable=False),
        sa.Column("artifact_sha256", sa.String(64), nullable=False),
        sa.Column("feature_set", sa.String(50), nullable=False),
        sa.Column("timeframe", sa.String(10), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("symbols", sa.JSON(), nullable=False),
        sa.Column("data_start", sa.String(40), nullable=False),
        sa.Column("data_end", sa.String(40), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("canary_share", sa.Float(), nullable=False),
        sa.Column("previous_champion_id", sa.String(36), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("promoted_by", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("promoted_at", UTCDateTime(), nullable=True),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.CheckConstraint(
            "state IN ('candidate', 'canary', 'champion', 'retired')",
            name=op.f("ck_model_versions_state"),
        ),
        sa.CheckConstraint(
            "canary_share >= 0 AND canary_share <= 1",
            name=op.f("ck_model_versions_canary_share_range"),
        ),
    )
    op.create_index(op.f("ix_model_versions_family_state"), "model_versions", ["family", "state"])


def _create_model_transitions() -> None:
    op.create_table(
        "model_transitions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("model_version_id", sa.String(36), nullable=False),
        sa.Column("family", sa.String(100), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_transitions")),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_transitions_model_version_id_model_versions"),
        ),
    )
    op.create_index(op.f("ix_model_transitions_family_at"), "model_transitions", ["family", "at"])


def _create_predictions() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("model_version_id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("bot_id", sa.String(36), nullable=True),
        sa.Column("venue", sa.String(50), nullable=False),
        sa.Column("symbol", sa.String(50), nullable=False),
        sa.Column("timeframe", sa.String(10), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("made_at", UTCDateTime(), nullable=False),
        sa.Column("realised", sa.Float(), nullable=True),
        sa.Column("scored_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_predictions_model_version_id_model_versions"),
        ),
    )
    op.create_index(
        op.f("ix_predictions_version_scored_at"),
        "predictions",
        ["model_version_id", "scored_at"],
    )
    op.create_index(op.f("ix_predictions_scored_at_as_of"), "predictions", ["scored_at", "as_of"])
    op.create_index(op.f("ix_predictions_request_id"), "predictions", ["request_id"])


def _create_prediction_requests() -> None:
    op.create_table(
        "prediction_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_key", sa.String(200), nullable=False),
        sa.Column("family", sa.String(100), nullable=False),
        sa.Column("bot_id", sa.String(36), nullable=True),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("venue", sa.String(50), nullable=False),
        sa.Column("symbols", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("model_version_id", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("delay_notified_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prediction_requests")),
        sa.UniqueConstraint("request_key", name=op.f("uq_prediction_requests_request_key")),
        sa.CheckConstraint(
            "status IN ('pending', 'completed')", name=op.f("ck_prediction_requests_status")
        ),
    )
    op.create_index(
        op.f("ix_prediction_requests_status_created_at"),
        "prediction_requests",
        ["status", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("prediction_requests")
    op.drop_table("predictions")
    op.drop_table("model_registry_heads")
    op.drop_table("model_transitions")
    op.drop_table("model_versions")
