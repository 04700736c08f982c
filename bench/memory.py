"""Benchmark: resident memory of each worker after serving the data set.

Starts uvicorn, runs every list, history, search and dashboard request of the
query benchmarks ``--iterations`` times, and reads VmRSS of each worker
process from /proc before and after, and its peak (VmHWM).

    .venv/bin/python -m bench.memory --database-url URL --workers 2
"""

import argparse
import asyncio
from pathlib import Path

from bench.common import (
    add_database_argument,
    database_kind,
    logged_in_client,
    machine,
    rss_mb,
    running_server,
)
from bench.queries import (
    dashboard_scenarios,
    history_scenarios,
    list_scenarios,
    search_scenarios,
)


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


async def _load(base_url: str, contacts: int, iterations: int, parallel: int) -> None:
    # The dashboard takes tens of seconds at this size on a busy machine.
    admin = await logged_in_client(base_url, timeout_seconds=600)
    agent = await logged_in_client(
        base_url, email="atendente2@bench.invalid", timeout_seconds=600
    )
    scenarios = [
        *list_scenarios(contacts),
        *history_scenarios(contacts),
        *search_scenarios(contacts),
        *dashboard_scenarios(contacts),
    ]
    try:
        for index in range(iterations):
            # Several requests at a time, so every worker gets traffic.
            for scenario in scenarios:
                responses = await asyncio.gather(
                    *(
                        scenario.call(admin, agent, parallel * index + offset)
                        for offset in range(parallel)
                    )
                )
                for response in responses:
                    response.raise_for_status()
    finally:
        await admin.aclose()
        await agent.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_argument(parser)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument(
        "--parallel",
        type=int,
        default=2,
        help="Requests at a time; 1 on SQLite, where a long dashboard holds the lock.",
    )
    args = parser.parse_args()
    with running_server(args.database_url, workers=args.workers) as server:
        pids = server.worker_pids()
        before = {pid: rss_mb(pid) for pid in pids}
        asyncio.run(
            _load(server.base_url, args.contacts, args.iterations, args.parallel)
        )
        after = {pid: rss_mb(pid) for pid in pids}
        peaks = {pid: peak_mb(pid) for pid in pids}
    print(
        f"Worker memory - {database_kind(args.database_url)}, {args.workers} worker(s), "
        f"{args.iterations} rounds of every query scenario; {machine()}"
    )
    for pid in pids:
        print(
            f"  worker {pid}: RSS at start {before[pid]:.0f} MB, after load "
            f"{after[pid]:.0f} MB, peak {peaks[pid]:.0f} MB"
        )
    print(f"largest peak: {max(peaks.values()):.0f} MB")


if __name__ == "__main__":
    main()
