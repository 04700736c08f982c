"""Add login attempts, the record behind login throttling.

Revision ID: 0003_accounts
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_accounts"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_attempts_email_attempted_at",
            ["email", "attempted_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_login_attempts_client_address_attempted_at",
            ["client_address", "attempted_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_login_attempts_attempted_at", ["attempted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_attempted_at")
        batch_op.drop_index("ix_login_attempts_client_address_attempted_at")
        batch_op.drop_index("ix_login_attempts_email_attempted_at")

    op.drop_table("login_attempts")
