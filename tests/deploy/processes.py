"""Start the hub as real processes (``cenat-hub serve``) for deployment tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import APP_SECRET, VERIFY_TOKEN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hub_environment(
    database_url: str, data_dir: Path, graph_api_url: str
) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "JWT_SECRET": "deploy-test-jwt-secret-0123456789",
        "ENCRYPTION_KEY": "deploy-test-encryption-key-0123",
        "GRAPH_API_URL": graph_api_url,
        "BACKGROUND_SWEEP_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
    }


def start_hub(
    env: dict[str, str], port: int, workers: int, log_path: Path
) -> subprocess.Popen[bytes]:
    """Run ``cenat-hub serve`` and wait until /health answers."""
    log = log_path.open("ab")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "cenat_hub",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hub exited with {process.returncode}; see {log_path}")
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code
                == 200
            ):
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"hub did not start within 60 s; see {log_path}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the whole process group (uvicorn's workers too) and reap it."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def create_admin(env: dict[str, str], email: str, password: str) -> None:
    """Create an admin with ``cenat-hub create-admin``, as an operator would."""
    command = [sys.executable, "-m", "cenat_hub", "create-admin", "--email", email]
    command += ["--name", "Ana Teste", "--password", password]
    result = subprocess.run(  # noqa: S603 - fixed arguments
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"create-admin failed: {result.stderr}")
