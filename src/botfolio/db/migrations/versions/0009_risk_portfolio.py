"""trading states, risk events, positions and equity

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from botfolio.db.types import ExactDecimal, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trading_states",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("scope_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("breach", sa.String(30), nullable=True),
        sa.Column("changed_by", sa.String(36), nullable=True),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reset_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_states")),
        sa.UniqueConstraint("scope", "scope_id", name="uq_trading_states_scope"),
    )
    op.create_table(
        "risk_events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("bot_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("symbol", sa.String(50), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("amount", ExactDecimal(length=64), nullable=False),
        sa.Column("check", sa.String(30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_events")),
    )
    op.create_index("ix_risk_events_user_id_at", "risk_events", ["user_id", "at"])
    op.create_index("ix_risk_events_bot_id_at", "risk_events", ["bot_id", "at"])
    op.create_table(
        "equity_snapshots",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("bot_id", sa.String(36), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("equity", ExactDecimal(length=64), nullable=False),
        sa.Column("cash", ExactDecimal(length=64), nullable=False),
        sa.Column("positions_value", ExactDecimal(length=64), nullable=False),
        sa.Column("peak_equity", ExactDecimal(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_snapshots")),
    )
    op.create_index("ix_equity_snapshots_bot_id_at", "equity_snapshots", ["bot_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_equity_snapshots_bot_id_at", table_name="equity_snapshots")
    op.drop_table("equity_snapshots")
    op.drop_index("ix_risk_events_bot_id_at", table_name="risk_events")
    op.drop_index("ix_risk_events_user_id_at", table_name="risk_events")
    op.drop_table("risk_events")
    op.drop_table("trading_states")
