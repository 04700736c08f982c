"""Keep the dashboard's message counts per 15-minute bucket and channel.

The dashboard counted messages by reading every message of the period (7.7 s
for 90 days over 2,000,000 messages on PostgreSQL). ``message_counts`` holds
the same counts per UTC quarter hour, channel and shard, and triggers on
``messages`` keep them exact on every INSERT (COPY included on PostgreSQL),
UPDATE and DELETE, whatever code path writes. The counting rules match the
dashboard's queries: reactions are not counted, inbound messages count as
received, outbound messages count as sent unless their status is ``failed``.

The backfill counts the existing messages into shard 0 in the migration's
transaction. On PostgreSQL ``CREATE TRIGGER`` locks ``messages`` against
writes until that transaction commits, so no message is missed or counted
twice. ``TRUNCATE messages`` fires none of these triggers, so truncate
``message_counts`` with it.

NOTE: on SQLite a later migration that rebuilds ``messages`` in batch mode
(copy to a new table, drop, rename) drops these triggers; it must create
them again.

Revision ID: 0012_message_counts
Revises: 0011_media_message_index
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_message_counts"
down_revision: str | None = "0011_media_message_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUCKET_SECONDS = 900
SHARDS = 8
KIND_RECEIVED = 1
KIND_SENT = 2
TRIGGERS = (
    "message_counts_insert",
    "message_counts_update",
    "message_counts_delete",
)
# The columns a message's count depends on.
TRACKED_COLUMNS = "timestamp, channel_id, id, direction, message_type, status"


def _kind(row: str) -> str:
    """Build the SQL for how the row named ``row`` counts: 0 not, 1 received, 2 sent."""
    return (
        f"(CASE WHEN {row}.timestamp IS NULL"
        f" OR ({row}.message_type NOT IN ('reaction')) IS NOT TRUE THEN 0"
        f" WHEN {row}.direction = 'inbound' THEN {KIND_RECEIVED}"
        f" WHEN {row}.direction = 'outbound' AND {row}.status <> 'failed'"
        f" THEN {KIND_SENT} ELSE 0 END)"
    )


def _postgres_bucket(row: str) -> str:
    return f"floor(extract(epoch FROM {row}.timestamp) / {BUCKET_SECONDS})::bigint"


def _sqlite_bucket(row: str) -> str:
    # strftime() rounds fractions of a second to milliseconds, which would move
    # 23:59:59.9999 into the next bucket; the first 19 characters are the
    # whole seconds of the naive UTC text that UTCDateTime stores.
    # Integer division truncates towards zero; subtracting the non-negative
    # remainder first makes it floor() for times before 1970 too.
    seconds = f"CAST(strftime('%s', substr({row}.timestamp, 1, 19)) AS INTEGER)"
    remainder = (
        f"(({seconds} % {BUCKET_SECONDS} + {BUCKET_SECONDS}) % {BUCKET_SECONDS})"
    )
    return f"(({seconds} - {remainder}) / {BUCKET_SECONDS})"


def upgrade() -> None:
    op.create_table(
        "message_counts",
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket", "channel_id", "shard", name=op.f("pk_message_counts")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_postgres_triggers()
        bucket = _postgres_bucket("messages")
    else:
        _create_sqlite_triggers()
        bucket = _sqlite_bucket("messages")
    kind = _kind("messages")
    op.execute(
        "INSERT INTO message_counts (bucket, channel_id, shard, received, sent) "  # noqa: S608 - SQL built from constants
        f"SELECT {bucket}, channel_id, 0, "
        f"SUM(CASE WHEN {kind} = {KIND_RECEIVED} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {kind} = {KIND_SENT} THEN 1 ELSE 0 END) "
        f"FROM messages WHERE {kind} <> 0 GROUP BY {bucket}, channel_id"
    )


def _create_postgres_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION message_counts_add(
            at timestamptz, channel integer, message_id bigint, kind integer,
            step integer
        ) RETURNS void LANGUAGE sql AS $$
            INSERT INTO message_counts AS counts
                (bucket, channel_id, shard, received, sent)
            VALUES (
                floor(extract(epoch FROM at) / {BUCKET_SECONDS})::bigint,
                channel,
                txid_current() % {SHARDS},
                CASE WHEN kind = {KIND_RECEIVED} THEN step ELSE 0 END,
                CASE WHEN kind = {KIND_SENT} THEN step ELSE 0 END
            )
            ON CONFLICT (bucket, channel_id, shard) DO UPDATE
            SET received = counts.received + EXCLUDED.received,
                sent = counts.sent + EXCLUDED.sent
        $$
        """  # noqa: S608 - SQL built from constants
    )
    kind = _kind("changed")
    # One upsert per statement and key, in key order: COPY and multi-row
    # inserts touch each count row once, and two statements lock rows in the
    # same order.
    op.execute(
        f"""
        CREATE FUNCTION message_counts_add_rows() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            step integer := CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END;
        BEGIN
            INSERT INTO message_counts AS counts
                (bucket, channel_id, shard, received, sent)
            SELECT
                {_postgres_bucket("changed")},
                changed.channel_id,
                txid_current() % {SHARDS},
                step * count(*) FILTER (WHERE {kind} = {KIND_RECEIVED}),
                step * count(*) FILTER (WHERE {kind} = {KIND_SENT})
            FROM changed
            WHERE {kind} <> 0
            GROUP BY 1, 2, 3
            ORDER BY 1, 2, 3
            ON CONFLICT (bucket, channel_id, shard) DO UPDATE
            SET received = counts.received + EXCLUDED.received,
                sent = counts.sent + EXCLUDED.sent;
            RETURN NULL;
        END
        $$
        """  # noqa: S608 - SQL built from constants
    )
    # PostgreSQL allows no column list on an UPDATE trigger with transition
    # tables, so updates use a row trigger that fires only when a tracked
    # column is set, and writes only when the message's count moves.
    op.execute(
        f"""
        CREATE FUNCTION message_counts_move_row() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            old_kind integer := {_kind("OLD")};
            new_kind integer := {_kind("NEW")};
        BEGIN
            IF old_kind = new_kind AND (
                old_kind = 0 OR (
                    {_postgres_bucket("OLD")} = {_postgres_bucket("NEW")}
                    AND OLD.channel_id = NEW.channel_id
                )
            ) THEN
                RETURN NULL;
            END IF;
            IF old_kind <> 0 THEN
                PERFORM message_counts_add(
                    OLD.timestamp, OLD.channel_id, OLD.id, old_kind, -1
                );
            END IF;
            IF new_kind <> 0 THEN
                PERFORM message_counts_add(
                    NEW.timestamp, NEW.channel_id, NEW.id, new_kind, 1
                );
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER message_counts_insert AFTER INSERT ON messages "
        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION message_counts_add_rows()"
    )
    op.execute(
        "CREATE TRIGGER message_counts_delete AFTER DELETE ON messages "
        "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION message_counts_add_rows()"
    )
    op.execute(
        f"CREATE TRIGGER message_counts_update AFTER UPDATE OF {TRACKED_COLUMNS} "
        "ON messages FOR EACH ROW EXECUTE FUNCTION message_counts_move_row()"
    )


def _sqlite_upsert(row: str, sign: str) -> str:
    """Build the statement adding ``row`` (OLD or NEW) with ``sign`` (+ or -)."""
    kind = _kind(row)
    return (
        "INSERT INTO message_counts (bucket, channel_id, shard, received, sent) "
        f"SELECT {_sqlite_bucket(row)}, {row}.channel_id, {row}.id % {SHARDS}, "
        f"{sign}({kind} = {KIND_RECEIVED}), {sign}({kind} = {KIND_SENT}) "
        f"WHERE {kind} <> 0 "
        "ON CONFLICT (bucket, channel_id, shard) DO UPDATE "
        "SET received = received + excluded.received, sent = sent + excluded.sent;"
    )


def _create_sqlite_triggers() -> None:
    old_kind, new_kind = _kind("OLD"), _kind("NEW")
    op.execute(
        "CREATE TRIGGER message_counts_insert AFTER INSERT ON messages "
        f"BEGIN {_sqlite_upsert('NEW', '+')} END"
    )
    op.execute(
        "CREATE TRIGGER message_counts_delete AFTER DELETE ON messages "
        f"BEGIN {_sqlite_upsert('OLD', '-')} END"
    )
    op.execute(
        f"CREATE TRIGGER message_counts_update AFTER UPDATE OF {TRACKED_COLUMNS} "
        f"ON messages WHEN {old_kind} <> {new_kind} OR ({new_kind} <> 0 AND ("
        "OLD.timestamp IS NOT NEW.timestamp OR OLD.channel_id IS NOT NEW.channel_id"
        " OR OLD.id IS NOT NEW.id)) "
        f"BEGIN {_sqlite_upsert('OLD', '-')} {_sqlite_upsert('NEW', '+')} END"
    )


def downgrade() -> None:
    is_postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(
            f"DROP TRIGGER {trigger} ON messages"
            if is_postgres
            else f"DROP TRIGGER {trigger}"
        )
    if is_postgres:
        op.execute("DROP FUNCTION message_counts_add_rows()")
        op.execute("DROP FUNCTION message_counts_move_row()")
        op.execute(
            "DROP FUNCTION message_counts_add("
            "timestamptz, integer, bigint, integer, integer)"
        )
    op.drop_table("message_counts")
