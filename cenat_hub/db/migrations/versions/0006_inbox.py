"""Add search columns, change times for stream replay, and the user's language.

``contacts.search_name`` and ``messages.search_text`` hold lowercase text
without accents, filled by the application on every write; this revision
fills them for rows that already exist. On PostgreSQL they get trigram indexes
(pg_trgm) so that substring search stays fast; where the extension cannot be
created the search still works, by scanning.

Revision ID: 0006_inbox
Revises: 0003_accounts
Create Date: 2026-12-04
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_inbox"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH_ROWS = 1000
MAX_FOLDED_CHARS = 4096


def _fold(*values: str | None) -> str | None:
    # A copy of cenat_hub.db.folding; migrations never import the application.
    joined = " ".join(value for value in values if value)
    if not joined:
        return None
    decomposed = unicodedata.normalize("NFKD", joined[:MAX_FOLDED_CHARS])
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column(
                "locale", sa.String(length=10), server_default="pt_BR", nullable=False
            )
        )
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("search_name", sa.String(length=600)))
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
        batch_op.create_index("ix_conversations_updated_at", ["updated_at"])
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text()))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
        batch_op.create_index("ix_messages_updated_at", ["updated_at"])

    bind = op.get_bind()
    bind.execute(sa.text("UPDATE conversations SET updated_at = created_at"))
    bind.execute(sa.text("UPDATE messages SET updated_at = created_at"))
    _fill_contact_search_names(bind)
    _fill_message_search_text(bind)
    if bind.dialect.name == "postgresql" and _has_trigram_extension(bind):
        op.execute(
            "CREATE INDEX ix_contacts_search_name_trgm ON contacts "
            "USING gin (search_name gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX ix_messages_search_text_trgm ON messages "
            "USING gin (search_text gin_trgm_ops)"
        )


def _fill_contact_search_names(bind: sa.Connection) -> None:
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("username", sa.String),
        sa.column("search_name", sa.String),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(contacts.c.id, contacts.c.name, contacts.c.username)
            .where(contacts.c.id > last_id)
            .order_by(contacts.c.id)
            .limit(BATCH_ROWS)
        ).all()
        if not rows:
            return
        for row in rows:
            bind.execute(
                contacts.update()
                .where(contacts.c.id == row.id)
                .values(search_name=_fold(row.name, row.username))
            )
        last_id = rows[-1].id


def _fill_message_search_text(bind: sa.Connection) -> None:
    messages = sa.table(
        "messages",
        sa.column("id", sa.Integer),
        sa.column("content", sa.Text),
        sa.column("media_filename", sa.String),
        sa.column("location_name", sa.Text),
        sa.column("location_address", sa.Text),
        sa.column("search_text", sa.Text),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(
                messages.c.id,
                messages.c.content,
                messages.c.media_filename,
                messages.c.location_name,
                messages.c.location_address,
            )
            .where(messages.c.id > last_id)
            .order_by(messages.c.id)
            .limit(BATCH_ROWS)
        ).all()
        if not rows:
            return
        for row in rows:
            folded = _fold(
                row.content, row.media_filename, row.location_name, row.location_address
            )
            if folded is not None:
                bind.execute(
                    messages.update()
                    .where(messages.c.id == row.id)
                    .values(search_text=folded)
                )
        last_id = rows[-1].id


def _has_trigram_extension(bind: sa.Connection) -> bool:
    """Create pg_trgm when allowed; say whether it is there."""
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return False
    return True


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_messages_search_text_trgm")
    op.execute("DROP INDEX IF EXISTS ix_contacts_search_name_trgm")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_updated_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("search_text")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_index("ix_conversations_updated_at")
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("search_name")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("locale")
