"""Query benchmarks through the real HTTP app: one uvicorn worker, sequential requests.

Each scenario is timed ``--iterations`` times after a short warm-up; the whole
set runs ``--runs`` times and the run with the median p95 is printed per
scenario, because the machine is shared and single runs are noisy.
"""

import argparse
import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bench.common import (
    Timing,
    add_database_argument,
    database_kind,
    logged_in_client,
    machine,
    median_of_runs,
    running_server,
    time_requests,
)
from bench.generate import phone_of

HTMX = {"HX-Request": "true"}


@dataclass
class Scenario:
    name: str
    # Called with the admin client, an agent client and the iteration number.
    call: Callable[
        [httpx.AsyncClient, httpx.AsyncClient, int], Awaitable[httpx.Response]
    ]


def _contacts(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [phone_of(rng.randrange(count)) for _ in range(500)]


def list_scenarios(contacts: int) -> list[Scenario]:
    del contacts

    # The cursor of channel 1's second page, read once from the first page so
    # that the scenario times the next-page request alone.
    cursors: dict[str, str] = {}

    async def next_page(
        admin: httpx.AsyncClient, _agent: httpx.AsyncClient, _i: int
    ) -> httpx.Response:
        if "query" not in cursors:
            first = await admin.get(
                "/conversas/lista", params={"channel_id": 1}, headers=HTMX
            )
            marker = 'hx-get="/conversas/lista?'
            start = first.text.index(marker) + len(marker)
            end = first.text.index('"', start)
            cursors["query"] = first.text[start:end].replace("&amp;", "&")
        return await admin.get(f"/conversas/lista?{cursors['query']}", headers=HTMX)

    return [
        Scenario(
            "API list, first page (all channels)",
            lambda a, _g, _i: a.get("/api/conversations", params={"limit": 50}),
        ),
        Scenario(
            "Inbox list, first page (channel 1, HTML)",
            lambda a, _g, _i: a.get(
                "/conversas/lista", params={"channel_id": 1}, headers=HTMX
            ),
        ),
        Scenario(
            "Inbox page /conversas (full HTML)",
            lambda a, _g, _i: a.get("/conversas", params={"channel_id": 1}),
        ),
        Scenario(
            "API list, filter assigned=mine (agent)",
            lambda _a, g, _i: g.get("/api/conversations", params={"assigned": "mine"}),
        ),
        Scenario(
            "API list, filter assigned=unassigned",
            lambda a, _g, _i: a.get(
                "/api/conversations", params={"assigned": "unassigned"}
            ),
        ),
        Scenario(
            "API list, filter channel_id=2",
            lambda a, _g, _i: a.get("/api/conversations", params={"channel_id": 2}),
        ),
        Scenario(
            "Inbox list, filter lead status (matriculado)",
            lambda a, _g, _i: a.get(
                "/conversas/lista",
                params={"channel_id": 1, "lead_status": "matriculado"},
                headers=HTMX,
            ),
        ),
        Scenario("Inbox list, second page (cursor)", next_page),
        Scenario(
            "Contacts API, filter status=perdido",
            lambda a, _g, _i: a.get("/api/contacts", params={"status": "perdido"}),
        ),
        Scenario(
            "Contacts API, filter tag_id=3",
            lambda a, _g, _i: a.get("/api/contacts", params={"tag_id": 3}),
        ),
        Scenario(
            "Pipeline page /funil",
            lambda a, _g, _i: a.get("/funil"),
        ),
    ]


def history_scenarios(contacts: int) -> list[Scenario]:
    sample = _contacts(contacts)

    async def html_page(
        admin: httpx.AsyncClient, _agent: httpx.AsyncClient, i: int
    ) -> httpx.Response:
        # Conversation ids run from 1 past the number of contacts.
        conversation_id = 1 + (i * 997) % contacts
        return await admin.get(f"/conversas/{conversation_id}/mensagens", headers=HTMX)

    return [
        Scenario(
            "API history, latest page of a lead",
            lambda a, _g, i: a.get(f"/api/messages/{sample[i % len(sample)]}"),
        ),
        Scenario(
            "API history, older page (before_id)",
            lambda a, _g, i: a.get(
                f"/api/messages/{sample[i % len(sample)]}",
                params={"before_id": 1_500_000, "limit": 50},
            ),
        ),
        Scenario(
            "Inbox messages page (HTML)",
            html_page,
        ),
        Scenario(
            "Open a chat /conversas?contact=... (full page)",
            lambda a, _g, i: a.get(
                "/conversas", params={"contact": sample[(i * 3) % len(sample)]}
            ),
        ),
    ]


SEARCH_TERMS = (
    "conclusao",
    "MATRÍCULA",
    "psicanálise",
    "boleto",
    "conceicao",
    "vitória",
    "palavra-inexistente",
    "98000",
)


def search_scenarios(contacts: int) -> list[Scenario]:
    del contacts
    scenarios = []
    for term in SEARCH_TERMS:
        scenarios.append(
            Scenario(
                f"Inbox search q={term!r} (channel 1)",
                lambda a, _g, _i, term=term: a.get(
                    "/conversas/lista",
                    params={"channel_id": 1, "q": term},
                    headers=HTMX,
                ),
            )
        )
    scenarios.append(
        Scenario(
            "Contacts API search=joão",
            lambda a, _g, _i: a.get("/api/contacts", params={"search": "joão"}),
        )
    )
    return scenarios


def dashboard_scenarios(contacts: int) -> list[Scenario]:
    del contacts
    return [
        Scenario(
            "Dashboard API, 90 days",
            lambda a, _g, _i: a.get("/api/dashboard/stats", params={"days": 90}),
        ),
        Scenario(
            "Dashboard API, 7 days",
            lambda a, _g, _i: a.get("/api/dashboard/stats", params={"days": 7}),
        ),
    ]


async def _run_once(
    base_url: str, scenarios: list[Scenario], iterations: int
) -> list[Timing]:
    admin = await logged_in_client(base_url, timeout_seconds=600)
    agent = await logged_in_client(
        base_url, email="atendente2@bench.invalid", timeout_seconds=600
    )
    try:
        timings = []
        for scenario in scenarios:
            timings.append(
                await time_requests(
                    scenario.name,
                    lambda i, s=scenario: s.call(admin, agent, i),
                    iterations,
                    warmup=min(3, iterations // 4),
                )
            )
        return timings
    finally:
        await admin.aclose()
        await agent.aclose()


def main(
    title: str,
    build: Callable[[int], list[Scenario]],
    default_iterations: int = 100,
) -> None:
    parser = argparse.ArgumentParser(description=title)
    add_database_argument(parser)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=default_iterations)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scenarios = build(args.contacts)
    runs = []
    with running_server(args.database_url) as server:
        for run in range(args.runs):
            timings = asyncio.run(
                _run_once(server.base_url, scenarios, args.iterations)
            )
            print(f"run {run + 1}/{args.runs}:")
            for timing in timings:
                print("  " + timing.line())
            runs.append(timings)
    print(f"\n{title} - {database_kind(args.database_url)}, {machine()}")
    print(f"median of {args.runs} runs (the run with the median p95), 1 worker:")
    for timing in median_of_runs(runs):
        print("  " + timing.line())
