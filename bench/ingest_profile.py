"""Profile: SQL statements and CPU time per webhook body, in one process.

Runs the application in-process (no uvicorn, no wrk) against a database filled
by ``bench/generate.py``, in two phases:

1. acknowledgement: POST ``--bodies`` signed bodies through the ASGI app with
   processing switched off, so only the signature check and the archive insert
   run;
2. processing: hand every archived body to the webhook worker and wait until
   it has processed them all.

For each phase it prints statements per body by kind (read from SQLAlchemy's
``before_cursor_execute`` event), commits, rollbacks and pool pings per body,
and the CPU time of this process per body. ``--profile FILE`` also writes a
cProfile of the processing phase.

    .venv/bin/python -m bench.ingest_profile --database-url URL --kind messages
"""

import argparse
import asyncio
import cProfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import event, select

from bench.common import APP_SECRET, JWT_SECRET, add_database_argument
from bench.generate import DEFAULT_ENCRYPTION_KEY
from bench.ingest import Database, message_bodies, status_bodies, status_targets
from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.integrations.whatsapp.signature import (
    SIGNATURE_HEADER,
    encode_body,
    sign,
)
from cenat_hub.logging import configure_logging
from cenat_hub.models import WebhookDelivery
from cenat_hub.models.webhook import DELIVERY_PENDING


class StatementCounter:
    """Counts statements by their first word, plus commits, rollbacks and pings."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def install(self, sync_engine: Any) -> None:
        event.listen(sync_engine, "before_cursor_execute", self._on_execute)
        event.listen(sync_engine, "commit", self._on_named("COMMIT"))
        event.listen(sync_engine, "rollback", self._on_named("ROLLBACK"))
        dialect = sync_engine.dialect
        original_ping = dialect.do_ping

        def counting_ping(dbapi_connection: Any) -> bool:
            self.counts["pool ping"] += 1
            return bool(original_ping(dbapi_connection))

        dialect.do_ping = counting_ping

    def _on_execute(self, *args: Any) -> None:
        statement: str = args[2]
        words = statement.split(None, 3)
        kind = words[0].upper() if words else "?"
        if kind in ("SELECT", "INSERT", "UPDATE", "DELETE") and len(words) > 2:
            kind = f"{kind} {_table_of(statement)}"
        self.counts[kind] += 1

    def _on_named(self, name: str) -> Callable[..., None]:
        def count(*_args: Any) -> None:
            self.counts[name] += 1

        return count

    def take(self) -> Counter[str]:
        taken = self.counts
        self.counts = Counter()
        return taken


def _table_of(statement: str) -> str:
    words = statement.replace("\n", " ").split()
    upper = [word.upper() for word in words]
    for keyword in ("INTO", "FROM", "UPDATE"):
        if keyword in upper:
            position = upper.index(keyword) + 1
            if position < len(words):
                return words[position].strip('"(')
    return "?"


def _settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=Path("/tmp/cenat_bench_data"),  # noqa: S108 - benchmark scratch space
        webhook_verify_token=SecretStr("bench-verify-token-0123456789"),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        jwt_secret=SecretStr(JWT_SECRET),
        encryption_key=SecretStr(DEFAULT_ENCRYPTION_KEY),
        graph_api_url="http://127.0.0.1:9/v23.0",
        run_migrations_on_start=False,
        background_sweep_seconds=3600,
        background_first_sweep_delay_seconds=3600,
    )


def _report(title: str, counts: Counter[str], bodies: int, cpu: float) -> None:
    total = sum(counts.values())
    print(
        f"{title}: {total / bodies:.1f} statements per body, "
        f"{cpu * 1000 / bodies:.2f} ms CPU per body ({bodies} bodies)"
    )
    for kind, count in counts.most_common():
        print(f"  {count / bodies:6.2f}  {kind}")


async def _measure(
    counter: StatementCounter, work: Callable[[], Awaitable[None]]
) -> tuple[Counter[str], float]:
    counter.take()
    started = time.process_time()
    await work()
    return counter.take(), time.process_time() - started


async def run(args: argparse.Namespace) -> None:
    db = Database(args.database_url)
    if args.kind == "messages":
        tag = f"{int(time.time()) % 100000:05d}9"
        bodies = message_bodies(tag, args.bodies)
    else:
        bodies = status_bodies(await status_targets(db, args.bodies))
    encoded = [encode_body(payload) for _, payload in bodies]
    configure_logging("WARNING", False)
    app = create_app(_settings(args.database_url))
    counter = StatementCounter()
    async with app.router.lifespan_context(app):
        state = app.state.cenat
        counter.install(state.engine.sync_engine)
        worker = state.webhook_worker
        schedule = worker.schedule
        worker.schedule = lambda _delivery_id: None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub.bench"
        ) as client:

            async def post(body: bytes) -> None:
                headers = {SIGNATURE_HEADER: sign(body, APP_SECRET)}
                response = await client.post("/webhook", content=body, headers=headers)
                response.raise_for_status()

            async def acknowledge() -> None:
                for start in range(0, len(encoded), args.concurrency):
                    chunk = encoded[start : start + args.concurrency]
                    await asyncio.gather(*(post(body) for body in chunk))

            ack_counts, ack_cpu = await _measure(counter, acknowledge)
        async with state.session_factory() as session:
            pending = list(
                (
                    await session.execute(
                        select(WebhookDelivery.id)
                        .where(WebhookDelivery.state == DELIVERY_PENDING)
                        .order_by(WebhookDelivery.id)
                    )
                ).scalars()
            )
        worker.schedule = schedule

        async def process() -> None:
            for delivery_id in pending:
                worker.schedule(delivery_id)
            await worker.drain()

        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        process_counts, process_cpu = await _measure(counter, process)
        elapsed = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    _report("acknowledgement", ack_counts, len(encoded), ack_cpu)
    _report("processing", process_counts, len(pending), process_cpu)
    print(
        f"processing wall time {elapsed:.2f} s, {len(pending) / elapsed:.0f} bodies/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_argument(parser)
    parser.add_argument("--kind", choices=("messages", "statuses"), default="messages")
    parser.add_argument("--bodies", type=int, default=300)
    parser.add_argument(
        "--concurrency", type=int, default=8, help="POSTs in flight at once."
    )
    parser.add_argument("--profile", help="Write a cProfile of processing here.")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
