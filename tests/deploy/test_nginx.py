"""The shipped nginx site in front of two workers on PostgreSQL (ports changed)."""

import asyncio
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from cenat_hub.integrations.whatsapp.signature import encode_body
from tests.conftest import VERIFY_TOKEN, signed_headers
from tests.deploy.processes import (
    create_admin,
    free_port,
    hub_environment,
    start_hub,
    stop,
)
from tests.factories import text_message_payload

REPOSITORY = Path(__file__).resolve().parents[2]
SITE = REPOSITORY / "deploy" / "nginx-cenat-hub.conf"
NGINX = Path("/usr/sbin/nginx")


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            "/usr/bin/openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hub.example.com",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def _nginx_config(folder: Path, hub_port: int, http_port: int, https_port: int) -> Path:
    """Rewrite the shipped site with test ports and certificate, inside a minimal main config."""
    certificate, key = _self_signed_certificate(folder)
    site = SITE.read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{hub_port};")
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace(
        "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"
    )
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {certificate};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    temp = folder / "temp"
    temp.mkdir()
    main = f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
"""
    path = folder / "nginx.conf"
    path.write_text(main)
    return path


def _start_nginx(config: Path, https_port: int) -> subprocess.Popen[bytes]:
    test = subprocess.run(  # noqa: S603 - fixed arguments
        [str(NGINX), "-t", "-c", str(config)], capture_output=True, check=False
    )
    assert test.returncode == 0, test.stderr.decode()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [str(NGINX), "-c", str(config)], start_new_session=True, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"https://127.0.0.1:{https_port}/health", verify=False, timeout=1)  # noqa: S501
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError("nginx did not start")


async def _read_first_stream_event(client: httpx.AsyncClient, token: str) -> None:
    """Open the event stream through nginx and read its first event unbuffered."""
    headers = {"Authorization": f"Bearer {token}"}
    async with client.stream("GET", "/api/events", headers=headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        received = ""
        async with asyncio.timeout(10):
            async for chunk in stream.aiter_text():
                received += chunk.replace("\r\n", "\n")
                if "\n\n" in received:
                    break
        assert "event: hello" in received


@pytest.mark.skipif(not NGINX.exists(), reason="needs Debian's nginx package")
async def test_nginx_in_front_of_two_workers(postgres_url: str, tmp_path: Path) -> None:
    hub_port, http_port, https_port = free_port(), free_port(), free_port()
    env = hub_environment(postgres_url, tmp_path / "data", "http://127.0.0.1:9/v23.0")
    await asyncio.to_thread(
        create_admin, env, "ana@teste.invalid", "senha-do-teste-nginx"
    )
    hub = await asyncio.to_thread(start_hub, env, hub_port, 2, tmp_path / "hub.log")
    nginx = _start_nginx(
        _nginx_config(tmp_path, hub_port, http_port, https_port), https_port
    )
    base = f"https://127.0.0.1:{https_port}"
    try:
        async with httpx.AsyncClient(base_url=base, verify=False, timeout=10) as client:  # noqa: S501
            page = await client.get("/login")
            assert page.status_code == 200
            assert "Cenat Hub" in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]

            login = await client.post(
                "/api/auth/login",
                json={"email": "ana@teste.invalid", "password": "senha-do-teste-nginx"},
            )
            assert login.status_code == 200
            token = login.json()["access_token"]
            me = await client.get(
                "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
            )
            assert me.json()["email"] == "ana@teste.invalid"

            handshake = await client.get(
                "/webhook",
                params={
                    "hub.mode": "subscribe",
                    "hub.verify_token": VERIFY_TOKEN,
                    "hub.challenge": "987654",
                },
            )
            assert handshake.text == "987654"
            body = encode_body(text_message_payload(wamid="wamid.NGINX1"))
            delivery = await client.post(
                "/webhook", content=body, headers=signed_headers(body)
            )
            assert delivery.status_code == 200

            await _read_first_stream_event(client, token)

            metrics = await client.get("/metrics")
            assert metrics.status_code == 404
            assert len(page.headers["x-request-id"]) == 32

        async with httpx.AsyncClient() as plain_client:
            plain = await plain_client.get(f"http://127.0.0.1:{http_port}/login")
        assert plain.status_code == 301
        assert plain.headers["location"].startswith("https://")
    finally:
        stop(nginx)
        stop(hub)
