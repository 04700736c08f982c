"""Benchmark: the dashboard's wait queries one at a time, in-process, without HTTP.

.venv/bin/python -m bench.dashboard_waits --database-url URL [--days 90] [--runs 3]

Times the query functions of ``cenat_hub.dashboard`` that read waits (first
response, waiting buckets, longest waiting) over all channels, and prints the
median of ``--runs`` runs per query.
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.dashboard import queries
from cenat_hub.dashboard.period import build_period
from cenat_hub.dashboard.response_times import first_response_times
from cenat_hub.db.session import create_engine, create_session_factory

TIMEZONE = "America/Sao_Paulo"


def _query_calls(
    days: int, now: datetime
) -> dict[str, Callable[[AsyncSession], Awaitable[Any]]]:
    period = build_period(days, TIMEZONE, now)
    return {
        "first_response_times": lambda s: first_response_times(s, None, period),
        "waiting_buckets": lambda s: queries.waiting_buckets(s, None, now),
        "longest_waiting": lambda s: queries.longest_waiting(s, None),
    }


async def _run(database_url: str, days: int, runs: int) -> None:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    timings: dict[str, list[float]] = {}
    try:
        for _ in range(runs):
            for name, call in _query_calls(days, now).items():
                async with factory() as session:
                    started = time.perf_counter()
                    await call(session)
                    elapsed = time.perf_counter() - started
                timings.setdefault(name, []).append(elapsed * 1000)
    finally:
        await engine.dispose()
    for name, values in timings.items():
        formatted = ", ".join(f"{value:,.1f}" for value in values)
        print(f"{name:24} median {statistics.median(values):10,.1f} ms  ({formatted})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--days", type=int, default=90, help="period length in days")
    parser.add_argument("--runs", type=int, default=3, help="runs per query")
    args = parser.parse_args(argv)
    asyncio.run(_run(args.database_url, args.days, args.runs))


if __name__ == "__main__":
    main()
