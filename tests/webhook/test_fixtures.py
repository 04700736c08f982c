"""Every webhook variant in tests/fixtures/webhooks, posted signed and checked field by field."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from cenat_hub.contacts.identity import IdentityClaims, find_or_create_contact
from cenat_hub.conversations.service import get_or_create_conversation
from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.messages.schemas import message_to_dict
from cenat_hub.models import Channel, Contact, Message
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import CHANNEL_1, CHANNEL_2, make_channel

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks"
FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _lookup(document: Any, dotted: str) -> Any:
    value = document
    for part in dotted.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


async def _message_count(state: AppState) -> int:
    async with state.session_factory() as session:
        return (
            await session.execute(select(func.count()).select_from(Message))
        ).scalar_one()


async def _message_json(state: AppState, wa_message_id: str) -> dict[str, Any]:
    async with state.session_factory() as session:
        statement = select(Message).where(Message.wa_message_id == wa_message_id)
        message = (await session.execute(statement)).scalar_one_or_none()
    assert message is not None, f"message {wa_message_id} was not stored"
    return message_to_dict(message)


async def _create_outbound(state: AppState, spec: dict[str, str]) -> None:
    """Store a message as the hub would after sending it, before any status arrives."""
    async with unit_of_work(state.session_factory) as session:
        channel = (
            await session.execute(
                select(Channel).where(
                    Channel.phone_number_id == spec["phone_number_id"]
                )
            )
        ).scalar_one()
        to = spec["to"]
        claims = (
            IdentityClaims(phone=to) if to.isdigit() else IdentityClaims(user_id=to)
        )
        contact = await find_or_create_contact(session, claims, channel.id)
        assert contact is not None
        conversation = await get_or_create_conversation(session, channel.id, contact.id)
        session.add(
            Message(
                wa_message_id=spec["wa_message_id"],
                channel_id=channel.id,
                contact_id=contact.id,
                conversation_id=conversation.id,
                contact_wa_id=to,
                direction="outbound",
                message_type="text",
                content=spec.get("text"),
                timestamp=utcnow(),
                status="sent",
            )
        )


async def _post_with_setup(
    client: httpx.AsyncClient, state: AppState, fixture: dict[str, Any], seen: set[str]
) -> None:
    for name in fixture.get("setup", []):
        if name not in seen:
            seen.add(name)
            await _post_with_setup(client, state, _load(name), seen)
            await post_webhook(client, _load(name)["payload"], state)
    for spec in fixture.get("setup_outbound", []):
        await _create_outbound(state, spec)


@pytest.mark.parametrize(
    "path", FIXTURE_FILES, ids=[path.stem for path in FIXTURE_FILES]
)
async def test_webhook_fixture(
    path: Path, client: httpx.AsyncClient, state: AppState
) -> None:
    fixture = _load(path.name)
    await make_channel(state, CHANNEL_1)
    await make_channel(state, CHANNEL_2)
    await _post_with_setup(client, state, fixture, {path.name})
    before = await _message_count(state)

    response = await post_webhook(client, fixture["payload"], state)

    assert response.status_code == 200
    expect = fixture["expect"]
    if "new_messages" in expect:
        assert await _message_count(state) - before == expect["new_messages"]
    for check in expect.get("messages", []):
        stored = await _message_json(state, check["wa_message_id"])
        for field, expected in check["fields"].items():
            actual = _lookup(stored, field)
            assert actual == expected, f"{check['wa_message_id']} {field}"
    for check in expect.get("statuses", []):
        stored = await _message_json(state, check["wa_message_id"])
        for field, expected in check.items():
            if field != "wa_message_id":
                assert _lookup(stored, field) == expected, (
                    f"{check['wa_message_id']} {field}"
                )
    for check in expect.get("contacts", []):
        async with state.session_factory() as session:
            statement = select(Contact).where(Contact.wa_id == check["wa_id"])
            contact = (await session.execute(statement)).scalar_one_or_none()
        assert contact is not None, f"contact {check['wa_id']} missing"
        for field, expected in check.items():
            assert getattr(contact, field) == expected, (
                f"contact {check['wa_id']} {field}"
            )
