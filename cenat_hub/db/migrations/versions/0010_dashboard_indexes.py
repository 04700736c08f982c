"""Index message and lead times for the dashboard's daily figures.

The dashboard counts messages and new leads per day of the period by joining
the period's days to ``messages.timestamp`` and ``contacts.created_at``;
neither column led an index, so every day scanned the whole table (about
12 s for 90 days over 2,000,000 messages on PostgreSQL).

Revision ID: 0010_dashboard_indexes
Revises: 0009_list_order
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_dashboard_indexes"
down_revision: str | None = "0009_list_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_timestamp", "messages", ["timestamp"])
    op.create_index("ix_contacts_created_at", "contacts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_contacts_created_at", table_name="contacts")
    op.drop_index("ix_messages_timestamp", table_name="messages")
