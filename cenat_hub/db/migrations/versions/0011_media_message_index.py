"""Index media files by message.

Every message read loads its media file (``Message.media_file``, a selectin
load by ``media_files.message_id``); without an index each history page
scanned the whole media table (267 ms at 258,000 files on PostgreSQL).

Revision ID: 0011_media_message_index
Revises: 0010_dashboard_indexes
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_media_message_index"
down_revision: str | None = "0010_dashboard_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_media_files_message_id", "media_files", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_media_files_message_id", table_name="media_files")
