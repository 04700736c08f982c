"""Split time intervals into whole message-count buckets and the rest.

``message_counts`` stores counts per 15-minute UTC bucket; bucket ``n``
covers ``[n * 900 s, (n + 1) * 900 s)`` after 1970-01-01 00:00 UTC. An
interval reads its whole buckets from that table and counts the edges that
do not fill a bucket from ``messages`` directly.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cenat_hub.models.message_count import BUCKET_SECONDS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BUCKET = timedelta(seconds=BUCKET_SECONDS)


@dataclass(frozen=True)
class BucketSpan:
    """The whole buckets ``first`` to ``end - 1`` and the ``[start, end)`` edges."""

    first: int
    end: int
    edges: tuple[tuple[datetime, datetime], ...]


def bucket_of(instant: datetime) -> int:
    """Return the bucket that contains ``instant``."""
    return (instant - EPOCH) // BUCKET


def bucket_start(bucket: int) -> datetime:
    return EPOCH + bucket * BUCKET


def split_into_buckets(start: datetime, end: datetime) -> BucketSpan:
    """Split ``[start, end)`` into the buckets it covers whole and its edges."""
    first = -((EPOCH - start) // BUCKET)
    last = bucket_of(end)
    if first >= last:
        edges = ((start, end),) if start < end else ()
        return BucketSpan(first=first, end=first, edges=edges)
    edges = []
    if start < bucket_start(first):
        edges.append((start, bucket_start(first)))
    if bucket_start(last) < end:
        edges.append((bucket_start(last), end))
    return BucketSpan(first=first, end=last, edges=tuple(edges))
