from sqlalchemy import BigInteger, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from cenat_hub.db.base import Base
from cenat_hub.models.message import Message

# Each bucket covers 15 minutes of UTC time. Every time zone in use today is
# offset from UTC by a whole number of quarter hours, so each local day is a
# whole number of buckets whatever the configured TIMEZONE.
BUCKET_SECONDS = 900
# Messages of one bucket and channel spread over this many rows, so that
# concurrent transactions seldom wait for each other's row lock until commit.
# On PostgreSQL the shard is the writing transaction's id modulo SHARDS: one
# transaction that stores many messages locks one row per bucket and channel,
# never several in varying order, which could deadlock with another batch.
# SQLite, with one writer at a time, uses the message id. Readers sum them.
# NOTE: nothing folds the shards of old buckets back into one row yet. After
# 90 days of live traffic the dashboard sums up to 8 times as many rows as
# after the migration's backfill, about 3 times slower on PostgreSQL.
SHARDS = 8


class MessageCount(Base):
    """The dashboard's message counts for one 15-minute bucket and channel.

    Database triggers on ``messages`` (migration ``0012_message_counts``) keep
    the counts exact on every insert, update and delete, but TRUNCATE fires
    none of them. The application never writes this table. ``received``
    counts inbound messages and ``sent`` outbound messages not failed,
    reactions excluded from both, as the dashboard counts them.
    """

    __tablename__ = "message_counts"

    # Whole buckets since 1970-01-01 00:00 UTC: floor(epoch seconds / 900).
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # No foreign key: the triggers still write while a channel's messages
    # are being deleted along with the channel.
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)


# The triggers on messages write here, so code that empties tables in reverse
# dependency order (``reversed(metadata.sorted_tables)``) must delete messages
# before this table. Declaring messages dependent on it gives that order.
Message.__table__.add_is_dependent_on(MessageCount.__table__)  # type: ignore[attr-defined]
