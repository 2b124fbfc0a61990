"""bots and their ticks

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import botfolio.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("universe", sa.JSON(), nullable=False),
        sa.Column("quote_asset", sa.String(length=20), nullable=False),
        sa.Column("budget", botfolio.db.types.ExactDecimal(length=64), nullable=False),
        sa.Column("timeframe", sa.String(length=10), nullable=False),
        sa.Column("rebalance_every", sa.Integer(), nullable=False),
        sa.Column("model_family", sa.String(length=50), nullable=False),
        sa.Column("allocation", sa.JSON(), nullable=False),
        sa.Column("risk_limits", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("allow_hotswap", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("last_tick_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["exchange_accounts.id"],
            name=op.f("fk_bots_account_id_exchange_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
    )
    op.create_index("ix_bots_status", "bots", ["status"], unique=False)
    op.create_index("ix_bots_user_id", "bots", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("bots")
