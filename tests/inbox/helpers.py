"""Helpers for the inbox tests: logging in through the page and timestamps."""

import time

import httpx

from cenat_hub.models import Conversation
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    ADMIN_PASSWORD,
    hidden_field,
    make_channel,
    make_user,
    text_message_payload,
)

XSS_NAME = '<script>alert("name")</script>'
XSS_TEXT = '<img src=x onerror="alert(1)"> veja https://example.org/curso?a=1&b=2'


async def page_login(
    client: httpx.AsyncClient,
    email: str = "admin@teste.invalid",
    password: str = ADMIN_PASSWORD,
) -> None:
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "next": "/conversas",
            "login_csrf": hidden_field(form.text, "login_csrf"),
        },
    )
    assert response.status_code == 303, response.text


async def setup_inbox(state: AppState, client: httpx.AsyncClient) -> None:
    await make_channel(state)
    await make_user(state)
    await page_login(client)


def now_ts(offset_seconds: int = 0) -> int:
    return int(time.time()) + offset_seconds


async def lead_writes(
    client: httpx.AsyncClient,
    state: AppState,
    *,
    wamid: str,
    body: str = "Olá, quero saber da pós",
    wa_id: str = "5511900000001",
    name: str = "Ana Teste",
    timestamp: int | None = None,
) -> None:
    payload = text_message_payload(
        wamid=wamid,
        wa_id=wa_id,
        body=body,
        name=name,
        timestamp=timestamp if timestamp is not None else now_ts(),
    )
    response = await post_webhook(client, payload, state)
    assert response.status_code == 200


async def conversation_for(state: AppState, wa_id: str) -> Conversation:
    from sqlalchemy import select

    from cenat_hub.models import Contact

    async with state.session_factory() as session:
        statement = (
            select(Conversation)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.wa_id == wa_id)
        )
        return (await session.execute(statement)).scalar_one()
