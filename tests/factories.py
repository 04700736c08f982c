"""Builders of test data: fake people and numbers only."""

import re
from typing import Any

import bcrypt
import httpx

from cenat_hub.auth.service import create_user
from cenat_hub.channels.schemas import ChannelCreate
from cenat_hub.channels.service import create_channel
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import Channel, User
from cenat_hub.web.security import SESSION_COOKIE, csrf_token_for
from cenat_hub.web.state import AppState

CHANNEL_1 = {
    "name": "Pós-Graduação (SDR)",
    "phone_number": "5511900000100",
    "phone_number_id": "100000000000001",
    "waba_id": "200000000000001",
    "whatsapp_token": "sim-token-1",
}
CHANNEL_2 = {
    "name": "Cursos Livres",
    "phone_number": "5511900000200",
    "phone_number_id": "100000000000002",
    "waba_id": "200000000000001",
    "whatsapp_token": "sim-token-2",
}
ADMIN_PASSWORD = "senha-de-teste-admin"
AGENT_PASSWORD = "senha-de-teste-agente"


async def make_channel(state: AppState, data: dict[str, str] = CHANNEL_1) -> Channel:
    async with unit_of_work(state.session_factory) as session:
        return await create_channel(session, state.cipher, ChannelCreate(**data))


async def make_user(
    state: AppState,
    *,
    email: str = "admin@teste.invalid",
    password: str = ADMIN_PASSWORD,
    role: str = "admin",
    name: str = "Ana Admin Teste",
) -> User:
    async with unit_of_work(state.session_factory) as session:
        return await create_user(
            session, name=name, email=email, password=password, role=role
        )


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def text_message_payload(
    *,
    wamid: str,
    wa_id: str = "5511900000001",
    body: str = "Olá, quero saber da pós",
    name: str = "Ana Teste",
    phone_number_id: str = "100000000000001",
    timestamp: int | str = 1767225600,
) -> dict[str, Any]:
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
                                "display_phone_number": "5511900000100",
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(timestamp),
                                    "type": "text",
                                    "text": {"body": body},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


async def make_agent(
    state: AppState,
    *,
    email: str = "agente@teste.invalid",
    name: str = "Bruno Atendente Teste",
) -> User:
    return await make_user(
        state, email=email, password=AGENT_PASSWORD, role="atendente", name=name
    )


async def admin_headers(client: httpx.AsyncClient, state: AppState) -> dict[str, str]:
    """Create the test admin and return bearer headers for it."""
    admin = await make_user(state)
    return await login(client, admin.email, ADMIN_PASSWORD)


async def agent_headers(
    client: httpx.AsyncClient, state: AppState, email: str = "agente@teste.invalid"
) -> tuple[User, dict[str, str]]:
    """Create an agent and return it with bearer headers for it."""
    agent = await make_agent(state, email=email, name=f"Atendente {email}")
    return agent, await login(client, agent.email, AGENT_PASSWORD)


def hidden_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"hidden field {name} not found in the page"
    return match.group(1)


async def page_login(
    client: httpx.AsyncClient, state: AppState, email: str, password: str
) -> str:
    """Log in through the login form like a browser; return the session's CSRF token.

    The client keeps the session cookie for the following requests.
    """
    form_page = await client.get("/login")
    assert form_page.status_code == 200, form_page.text
    response = await client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "login_csrf": hidden_field(form_page.text, "login_csrf"),
            "next": "/usuarios",
        },
    )
    assert response.status_code == 303, response.text
    session_token = client.cookies[SESSION_COOKIE]
    return csrf_token_for(session_token, state.settings.jwt_secret.get_secret_value())


async def make_legacy_user(
    state: AppState,
    *,
    email: str,
    password: str,
    role: str = "atendente",
    name: str = "Bia Legado Teste",
) -> User:
    """Insert a user the way the original service did: a bcrypt hash made by SQL."""
    legacy_hash = bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=4))
    async with unit_of_work(state.session_factory) as session:
        user = User(
            name=name,
            email=email,
            password_hash=legacy_hash.decode(),
            role=role,
            is_active=True,
            token_version=0,
        )
        session.add(user)
        await session.flush()
        return user
