"""Add the pipeline sort key, case-insensitive tag names and lost reasons.

Revision ID: 0004_crm
Revises: 0006_inbox
Create Date: 2026-12-04

``contacts.last_message_at`` is backfilled from the newest conversation
message. ``tags.name_key`` is the case-folded name; tags whose names differ
only in case are merged into the oldest one first, so the unique constraint
can be created on existing data.

NOTE: SQLAlchemy does not reflect expression indexes on SQLite, so a later
batch migration that rebuilds ``contacts`` drops ix_contacts_pipeline and
ix_contacts_last_activity without a word; such a migration must create them
again.
"""

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004_crm"
down_revision: str | None = "0006_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The same rule as cenat_hub.crm.service.tag_name_key, copied because a
# migration must not change when the application code does.
def _tag_name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip()).casefold()


SEEDED_LOST_REASONS = (
    "Sem interesse no curso",
    "Preço ou condições de pagamento",
    "Escolheu outra instituição",
    "Parou de responder",
    "Data ou formato da turma não atende",
    "Contato inválido ou engano",
)


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(
            sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE contacts SET last_message_at = "
        "(SELECT MAX(conversations.last_message_at) FROM conversations "
        "WHERE conversations.contact_id = contacts.id)"
    )
    # Contact.last_activity_at renders this expression; both databases use an
    # expression index only for queries that sort or filter by the same one.
    last_activity = sa.text("coalesce(last_message_at, created_at)")
    op.create_index(
        "ix_contacts_pipeline", "contacts", ["lead_status", last_activity, "id"]
    )
    op.create_index("ix_contacts_last_activity", "contacts", [last_activity, "id"])

    with op.batch_alter_table("tags") as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(100), nullable=True))
    _fill_tag_name_keys()
    with op.batch_alter_table("tags") as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(100), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_tags_name_key"), ["name_key"])

    _seed_lost_reasons()


def _fill_tag_name_keys() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, name FROM tags ORDER BY id")).all()
    keeper_by_key: dict[str, int] = {}
    for tag_id, name in rows:
        key = _tag_name_key(name)
        keeper = keeper_by_key.setdefault(key, tag_id)
        if keeper != tag_id:
            _merge_tag(connection, duplicate=tag_id, keeper=keeper)
            continue
        connection.execute(
            sa.text("UPDATE tags SET name_key = :key WHERE id = :id"),
            {"key": key, "id": tag_id},
        )


def _merge_tag(connection: sa.Connection, *, duplicate: int, keeper: int) -> None:
    # Foreign keys are off while SQLite migrates, so the duplicate's
    # contact_tags rows are moved and deleted here rather than by CASCADE.
    connection.execute(
        sa.text(
            "INSERT INTO contact_tags (contact_id, tag_id, created_at) "
            "SELECT contact_id, :keeper, created_at FROM contact_tags "
            "WHERE tag_id = :duplicate AND contact_id NOT IN "
            "(SELECT contact_id FROM contact_tags WHERE tag_id = :keeper)"
        ),
        {"keeper": keeper, "duplicate": duplicate},
    )
    connection.execute(
        sa.text("DELETE FROM contact_tags WHERE tag_id = :duplicate"),
        {"duplicate": duplicate},
    )
    connection.execute(
        sa.text("DELETE FROM tags WHERE id = :duplicate"), {"duplicate": duplicate}
    )


def _seed_lost_reasons() -> None:
    connection = op.get_bind()
    existing = connection.execute(sa.text("SELECT COUNT(*) FROM lost_reasons")).scalar()
    if existing:
        return
    lost_reasons = sa.table(
        "lost_reasons",
        sa.column("name", sa.String),
        sa.column("is_active", sa.Boolean),
        sa.column("position", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        # The application stores naive UTC on SQLite; see db/types.py.
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        lost_reasons,
        [
            {"name": name, "is_active": True, "position": index, "created_at": now}
            for index, name in enumerate(SEEDED_LOST_REASONS, start=1)
        ],
    )


def downgrade() -> None:
    # The seeded lost reasons stay: contacts may point at them by now.
    with op.batch_alter_table("tags") as batch_op:
        batch_op.drop_constraint(op.f("uq_tags_name_key"), type_="unique")
        batch_op.drop_column("name_key")
    op.drop_index("ix_contacts_last_activity", table_name="contacts")
    op.drop_index("ix_contacts_pipeline", table_name="contacts")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("last_message_at")
