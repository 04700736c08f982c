"""Benchmark: event streams open on one worker, one event reaching all of them.

Opens ``--streams`` connections to ``/api/events`` (agents and the admin, in
turn), waits for every stream's greeting, then posts a signed webhook with a
lead's message ``--events`` times and times, per stream, how long the first
event after the POST took to arrive.

    .venv/bin/python -m bench.sse_fanout --database-url URL --streams 500
"""

import argparse
import asyncio
import contextlib
import time

import httpx

from bench.common import (
    APP_SECRET,
    add_database_argument,
    database_kind,
    logged_in_client,
    machine,
    percentile,
    rss_mb,
    running_server,
)
from bench.generate import ADMIN_EMAIL, phone_of
from bench.ingest import _envelope
from cenat_hub.integrations.whatsapp.signature import (
    SIGNATURE_HEADER,
    encode_body,
    sign,
)


class Stream:
    def __init__(self) -> None:
        self.greeted = asyncio.Event()
        self.arrivals: list[float] = []
        self.arrived = asyncio.Event()
        self.error: str | None = None


async def _listen(client: httpx.AsyncClient, stream: Stream) -> None:
    try:
        async with client.stream("GET", "/api/events", timeout=None) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line.startswith("event:"):
                    continue
                kind = line.split(":", 1)[1].strip()
                if kind == "hello":
                    stream.greeted.set()
                else:
                    stream.arrivals.append(time.perf_counter())
                    stream.arrived.set()
    except (httpx.HTTPError, asyncio.CancelledError) as exc:
        stream.error = repr(exc)
        stream.greeted.set()


def _message_body(index: int, tag: str) -> bytes:
    wa_id = phone_of(index * 3)  # contacts 0, 3, 6... live on channel 1
    value = {
        "contacts": [{"profile": {"name": "Lead Teste"}, "wa_id": wa_id}],
        "messages": [
            {
                "from": wa_id,
                "id": f"wamid.SSE{tag}{index:06d}",
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": f"Mensagem de teste {tag} {index}"},
            }
        ],
    }
    return encode_body(_envelope(value))


async def _run(
    base_url: str, streams: int, events: int, pid: int
) -> tuple[list[float], float]:
    emails = [ADMIN_EMAIL] + [f"atendente{n}@bench.invalid" for n in (2, 4, 6, 8)]
    clients = [
        await logged_in_client(base_url, email, max_connections=streams + 10)
        for email in emails
    ]
    listeners = [Stream() for _ in range(streams)]
    tasks = [
        asyncio.create_task(_listen(clients[i % len(clients)], listener))
        for i, listener in enumerate(listeners)
    ]
    await asyncio.wait_for(
        asyncio.gather(*(listener.greeted.wait() for listener in listeners)), 120
    )
    failed = [listener.error for listener in listeners if listener.error]
    if failed:
        raise RuntimeError(f"{len(failed)} streams failed: {failed[0]}")
    await asyncio.sleep(1)
    rss = rss_mb(pid)
    delays: list[float] = []
    tag = f"{int(time.time()) % 100000:05d}"
    poster = httpx.AsyncClient(base_url=base_url, timeout=30)
    for index in range(events):
        for listener in listeners:
            listener.arrivals.clear()
            listener.arrived.clear()
        body = _message_body(index, tag)
        sent = time.perf_counter()
        response = await poster.post(
            "/webhook",
            content=body,
            headers={
                SIGNATURE_HEADER: sign(body, APP_SECRET),
                "Content-Type": "application/json",
            },
        )
        response.raise_for_status()
        deadline = sent + 30
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(listener.arrived.wait() for listener in listeners)),
                30,
            )
        # Streams the event never reached count as 30 s.
        delays.extend(
            ((listener.arrivals[0] if listener.arrivals else deadline) - sent) * 1000
            for listener in listeners
        )
        await asyncio.sleep(1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await poster.aclose()
    for client in clients:
        await client.aclose()
    return delays, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_argument(parser)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        with running_server(args.database_url) as server:
            delays, rss = asyncio.run(
                _run(
                    server.base_url, args.streams, args.events, server.worker_pids()[0]
                )
            )
        p50, p95 = percentile(delays, 0.5), percentile(delays, 0.95)
        print(
            f"run {run + 1}/{args.runs}: {len(delays)} arrivals, p50 {p50:.0f} ms, "
            f"p95 {p95:.0f} ms, max {max(delays):.0f} ms, worker RSS {rss:.0f} MB",
            flush=True,
        )
        results.append((p95, p50, rss))
    results.sort()
    p95, p50, rss = results[len(results) // 2]
    print(
        f"\nEvent fan-out to {args.streams} streams on one worker - "
        f"{database_kind(args.database_url)}; {machine()}"
    )
    print(
        f"median run by p95: p50 {p50:.0f} ms, p95 {p95:.0f} ms, worker RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
