"""Shared parts of the benchmarks: a live server, a logged-in client, percentiles."""

import argparse
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.generate import ADMIN_EMAIL, BENCH_PASSWORD, DEFAULT_ENCRYPTION_KEY
from cenat_hub.web.security import SESSION_COOKIE

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
APP_SECRET = "bench-app-secret-0123456789"
JWT_SECRET = "bench-jwt-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        required=True,
        help="A database filled by bench/generate.py.",
    )


@dataclass
class Server:
    """A uvicorn process serving the hub on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    base_url: str

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the workers, or the server itself."""
        children = _children(self.process.pid)
        return children or [self.process.pid]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        return []
    pids = [int(value) for value in path.read_text().split()]
    # uvicorn's multiprocess mode starts one helper per worker; keep python ones.
    return [
        child
        for child in pids
        if "python"
        in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
    ]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextlib.contextmanager
def running_server(
    database_url: str,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> Iterator[Server]:
    """Start the hub with uvicorn, wait for /health, stop it on exit."""
    port = free_port()
    data_dir = Path("/tmp/cenat_bench_data")  # noqa: S108 - benchmark scratch space
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WEBHOOK_VERIFY_TOKEN": "bench-verify-token-0123456789",
        "JWT_SECRET": JWT_SECRET,
        "ENCRYPTION_KEY": DEFAULT_ENCRYPTION_KEY,
        # Nothing listens there: outbound Graph calls stay on this machine.
        "GRAPH_API_URL": f"http://{HOST}:9/v23.0",
        "LOG_LEVEL": "WARNING",
        "RUN_MIGRATIONS_ON_START": "false",
        **(extra_env or {}),
    }
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - closed below
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "cenat_hub.app:create_default_app",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--timeout-keep-alive",
        "60",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    base_url = f"http://{HOST}:{port}"
    try:
        _wait_ready(process, base_url)
        yield Server(process, base_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(process: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready in 60 s")


async def logged_in_client(
    base_url: str,
    email: str = ADMIN_EMAIL,
    password: str = BENCH_PASSWORD,
    max_connections: int = 100,
    timeout_seconds: float = 30,
) -> httpx.AsyncClient:
    """A client carrying the bearer token and the session cookie of one user."""
    client = httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout_seconds,
        limits=httpx.Limits(max_connections=max_connections),
    )
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": password}
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    client.cookies.set(SESSION_COOKIE, token)
    return client


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


@dataclass
class Timing:
    name: str
    samples_ms: list[float]

    def line(self) -> str:
        return (
            f"{self.name:<44} n={len(self.samples_ms):<4} "
            f"p50={percentile(self.samples_ms, 0.50):8.1f} ms  "
            f"p95={percentile(self.samples_ms, 0.95):8.1f} ms  "
            f"p99={percentile(self.samples_ms, 0.99):8.1f} ms"
        )


async def time_requests(
    name: str,
    call: Callable[[int], Awaitable[httpx.Response]],
    iterations: int,
    warmup: int = 3,
) -> Timing:
    """Time ``iterations`` sequential calls (after a warm-up); fail on a non-2xx."""
    for index in range(warmup):
        (await call(index)).raise_for_status()
    samples = []
    for index in range(iterations):
        started = time.perf_counter()
        response = await call(index)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 300:
            raise RuntimeError(
                f"{name}: HTTP {response.status_code} {response.text[:200]}"
            )
        samples.append(elapsed)
    return Timing(name, samples)


def median_of_runs(runs: list[list[Timing]]) -> list[Timing]:
    """Per benchmark, the run whose p95 is the median of the runs' p95."""
    result = []
    for index in range(len(runs[0])):
        candidates = sorted(
            (run[index] for run in runs), key=lambda t: percentile(t.samples_ms, 0.95)
        )
        result.append(candidates[len(candidates) // 2])
    return result


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory_kb / 1024 / 1024:.1f} GiB RAM, "
        f"Python {platform.python_version()}, load average now {load:.1f}"
    )


def database_kind(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def median(values: list[float]) -> float:
    return statistics.median(values)
