"""Benchmark: a lead's message until it is visible in an open inbox, in Chromium.

An agent's inbox page is open in headless Chromium (Playwright, /usr/bin/chromium).
The script posts a signed webhook with a lead's text and a page-side
MutationObserver notes when that text appears in the page; the difference
from the POST (both on this machine's wall clock) is the latency.

    .venv/bin/python -m bench.browser_latency --database-url URL --messages 50
"""

import argparse
import asyncio
import time

import httpx
from playwright.async_api import async_playwright

from bench.common import (
    APP_SECRET,
    add_database_argument,
    database_kind,
    machine,
    percentile,
    running_server,
)
from bench.generate import ADMIN_EMAIL, BENCH_PASSWORD, phone_of
from bench.ingest import _envelope
from cenat_hub.integrations.whatsapp.signature import (
    SIGNATURE_HEADER,
    encode_body,
    sign,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WATCH_SCRIPT = """
marker => new Promise(resolve => {
  const seen = () => document.body.innerText.includes(marker);
  if (seen()) { resolve(Date.now()); return; }
  const observer = new MutationObserver(() => {
    if (seen()) { observer.disconnect(); resolve(Date.now()); }
  });
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
})
"""


async def _run(base_url: str, messages: int) -> list[float]:
    delays = []
    tag = f"{int(time.time()) % 100000:05d}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = await browser.new_page()
        await page.goto(f"{base_url}/login")
        await page.fill("input[name=email]", ADMIN_EMAIL)
        await page.fill("input[name=password]", BENCH_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/conversas**")
        await page.goto(f"{base_url}/conversas?channel_id=1")
        await page.wait_for_timeout(1500)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as poster:
            for index in range(messages):
                marker = f"Latência {tag}-{index}"
                wa_id = phone_of(3 * (index % 50))  # leads of channel 1
                value = {
                    "contacts": [{"profile": {"name": "Lead Teste"}, "wa_id": wa_id}],
                    "messages": [
                        {
                            "from": wa_id,
                            "id": f"wamid.BRW{tag}{index:05d}",
                            "timestamp": str(int(time.time())),
                            "type": "text",
                            "text": {"body": marker},
                        }
                    ],
                }
                body = encode_body(_envelope(value))
                watcher = asyncio.ensure_future(page.evaluate(WATCH_SCRIPT, marker))
                await asyncio.sleep(0.05)  # the observer is in place
                sent_ms = time.time() * 1000
                response = await poster.post(
                    "/webhook",
                    content=body,
                    headers={
                        SIGNATURE_HEADER: sign(body, APP_SECRET),
                        "Content-Type": "application/json",
                    },
                )
                response.raise_for_status()
                seen_ms = await asyncio.wait_for(watcher, 30)
                delays.append(seen_ms - sent_ms)
                await asyncio.sleep(0.3)
        await browser.close()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_argument(parser)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        with running_server(args.database_url) as server:
            delays = asyncio.run(_run(server.base_url, args.messages))
        p50 = percentile(delays, 0.5)
        p95 = percentile(delays, 0.95)
        p99 = percentile(delays, 0.99)
        print(
            f"run {run + 1}/{args.runs}: n={len(delays)} p50 {p50:.0f} ms "
            f"p95 {p95:.0f} ms p99 {p99:.0f} ms",
            flush=True,
        )
        results.append((p95, p50, p99))
    results.sort()
    p95, p50, p99 = results[len(results) // 2]
    print(
        f"\nLead message to open Chromium inbox - {database_kind(args.database_url)}, "
        f"1 worker; {machine()}"
    )
    print(f"median run by p95: p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms")


if __name__ == "__main__":
    main()
