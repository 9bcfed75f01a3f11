"""checkpoints: a flagged checkpoint is resolved by a coordinator, with a note

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 13:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_column("resolution")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")
