"""notifications, channels, delivery attempts; operator alerts and on-call rota

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from botfolio.db.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(36)


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    _create_notification_tables()
    _create_alert_tables()


def _create_notification_tables() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("destination_encrypted", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("consent_at", nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
        sa.CheckConstraint(
            "kind IN ('email', 'slack', 'telegram', 'sms', 'webhook', 'in_app')",
            name=op.f("ck_notification_channels_kind"),
        ),
    )
    op.create_index(
        "ix_notification_channels_user_id_position",
        "notification_channels",
        ["user_id", "position"],
    )
    op.create_table(
        "notification_profiles",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("in_app_only_events", sa.JSON(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_profiles")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("event", sa.String(60), nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("channel_kinds", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("plan_index", sa.Integer(), nullable=False),
        sa.Column("channel_attempts", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=True),
        sa.Column("delivered_channel", sa.String(20), nullable=True),
        _when("delivered_at", nullable=True),
        _when("dead_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("alert_id", ID, nullable=True),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        _when("lease_expires_at", nullable=True),
        _when("read_at", nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_notifications_dedup_key")),
        sa.CheckConstraint(
            "status IN ('queued', 'delivered', 'dead')", name=op.f("ck_notifications_status")
        ),
    )
    op.create_index(
        "ix_notifications_user_id_created_at", "notifications", ["user_id", "created_at"]
    )
    op.create_index("ix_notifications_status_created_at", "notifications", ["status", "created_at"])
    op.create_index(
        "ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"]
    )
    op.create_table(
        "notification_attempts",
        sa.Column("id", ID, nullable=False),
        sa.Column("notification_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("channel_id", ID, nullable=True),
        sa.Column("channel_kind", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("worker_id", sa.String(100), nullable=True),
        _when("attempted_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempts")),
    )
    op.create_index(
        "ix_notification_attempts_notification_id", "notification_attempts", ["notification_id"]
    )
    op.create_index(
        "ix_notification_attempts_user_id_attempted_at",
        "notification_attempts",
        ["user_id", "attempted_at"],
    )
    op.create_index(
        "ix_notification_attempts_outcome_attempted_at",
        "notification_attempts",
        ["outcome", "attempted_at"],
    )


def _create_alert_tables() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", ID, nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("open_fingerprint", sa.String(200), nullable=True),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        _when("first_seen_at"),
        _when("last_seen_at"),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        _when("level_since", nullable=True),
        sa.Column("paged_user_id", ID, nullable=True),
        sa.Column("pages_sent", sa.Integer(), nullable=False),
        _when("last_paged_at", nullable=True),
        _when("next_page_at", nullable=True),
        _when("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", ID, nullable=True),
        _when("resolved_at", nullable=True),
        sa.Column("resolved_by", ID, nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("open_fingerprint", name=op.f("uq_alerts_open_fingerprint")),
        sa.CheckConstraint(
            "severity IN ('critical', 'warning', 'info')", name=op.f("ck_alerts_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name=op.f("ck_alerts_status")
        ),
    )
    op.create_index("ix_alerts_status_next_page_at", "alerts", ["status", "next_page_at"])
    op.create_index("ix_alerts_fingerprint", "alerts", ["fingerprint"])
    op.create_table(
        "oncall_shifts",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_shifts")),
        sa.CheckConstraint("level >= 0", name=op.f("ck_oncall_shifts_level_not_negative")),
    )
    op.create_index("ix_oncall_shifts_starts_at_ends_at", "oncall_shifts", ["starts_at", "ends_at"])


def downgrade() -> None:
    op.drop_table("oncall_shifts")
    op.drop_table("alerts")
    op.drop_table("notification_attempts")
    op.drop_table("notifications")
    op.drop_table("notification_profiles")
    op.drop_table("notification_channels")
