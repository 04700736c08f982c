"""Store the dashboard's waits instead of recomputing them from every message.

The first-response figures numbered every message of every conversation with
window functions on each request (10 s at 2,000,000 messages on PostgreSQL),
and the waiting figures ran two correlated subqueries per waiting
conversation (6 to 11 s). This revision adds one ``response_waits`` row per
answered wait and three columns on ``conversations`` (newest counted message,
start of the open wait, waiting since), and fills them from the existing
messages with the same definitions; ``cenat_hub.conversations.waits`` keeps
them up to date afterwards.

Revision ID: 0013_response_waits
Revises: 0012_message_counts
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_response_waits"
down_revision: str | None = "0012_message_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING_INDEX = "ix_conversations_waiting_since"
WAITING_ONLY = "last_message_direction = 'inbound'"

# The first-response sequence: inbound messages and agents' messages that did
# not fail, reactions excluded, each with the direction of the one before.
SEQUENCE = """
SELECT id, conversation_id, channel_id, direction, "timestamp", sent_by_user_id,
       lag(direction) OVER (
           PARTITION BY conversation_id ORDER BY "timestamp", id
       ) AS previous_direction
FROM messages
WHERE message_type <> 'reaction'
  AND (direction = 'inbound'
       OR (direction = 'outbound' AND sent_by_user_id IS NOT NULL
           AND status <> 'failed'))
"""
# The first message of each inbound run, with the agent message that follows
# it (none for the conversation's open wait).
WAIT_RUNS = f"""
CREATE TEMPORARY TABLE wait_runs AS
SELECT conversation_id, channel_id, "timestamp" AS started_at, replied_at, agent_id
FROM (
    SELECT conversation_id, channel_id, direction, "timestamp",
           lead("timestamp") OVER run_order AS replied_at,
           lead(sent_by_user_id) OVER run_order AS agent_id
    FROM ({SEQUENCE}) AS sequence
    WHERE previous_direction IS NULL OR previous_direction <> direction
    WINDOW run_order AS (PARTITION BY conversation_id ORDER BY "timestamp", id)
) AS runs
WHERE direction = 'inbound'
"""  # noqa: S608
SECONDS = {
    "postgresql": "round(extract(epoch FROM replied_at - started_at))::integer",
    "sqlite": "CAST(round((julianday(replied_at) - julianday(started_at)) * 86400)"
    " AS INTEGER)",
}
# The newest counted message, and the first inbound message after the last
# outbound one.
LATEST = """
UPDATE conversations
SET last_counted_message_at = latest.last_counted,
    waiting_since = latest.since
FROM (
    SELECT counted.conversation_id, counted.last_counted, min(m."timestamp") AS since
    FROM (
        SELECT conversation_id, max("timestamp") AS last_counted,
               max(CASE WHEN direction = 'outbound' THEN "timestamp" END)
                   AS last_outbound
        FROM messages
        WHERE message_type <> 'reaction'
        GROUP BY conversation_id
    ) AS counted
    LEFT JOIN messages AS m
      ON m.conversation_id = counted.conversation_id
     AND m.direction = 'inbound'
     AND m.message_type <> 'reaction'
     AND (counted.last_outbound IS NULL OR m."timestamp" > counted.last_outbound)
    GROUP BY counted.conversation_id, counted.last_counted
) AS latest
WHERE latest.conversation_id = conversations.id
"""


def upgrade() -> None:
    op.create_table(
        "response_waits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("last_counted_message_at", sa.DateTime(timezone=True))
        )
        batch.add_column(sa.Column("open_wait_started_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True)))

    dialect = op.get_bind().dialect.name
    op.execute(WAIT_RUNS)
    op.execute(
        "INSERT INTO response_waits"  # noqa: S608
        " (conversation_id, channel_id, agent_id, started_at, answered_at, seconds)"
        " SELECT conversation_id, channel_id, agent_id, started_at, replied_at,"
        f" {SECONDS[dialect]} FROM wait_runs WHERE replied_at IS NOT NULL"
    )
    op.execute(
        "UPDATE conversations SET open_wait_started_at = wait_runs.started_at"
        " FROM wait_runs WHERE wait_runs.conversation_id = conversations.id"
        " AND wait_runs.replied_at IS NULL"
    )
    op.execute("DROP TABLE wait_runs")
    op.execute(LATEST)

    # Indexes after the backfill, so the rows go in without index upkeep.
    op.create_index(
        "ix_response_waits_conversation_id", "response_waits", ["conversation_id"]
    )
    op.create_index(
        "ix_response_waits_started_at",
        "response_waits",
        ["started_at", "channel_id", "agent_id", "seconds"],
    )
    op.create_index(
        WAITING_INDEX,
        "conversations",
        ["waiting_since", "id"],
        postgresql_where=sa.text(WAITING_ONLY),
        sqlite_where=sa.text(WAITING_ONLY),
    )


def downgrade() -> None:
    op.drop_index(WAITING_INDEX, table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("waiting_since")
        batch.drop_column("open_wait_started_at")
        batch.drop_column("last_counted_message_at")
    op.drop_index("ix_response_waits_started_at", table_name="response_waits")
    op.drop_index("ix_response_waits_conversation_id", table_name="response_waits")
    op.drop_table("response_waits")
