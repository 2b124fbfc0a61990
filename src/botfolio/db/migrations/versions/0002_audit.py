"""audit events and access log

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from botfolio.db.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50)),
        sa.Column("target_id", sa.String(64)),
        sa.Column("source_ip", sa.String(64)),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor_id"])
    _create_chain_tables()
    _create_access_log()


def _create_chain_tables() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", _big_id(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("through_id", _big_id(), autoincrement=False, nullable=False),
        sa.Column("through_hash", sa.String(64), nullable=False),
        sa.Column("purged_at", UTCDateTime(), nullable=False),
        sa.Column("events_deleted", _big_id(), nullable=False),
        sa.PrimaryKeyConstraint("through_id", name=op.f("pk_audit_checkpoints")),
    )


def _create_access_log() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.String(2048), nullable=False),
        sa.Column("route", sa.String(255)),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("source_ip", sa.String(64)),
        sa.Column("user_agent", sa.String(512)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_occurred_at", "access_log", ["occurred_at"])
    op.create_index("ix_access_log_actor_id", "access_log", ["actor_id"])
    op.create_index("ix_access_log_request_id", "access_log", ["request_id"])


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def downgrade() -> None:
    op.drop_table("access_log")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_head")
    op.drop_table("audit_events")
