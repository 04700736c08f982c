"""No log line and no API response contains a secret, a password or a password hash.

The run goes through the webhook handshake and a signed delivery, failed,
successful and throttled logins, user administration, password changes,
channel creation and sending (one success, one failure from Meta), with the
production log configuration at DEBUG level. Then every log line and every
response is searched for each secret value.
"""

import io
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import select

from cenat_hub.logging import configure_logging
from cenat_hub.models import Channel, User
from cenat_hub.web.security import CSRF_HEADER
from cenat_hub.web.state import AppState
from tests.conftest import APP_SECRET, VERIFY_TOKEN, post_webhook
from tests.factories import (
    ADMIN_PASSWORD,
    CHANNEL_1,
    make_user,
    page_login,
    text_message_payload,
)

CHANNEL_TOKEN = "EAAGtestChannelToken9f8e7d6c5b4a"
AGENT_PASSWORD = "senha-da-agente-Kw3"
AGENT_NEW_PASSWORD = "nova-senha-da-agente-Zp8"
AGENT_RESET_PASSWORD = "senha-redefinida-Lm2"
WRONG_GUESS = "palpite-errado-Qx7"


class GraphStub:
    """Meta's send endpoint: the first send succeeds, the next fails with 401."""

    def __init__(self) -> None:
        self.authorizations: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.authorizations.append(request.headers["Authorization"])
        if len(self.authorizations) == 1:
            return httpx.Response(
                200,
                json={
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": "5511900000001", "wa_id": "5511900000001"}],
                    "messages": [{"id": "wamid.SENT1"}],
                },
            )
        return httpx.Response(
            401,
            json={
                "error": {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "Atrace",
                }
            },
        )


@pytest.fixture
def graph_stub() -> GraphStub:
    return GraphStub()


@pytest.fixture
def graph_transport(graph_stub: GraphStub) -> httpx.AsyncBaseTransport:
    return httpx.MockTransport(graph_stub)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Route all logging through the production configuration into a buffer."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    buffer = io.StringIO()
    configure_logging("DEBUG", json_logs=True)
    # Keep loggers from binding to this configuration for the rest of the run.
    structlog.configure(cache_logger_on_first_use=False)
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    structlog.configure(**saved_structlog)
    root.handlers = saved_handlers
    root.setLevel(saved_level)


@pytest.fixture
async def recorded_client(
    app: FastAPI,
) -> AsyncIterator[tuple[httpx.AsyncClient, list]]:
    """A client that keeps every response, to search them afterwards."""
    responses: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        responses.append(response)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://hub.test",
        event_hooks={"response": [keep]},
    ) as http:
        yield http, responses


def _text_of(response: httpx.Response) -> str:
    """Return the response's headers and body; the request is not searched."""
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    return f"{headers}\n{response.text}"


async def _exercise(
    client: httpx.AsyncClient, state: AppState
) -> tuple[set[str], set[str]]:
    """Run the scenario; return issued tokens and the paths whose responses carry one."""
    tokens: set[str] = set()

    handshake = await client.get(
        "/webhook",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "123456",
        },
    )
    assert handshake.status_code == 200
    await client.get(
        "/webhook",
        params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"},
    )

    admin = await make_user(state)
    wrong = await client.post(
        "/api/auth/login", json={"email": admin.email, "password": WRONG_GUESS}
    )
    assert wrong.status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": admin.email, "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200
    admin_token = login.json()["access_token"]
    tokens.add(admin_token)
    admin_headers = {"Authorization": f"Bearer {admin_token}"}

    created = await client.post(
        "/api/channels",
        json={**CHANNEL_1, "whatsapp_token": CHANNEL_TOKEN},
        headers=admin_headers,
    )
    assert created.status_code == 201
    await client.get("/api/channels", headers=admin_headers)

    registered = await client.post(
        "/api/auth/register",
        json={
            "name": "Bia Teste",
            "email": "bia@teste.invalid",
            "password": AGENT_PASSWORD,
        },
        headers=admin_headers,
    )
    assert registered.status_code == 201
    agent_login = await client.post(
        "/api/auth/login",
        json={"email": "bia@teste.invalid", "password": AGENT_PASSWORD},
    )
    tokens.add(agent_login.json()["access_token"])
    changed = await client.post(
        "/api/auth/password",
        json={"current_password": AGENT_PASSWORD, "new_password": AGENT_NEW_PASSWORD},
        headers={"Authorization": f"Bearer {agent_login.json()['access_token']}"},
    )
    assert changed.status_code == 200
    agent_token = changed.json()["access_token"]
    tokens.add(agent_token)
    agent_headers = {"Authorization": f"Bearer {agent_token}"}

    delivered = await post_webhook(
        client,
        text_message_payload(wamid="wamid.IN1", timestamp=int(time.time())),
        state,
    )
    assert delivered.status_code == 200
    for text in ("Olá, tudo bem?", "Segunda mensagem"):
        sent = await client.post(
            "/api/send/text",
            json={"wa_id": "5511900000001", "text": text},
            headers=agent_headers,
        )
        assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "failed"

    await client.patch(
        f"/api/auth/users/{registered.json()['id']}",
        json={"password": AGENT_RESET_PASSWORD, "is_active": False},
        headers=admin_headers,
    )
    await client.get("/api/auth/me", headers=agent_headers)
    await client.get("/api/auth/users", headers=admin_headers)
    await client.get("/api/audit", headers=admin_headers)

    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    tokens.add(client.cookies["cenat_session"])
    await client.get("/usuarios")
    await client.post(
        "/usuarios",
        data={
            "name": "Caio Teste",
            "email": "caio@teste.invalid",
            "password": AGENT_PASSWORD,
            "role": "atendente",
        },
        headers={"HX-Request": "true", CSRF_HEADER: csrf},
    )
    for _ in range(6):
        await client.post(
            "/api/auth/login", json={"email": admin.email, "password": WRONG_GUESS}
        )
    return tokens, {"/api/auth/login", "/api/auth/password", "/login"}


async def _stored_secrets(state: AppState) -> set[str]:
    async with state.session_factory() as session:
        hashes = set((await session.execute(select(User.password_hash))).scalars())
        ciphertexts = set(
            (await session.execute(select(Channel.whatsapp_token))).scalars()
        )
    assert len(hashes) == 3
    assert ciphertexts and CHANNEL_TOKEN not in ciphertexts
    return hashes | ciphertexts


async def test_secrets_never_logged_or_returned(
    recorded_client: tuple[httpx.AsyncClient, list[httpx.Response]],
    state: AppState,
    graph_stub: GraphStub,
    log_output: io.StringIO,
) -> None:
    client, responses = recorded_client
    tokens, token_endpoints = await _exercise(client, state)
    settings = state.settings

    assert graph_stub.authorizations == [f"Bearer {CHANNEL_TOKEN}"] * 2
    secrets = {
        "channel token": CHANNEL_TOKEN,
        "app secret": APP_SECRET,
        "verify token": VERIFY_TOKEN,
        "JWT secret": settings.jwt_secret.get_secret_value(),
        "encryption key": settings.encryption_key.get_secret_value(),
        "admin password": ADMIN_PASSWORD,
        "agent password": AGENT_PASSWORD,
        "agent new password": AGENT_NEW_PASSWORD,
        "agent reset password": AGENT_RESET_PASSWORD,
        "wrong guess": WRONG_GUESS,
    }
    for number, value in enumerate(await _stored_secrets(state)):
        secrets[f"stored hash or ciphertext {number}"] = value

    logged = log_output.getvalue()
    lines = logged.splitlines()
    assert len(lines) > 25
    for line in lines:
        json.loads(line)
    events = {json.loads(line).get("event") for line in lines}
    for expected in (
        "webhook.verified",
        "webhook.received",
        "auth.login_failed",
        "auth.login_succeeded",
        "auth.login_throttled",
        "channel.created",
        "audit.recorded",
        "message.sent",
        "message.send_failed",
    ):
        assert expected in events, expected

    for name, value in secrets.items():
        assert value not in logged, f"{name} appears in the logs"
    for token in tokens:
        assert token not in logged, "an access token appears in the logs"

    assert len(responses) > 20
    for response in responses:
        text = _text_of(response)
        for name, value in secrets.items():
            assert value not in text, f"{name} appears in {response.request.url}"
        if response.request.url.path not in token_endpoints:
            for token in tokens:
                assert token not in text, f"a token appears in {response.request.url}"
