"""Benchmark: webhook ingestion, one message (or status) per signed POST.

wrk posts pre-signed bodies (HMAC-SHA256 of the exact bytes with the app
secret) to uvicorn for ``--duration`` seconds; then the script waits until
every archived body is processed, counts rows to prove that nothing accepted
was lost or applied twice, and times a plain one-row-per-transaction INSERT
of as many rows into the same database for the ratio.

    .venv/bin/python -m bench.ingest --database-url URL --kind messages --workers 2
    .venv/bin/python -m bench.ingest --database-url URL --kind statuses --workers 2
"""

import argparse
import asyncio
import json
import os
import re
import sqlite3
import statistics
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    APP_SECRET,
    ROOT,
    add_database_argument,
    cpu_seconds,
    database_kind,
    machine,
    running_server,
)
from bench.generate import sqlite_path
from cenat_hub.integrations.whatsapp.signature import encode_body, sign

SCRATCH = Path("/tmp/cenat_bench_data")  # noqa: S108 - benchmark scratch space
PHONE_NUMBER_ID = "100000000000001"  # channel 1 of bench/generate.py
LEADS_PER_RUN = 5000


class Database:
    """Plain SQL on either database, outside the application."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)

    async def rows(self, query: str) -> list[tuple[Any, ...]]:
        if self.path:
            connection = sqlite3.connect(self.path)
            try:
                return list(connection.execute(query).fetchall())
            finally:
                connection.close()
        import asyncpg

        connection = await asyncpg.connect(self.url.replace("+asyncpg", ""))
        try:
            return [tuple(record) for record in await connection.fetch(query)]
        finally:
            await connection.close()

    async def value(self, query: str) -> Any:
        return (await self.rows(query))[0][0]


def _envelope(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "200000000000001",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "5511900000001",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def message_bodies(tag: str, count: int) -> list[tuple[str, dict[str, Any]]]:
    """Text messages from new leads (numbers unused by the generator), in turn."""
    now = int(time.time())
    result = []
    for index in range(count):
        lead = index % LEADS_PER_RUN
        wa_id = f"55{11 + lead % 80}97{int(tag) % 1000:03d}{lead:04d}"
        wamid = f"wamid.WRK{tag}{index:09d}"
        value = {
            "contacts": [{"profile": {"name": f"Lead Teste {lead}"}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": wamid,
                    "timestamp": str(now),
                    "type": "text",
                    "text": {"body": f"Olá, quero saber da pós-graduação ({index})"},
                }
            ],
        }
        result.append((wamid, _envelope(value)))
    return result


def status_bodies(
    targets: list[tuple[str, str, str]],
) -> list[tuple[str, dict[str, Any]]]:
    now = int(time.time())
    result = []
    for wamid, recipient, status in targets:
        value = {
            "statuses": [
                {
                    "id": wamid,
                    "status": status,
                    "timestamp": str(now),
                    "recipient_id": recipient,
                }
            ]
        }
        result.append((f"{wamid}|{status}", _envelope(value)))
    return result


def write_bodies(path: Path, bodies: list[tuple[str, dict[str, Any]]]) -> None:
    with path.open("w") as out:
        for _, payload in bodies:
            body = encode_body(payload)
            out.write(f"{sign(body, APP_SECRET)}\t{body.decode('ascii')}\n")


@dataclass
class RunResult:
    ack_rate: float
    processed_rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    sent: int
    acknowledged: int
    refused: int
    archived: int
    expected: int
    stored: int
    lost: int
    duplicated: int
    drain_seconds: float
    plain_insert_rate: float
    worker_cpu_ms: float
    load: float

    def line(self) -> str:
        return (
            f"ack {self.ack_rate:7.0f}/s  processed {self.processed_rate:7.0f}/s  "
            f"ack p50 {self.p50_ms:6.1f} ms p99 {self.p99_ms:6.1f} ms "
            f"max {self.max_ms:7.1f} ms  sent {self.sent} ok {self.acknowledged} "
            f"refused {self.refused} archived {self.archived} distinct {self.expected} "
            f"stored {self.stored} lost {self.lost} duplicated {self.duplicated} "
            f"drain {self.drain_seconds:5.1f} s  plain INSERT {self.plain_insert_rate:7.0f}/s  "
            f"worker CPU {self.worker_cpu_ms:.1f} ms per body  load {self.load:.1f}"
        )


def run_wrk(
    base_url: str, bodies_path: Path, threads: int, connections: int, duration: int
) -> dict[str, float]:
    env = {
        **os.environ,
        "BENCH_BODIES": str(bodies_path),
        "BENCH_THREADS": str(threads),
    }
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk_webhook.lua"),
        base_url,
    ]
    output = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True
    ).stdout
    figures = dict(
        re.findall(
            r"(\w+)=([0-9.]+)",
            " ".join(line for line in output.splitlines() if line.startswith("BENCH")),
        )
    )
    return {key: float(value) for key, value in figures.items()}


async def wait_processed(db: Database, after_id: int, limit_seconds: float) -> float:
    started = time.monotonic()
    async with asyncio.timeout(limit_seconds):
        while True:
            pending = await db.value(
                "SELECT COUNT(*) FROM webhook_deliveries "  # noqa: S608
                f"WHERE id > {after_id} AND state = 'pending'"
            )
            if pending == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.5)


async def check_messages(
    db: Database, tag: str, after_id: int
) -> tuple[int, int, int, int]:
    """Return (archived, distinct wamids archived, stored, duplicated)."""
    archived = await db.rows(
        f"SELECT body FROM webhook_deliveries WHERE id > {after_id}"  # noqa: S608
    )
    # Only this run's bodies: other clients may post to the same database.
    prefix = f"wamid.WRK{tag}"
    wamids = {
        json.loads(bytes(body))["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        for (body,) in archived
    }
    wamids = {wamid for wamid in wamids if wamid.startswith(prefix)}
    stored = await db.value(
        "SELECT COUNT(*) FROM messages "  # noqa: S608
        f"WHERE wa_message_id LIKE 'wamid.WRK{tag}%'"
    )
    # Each stored inbound message raises its conversation's unread count once;
    # a body applied twice would raise it twice.
    unread = await db.value(
        "SELECT COALESCE(SUM(c.unread_count), 0) FROM conversations c "  # noqa: S608
        "WHERE c.id IN (SELECT conversation_id FROM messages "
        f"WHERE wa_message_id LIKE 'wamid.WRK{tag}%')"
    )
    return len(wamids), len(wamids), stored, int(unread) - stored


async def check_statuses(
    db: Database, after_id: int, started_at: str, sent_keys: set[str]
) -> tuple[int, int, int, int]:
    archived = await db.rows(
        f"SELECT body FROM webhook_deliveries WHERE id > {after_id}"  # noqa: S608
    )
    keys = set()
    for (body,) in archived:
        status = json.loads(bytes(body))["entry"][0]["changes"][0]["value"]["statuses"][
            0
        ]
        if f"{status['id']}|{status['status']}" in sent_keys:
            keys.add((status["id"], status["status"]))
    stored = await db.value(
        "SELECT COUNT(*) FROM message_status_events "  # noqa: S608
        f"WHERE received_at >= {_time(db, started_at)}"
    )
    # A status stored twice would break the unique key; count distinct to be sure.
    distinct = await db.value(
        "SELECT COUNT(*) FROM (SELECT DISTINCT wa_message_id, status "  # noqa: S608
        f"FROM message_status_events WHERE received_at >= {_time(db, started_at)}) AS d"
    )
    return len(keys), len(keys), distinct, stored - distinct


def _time(db: Database, utc_text: str) -> str:
    return f"'{utc_text}'" if db.path else f"'{utc_text}+00'"


async def status_targets(db: Database, count: int) -> list[tuple[str, str, str]]:
    """Outbound messages still short of "read": the next status of each."""
    rows = await db.rows(
        "SELECT wa_message_id, contact_wa_id, status FROM messages "  # noqa: S608
        "WHERE direction = 'outbound' AND status IN ('sent', 'delivered') "
        f"ORDER BY id LIMIT {count}"
    )
    following = {"sent": "delivered", "delivered": "read"}
    return [(wamid, recipient, following[status]) for wamid, recipient, status in rows]


async def plain_insert_rate(db: Database, rows: int, connections: int) -> float:
    """Rows per second of one-row INSERT transactions of a webhook-sized body."""
    body = encode_body(message_bodies("0", 1)[0][1])
    if db.path:
        connection = sqlite3.connect(db.path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_plain_insert "
            "(id INTEGER PRIMARY KEY, body BLOB, received_at TEXT)"
        )
        started = time.perf_counter()
        for _ in range(rows):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO bench_plain_insert (body, received_at) VALUES (?, ?)",
                (body, datetime.now(UTC).isoformat()),
            )
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE bench_plain_insert")
        connection.close()
        return rows / elapsed
    import asyncpg

    url = db.url.replace("+asyncpg", "")
    setup = await asyncpg.connect(url)
    await setup.execute(
        "CREATE TABLE IF NOT EXISTS bench_plain_insert "
        "(id BIGSERIAL PRIMARY KEY, body BYTEA, received_at TIMESTAMPTZ)"
    )
    pool = [await asyncpg.connect(url) for _ in range(connections)]

    async def insert(connection: Any, share: int) -> None:
        for _ in range(share):
            await connection.execute(
                "INSERT INTO bench_plain_insert (body, received_at) VALUES ($1, $2)",
                body,
                datetime.now(UTC),
            )

    started = time.perf_counter()
    await asyncio.gather(
        *(insert(connection, rows // connections) for connection in pool)
    )
    elapsed = time.perf_counter() - started
    for connection in pool:
        await connection.close()
    await setup.execute("DROP TABLE bench_plain_insert")
    await setup.close()
    return (rows // connections * connections) / elapsed


def one_run(args: argparse.Namespace, run: int, db: Database) -> RunResult:
    tag = f"{int(time.time()) % 100000:05d}{run}"
    SCRATCH.mkdir(parents=True, exist_ok=True)
    bodies_path = SCRATCH / f"bodies-{args.kind}-{tag}.txt"
    if args.kind == "messages":
        bodies = message_bodies(tag, args.bodies)
    else:
        bodies = status_bodies(asyncio.run(status_targets(db, args.bodies)))
    write_bodies(bodies_path, bodies)
    after_id = asyncio.run(
        db.value("SELECT COALESCE(MAX(id), 0) FROM webhook_deliveries")
    )
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    with running_server(
        db.url, workers=args.workers, log_path=SCRATCH / f"server-{tag}.log"
    ) as server:
        workers = server.worker_pids()
        cpu_before = sum(cpu_seconds(pid) for pid in workers)
        load_before = os.getloadavg()[0]
        began = time.monotonic()
        figures = run_wrk(
            server.base_url, bodies_path, args.threads, args.connections, args.duration
        )
        load_seconds = time.monotonic() - began
        drain = asyncio.run(wait_processed(db, after_id, limit_seconds=600))
        cpu_used = sum(cpu_seconds(pid) for pid in workers) - cpu_before
        load_after = os.getloadavg()[0]
    if args.kind == "messages":
        archived, expected, stored, duplicated = asyncio.run(
            check_messages(db, tag, after_id)
        )
    else:
        archived, expected, stored, duplicated = asyncio.run(
            check_statuses(db, after_id, started_at, {key for key, _ in bodies})
        )
    plain = asyncio.run(plain_insert_rate(db, min(archived, 20_000), args.workers))
    bodies_path.unlink()
    return RunResult(
        ack_rate=figures["ok"] / figures["duration_s"],
        processed_rate=archived / (load_seconds + drain),
        p50_ms=figures["p50_ms"],
        p99_ms=figures["p99_ms"],
        max_ms=figures["max_ms"],
        sent=int(figures["sent"]),
        acknowledged=int(figures["ok"]),
        refused=int(figures["failed"]),
        archived=archived,
        expected=expected,
        stored=stored,
        lost=expected - stored,
        duplicated=duplicated,
        drain_seconds=drain,
        plain_insert_rate=plain,
        worker_cpu_ms=cpu_used * 1000 / max(archived, 1),
        load=(load_before + load_after) / 2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_argument(parser)
    parser.add_argument("--kind", choices=("messages", "statuses"), default="messages")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--bodies", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    db = Database(args.database_url)
    if db.path and args.workers != 1:
        parser.error("SQLite runs one worker; pass --workers 1")
    results = []
    for run in range(args.runs):
        result = one_run(args, run, db)
        print(f"run {run + 1}/{args.runs}: {result.line()}", flush=True)
        results.append(result)
    ordered = sorted(results, key=lambda r: r.processed_rate)
    middle = ordered[len(ordered) // 2]
    print(
        f"\nWebhook ingestion ({args.kind}) - {database_kind(args.database_url)}, "
        f"{args.workers} worker(s), wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s; {machine()}"
    )
    print(f"median run by processed rate: {middle.line()}")
    print(
        "medians: processed "
        f"{statistics.median(r.processed_rate for r in results):.0f}/s, ack p99 "
        f"{statistics.median(r.p99_ms for r in results):.1f} ms, ratio to plain INSERT "
        f"{statistics.median(r.processed_rate / r.plain_insert_rate for r in results):.2f}, "
        f"lost {sum(r.lost for r in results)}, duplicated "
        f"{sum(r.duplicated for r in results)}"
    )


if __name__ == "__main__":
    main()
