"""exchange accounts, incidents, orders and fills

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import botfolio.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("venue", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=False),
        sa.Column("api_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("trading_blocked_reason", sa.Text(), nullable=True),
        sa.Column("last_checked_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_latency_ms", sa.Double(), nullable=True),
        sa.Column("created_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_accounts")),
    )
    op.create_index(
        op.f("ix_exchange_accounts_user_id"), "exchange_accounts", ["user_id"], unique=False
    )
    op.create_table(
        "exchange_incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("venue", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("occurred_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_incidents")),
    )
    op.create_index(
        "ix_exchange_incidents_venue_occurred_at",
        "exchange_incidents",
        ["venue", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("bot_id", sa.String(length=36), nullable=True),
        sa.Column("venue", sa.String(length=50), nullable=False),
        sa.Column("client_order_id", sa.String(length=36), nullable=False),
        sa.Column("venue_order_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=50), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("amount", botfolio.db.types.ExactDecimal(length=64), nullable=False),
        sa.Column("price", botfolio.db.types.ExactDecimal(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filled", botfolio.db.types.ExactDecimal(length=64), nullable=False),
        sa.Column("average_price", botfolio.db.types.ExactDecimal(length=64), nullable=True),
        sa.Column("fee", botfolio.db.types.ExactDecimal(length=64), nullable=False),
        sa.Column("fee_asset", sa.String(length=20), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("submit_attempts", sa.Integer(), nullable=False),
        sa.Column("last_submit_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["exchange_accounts.id"],
            name=op.f("fk_orders_account_id_exchange_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "account_id", "client_order_id", name="uq_orders_account_client_order_id"
        ),
    )
    op.create_index("ix_orders_bot_id_created_at", "orders", ["bot_id", "created_at"], unique=False)
    op.create_index("ix_orders_status", "orders", ["status"], unique=False)
    op.create_table(
        "order_fills",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=False),
        sa.Column("price", botfolio.db.types.ExactDecimal(length=64), nullable=False),
        sa.Column("amount", botfolio.db.types.ExactDecimal(length=64), nullable=False),
        sa.Column("fee", botfolio.db.types.ExactDecimal(length=64), nullable=False),
        sa.Column("fee_asset", sa.String(length=20), nullable=True),
        sa.Column("executed_at", botfolio.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_fills_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_fills")),
        sa.UniqueConstraint("account_id", "trade_id", name="uq_order_fills_account_trade_id"),
    )
    op.create_index(op.f("ix_order_fills_order_id"), "order_fills", ["order_id"], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table("order_fills")
    op.drop_table("orders")
    op.drop_table("exchange_incidents")
    op.drop_table("exchange_accounts")
