"""durable jobs and scheduler lease

Revision ID: 0001
Revises: None
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from botfolio.db.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("run_after", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'dead')", name=op.f("ck_jobs_state")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_jobs_attempts_not_negative")),
    )
    op.create_index(
        op.f("ix_jobs_state_priority_run_after"), "jobs", ["state", "priority", "run_after"]
    )
    op.create_index(op.f("ix_jobs_state_run_after"), "jobs", ["state", "run_after"])
    op.create_index(op.f("ix_jobs_state_lease_expires_at"), "jobs", ["state", "lease_expires_at"])
    op.create_index(op.f("ix_jobs_kind_state"), "jobs", ["kind", "state"])
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("fencing_token", sa.BigInteger(), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("renewed_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_leases")
    op.drop_index(op.f("ix_jobs_kind_state"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_state_lease_expires_at"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_state_run_after"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_state_priority_run_after"), table_name="jobs")
    op.drop_table("jobs")
