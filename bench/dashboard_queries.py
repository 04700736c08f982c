"""Benchmark: each message and lead query of the dashboard, timed alone.

.venv/bin/python -m bench.dashboard_queries --database-url URL [--days 90] [--runs 3]

Calls the query functions of ``cenat_hub.dashboard.queries`` directly (no
HTTP, no first-response or waiting figures) for every channel, in
America/Sao_Paulo days up to the current time, and prints the median wall
time of ``--runs`` calls of each.
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.common import add_database_argument, database_kind, machine
from cenat_hub.dashboard import queries
from cenat_hub.dashboard.period import Period, build_period

TIMEZONE = "America/Sao_Paulo"

Query = Callable[[AsyncSession, Period, datetime], Awaitable[Any]]
QUERIES: dict[str, Query] = {
    "count_messages": lambda s, p, now: queries.count_messages(s, None, p),
    "daily_messages": lambda s, p, now: queries.daily_messages(s, None, p),
    "daily_new_leads": lambda s, p, now: queries.daily_new_leads(s, None, p),
    "count_new_leads": lambda s, p, now: queries.count_new_leads(
        s, None, now - queries.LAST_24_HOURS
    ),
    "statuses_reached": lambda s, p, now: queries.statuses_reached(s, None, p),
    "lost_reasons": lambda s, p, now: queries.lost_reasons(s, None, p),
    "leads_by_status": lambda s, p, now: queries.leads_by_status(s, None),
    "count_active_conversations": lambda s, p, now: queries.count_active_conversations(
        s, None, now
    ),
}


async def time_queries(database_url: str, days: int, runs: int) -> dict[str, float]:
    """Return the median milliseconds of each query over ``runs`` calls."""
    engine = create_async_engine(database_url)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    medians = {}
    try:
        for name, query in QUERIES.items():
            timings = []
            for _ in range(runs):
                now = datetime.now(UTC)
                period = build_period(days, TIMEZONE, now)
                async with factory() as session:
                    started = time.perf_counter()
                    await query(session, period, now)
                    timings.append((time.perf_counter() - started) * 1000)
            medians[name] = statistics.median(timings)
            print(f"  {name:<28} {medians[name]:9.1f} ms  (runs: {_runs(timings)})")
    finally:
        await engine.dispose()
    return medians


def _runs(timings: list[float]) -> str:
    return ", ".join(f"{timing:.1f}" for timing in timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_argument(parser)
    parser.add_argument("--days", type=int, default=90, help="period length in days")
    parser.add_argument("--runs", type=int, default=3, help="calls of each query")
    args = parser.parse_args()
    print(f"{args.days}-day dashboard queries, median of {args.runs} calls:")
    medians = asyncio.run(time_queries(args.database_url, args.days, args.runs))
    print(f"  {'total':<28} {sum(medians.values()):9.1f} ms")
    print(f"{database_kind(args.database_url)}, {machine()}")


if __name__ == "__main__":
    main()
