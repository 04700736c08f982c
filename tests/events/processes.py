"""Run the service as real uvicorn processes and read their event streams."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cenat_hub.config import Settings
from tests.browser.inbox.conftest import free_port


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    url: str

    def terminate(self) -> float:
        """Send SIGTERM and return how many seconds the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return float("inf")
        return time.monotonic() - started


def start_service(settings: Settings, data_dir: Path) -> ServiceProcess:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.resolved_database_url,
        "DATA_DIR": str(data_dir),
        "WHATSAPP_APP_SECRET": settings.whatsapp_app_secret.get_secret_value(),
        "WEBHOOK_VERIFY_TOKEN": settings.webhook_verify_token.get_secret_value(),
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "ENCRYPTION_KEY": settings.encryption_key.get_secret_value(),
        # Nothing listens there; these tests send nothing to Meta.
        "GRAPH_API_URL": "http://127.0.0.1:9/v23.0",
        "RUN_MIGRATIONS_ON_START": "false",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "cenat_hub.app:create_default_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        "5",
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return ServiceProcess(process, url)
        except httpx.TransportError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
    process.kill()
    raise RuntimeError("the service process did not start")


@dataclass
class StreamEvent:
    kind: str
    id: str | None
    data: dict[str, Any]


async def read_events(response: httpx.Response) -> AsyncIterator[StreamEvent]:
    """Parse Server-Sent Events from a streaming response (pings skipped)."""
    kind, event_id, data = "message", None, []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield StreamEvent(kind, event_id, json.loads("\n".join(data)))
            kind, event_id, data = "message", None, []
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
