"""Builders for CRM tests: contacts with and without conversations."""

import asyncio
from typing import Any

import httpx

from cenat_hub.contacts.identity import IdentityClaims, find_or_create_contact
from cenat_hub.db.session import unit_of_work
from cenat_hub.events.hub import Event
from cenat_hub.models import Contact, LostReason
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    login,
    make_user,
    text_message_payload,
)


async def make_contact(
    state: AppState, wa_id: str = "5511900000001", name: str | None = "Ana Teste"
) -> Contact:
    async with unit_of_work(state.session_factory) as session:
        contact = await find_or_create_contact(
            session, IdentityClaims(phone=wa_id, name=name), channel_id=None
        )
        assert contact is not None
        return contact


async def receive_text(
    client: httpx.AsyncClient,
    state: AppState,
    *,
    wamid: str,
    wa_id: str = "5511900000001",
    name: str = "Ana Teste",
    body: str = "Olá, quero saber da pós",
    phone_number_id: str = "100000000000001",
    timestamp: int = 1767225600,
) -> None:
    payload = text_message_payload(
        wamid=wamid,
        wa_id=wa_id,
        name=name,
        body=body,
        phone_number_id=phone_number_id,
        timestamp=timestamp,
    )
    response = await post_webhook(client, payload, state)
    assert response.status_code == 200


async def admin_headers(client: httpx.AsyncClient, state: AppState) -> dict[str, str]:
    await make_user(state)
    return await login(client, "admin@teste.invalid", ADMIN_PASSWORD)


async def agent_headers(client: httpx.AsyncClient, state: AppState) -> dict[str, str]:
    await make_user(
        state,
        email="agente@teste.invalid",
        password=AGENT_PASSWORD,
        role="atendente",
        name="Bruno Agente Teste",
    )
    return await login(client, "agente@teste.invalid", AGENT_PASSWORD)


async def make_lost_reason(
    state: AppState, name: str = "Sem interesse", *, is_active: bool = True
) -> int:
    async with unit_of_work(state.session_factory) as session:
        reason = LostReason(name=name, is_active=is_active, position=1)
        session.add(reason)
        await session.flush()
        return reason.id


def drain(queue: "asyncio.Queue[Event]") -> list[Event]:
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


def contact_events(queue: "asyncio.Queue[Event]") -> list[dict[str, Any]]:
    return [event.data for event in drain(queue) if event.kind == "contact.updated"]
