"""The card route the live Funil board fetches, under the board's filters and
the user's channels, and the contact fragment of the events stream."""

from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from cenat_hub.channels.access import set_user_channels
from cenat_hub.db.session import unit_of_work
from cenat_hub.inbox.live import FragmentRenderer
from cenat_hub.models import Contact, User
from cenat_hub.web.security import CSRF_HEADER
from cenat_hub.web.state import AppState
from tests.crm.helpers import receive_text
from tests.factories import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    CHANNEL_2,
    make_agent,
    make_channel,
    make_user,
    page_login,
)

ZONE = ZoneInfo("America/Sao_Paulo")
FIRST_LEAD = "5511900000001"
SECOND_LEAD = "5511900000002"


@pytest.fixture
async def two_channels(client: httpx.AsyncClient, state: AppState) -> tuple[int, int]:
    """A lead on each channel and an agent limited to the first channel."""
    first = await make_channel(state)
    second = await make_channel(state, CHANNEL_2)
    await make_user(state)
    agent = await make_agent(state)
    async with unit_of_work(state.session_factory) as session:
        await set_user_channels(session, agent.id, [first.id])
    await receive_text(client, state, wamid="wamid.LB1", wa_id=FIRST_LEAD)
    await receive_text(
        client,
        state,
        wamid="wamid.LB2",
        wa_id=SECOND_LEAD,
        name="Bia Teste",
        phone_number_id=CHANNEL_2["phone_number_id"],
    )
    return first.id, second.id


async def _log_in(client: httpx.AsyncClient, state: AppState, email: str) -> None:
    password = ADMIN_PASSWORD if email.startswith("admin") else AGENT_PASSWORD
    client.cookies.clear()
    client.headers[CSRF_HEADER] = await page_login(client, state, email, password)


async def test_card_answers_under_the_board_filters(
    client: httpx.AsyncClient, state: AppState, two_channels: tuple[int, int]
) -> None:
    first, second = two_channels
    await _log_in(client, state, "admin@teste.invalid")

    same_channel = await client.get(
        f"/funil/cards/{FIRST_LEAD}", params={"channel_id": first}
    )
    other_channel = await client.get(
        f"/funil/cards/{FIRST_LEAD}", params={"channel_id": second}
    )
    no_match = await client.get(f"/funil/cards/{FIRST_LEAD}", params={"search": "Zeca"})
    by_name = await client.get(f"/funil/cards/{FIRST_LEAD}", params={"search": "Ana"})

    assert same_channel.status_code == 200
    assert 'class="lead-card"' in same_channel.text
    assert f'data-wa-id="{FIRST_LEAD}"' in same_channel.text
    assert other_channel.status_code == 204
    assert other_channel.text == ""
    assert no_match.status_code == 204
    assert by_name.status_code == 200


async def test_card_follows_a_tag_filter(
    client: httpx.AsyncClient, state: AppState, two_channels: tuple[int, int]
) -> None:
    await _log_in(client, state, "admin@teste.invalid")
    tag = await client.post("/api/tags", json={"name": "Bolsa", "color": "green"})
    assert tag.status_code in (200, 201), tag.text
    tag_id = tag.json()["id"]

    before = await client.get(f"/funil/cards/{FIRST_LEAD}", params={"tag_id": tag_id})
    await client.post(f"/api/contacts/{FIRST_LEAD}/tags/{tag_id}")
    after = await client.get(f"/funil/cards/{FIRST_LEAD}", params={"tag_id": tag_id})

    assert before.status_code == 204
    assert after.status_code == 200
    assert "Bolsa" in after.text


async def test_board_and_cards_keep_to_the_agents_channels(
    client: httpx.AsyncClient, state: AppState, two_channels: tuple[int, int]
) -> None:
    first, second = two_channels
    await _log_in(client, state, "agente@teste.invalid")

    board = await client.get("/funil")
    hidden = await client.get(f"/funil/cards/{SECOND_LEAD}")
    shown = await client.get(f"/funil/cards/{FIRST_LEAD}")

    assert board.status_code == 200
    assert f'data-wa-id="{FIRST_LEAD}"' in board.text
    assert f'data-wa-id="{SECOND_LEAD}"' not in board.text
    assert f'<option value="{first}"' in board.text
    assert f'<option value="{second}"' not in board.text
    assert hidden.status_code == 204
    assert shown.status_code == 200


async def test_contact_fragment_only_for_visible_leads(
    client: httpx.AsyncClient, state: AppState, two_channels: tuple[int, int]
) -> None:
    async with state.session_factory() as session:
        agent = (
            await session.execute(
                select(User).where(User.email == "agente@teste.invalid")
            )
        ).scalar_one()
        ids = dict((await session.execute(select(Contact.wa_id, Contact.id))).all())
        renderer = FragmentRenderer(session, agent, ZONE)
        seen = await renderer.for_event(
            "contact.updated", {"contact_id": ids[FIRST_LEAD]}
        )
        unseen = await renderer.for_event(
            "contact.updated", {"contact_id": ids[SECOND_LEAD]}
        )

    assert [fragment.kind for fragment in seen] == ["contact", "conversation"]
    assert seen[0].data["wa_id"] == FIRST_LEAD
    assert seen[0].data["lead_status"] == "novo"
    assert unseen == []
