"""Media routes honour the channels an agent is limited to.

An agent limited to one channel gets 404 for the files of messages on another
channel, as for a file that does not exist, and cannot send a file there or
read another channel's message back through an idempotency key.
"""

from dataclasses import dataclass

import httpx

from cenat_hub.channels.access import set_user_channels
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import Channel
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.simulator.sample_files import pdf_document
from cenat_hub.web.state import AppState
from tests.factories import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    CHANNEL_1,
    CHANNEL_2,
    login,
    make_agent,
    make_channel,
    make_user,
)
from tests.media.support import message_by_wamid

LEAD_ON_FIRST = "5511900000001"
LEAD_ON_SECOND = "5511900000002"


@dataclass
class TwoChannels:
    first: Channel
    second: Channel
    admin: dict[str, str]
    limited: dict[str, str]
    unlimited: dict[str, str]
    media_on_first: str
    media_on_second: str


async def _lead_sends_image(
    simulator: SimulatorState, state: AppState, channel: Channel, wa_id: str
) -> str:
    result = await simulator.lead_sends(
        LeadMessage(
            phone_number_id=channel.phone_number_id,
            wa_id=wa_id,
            name="Ana Teste",
            type="image",
        )
    )
    await state.webhook_worker.drain()
    await state.media_downloader.drain()
    message = await message_by_wamid(state, str(result["wa_message_id"]))
    assert message.media_id is not None
    return message.media_id


async def _two_channels(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> TwoChannels:
    first = await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    await make_user(state)
    limited = await make_agent(state)
    await make_agent(state, email="livre@teste.invalid", name="Caio Atendente Teste")
    async with unit_of_work(state.session_factory) as session:
        await set_user_channels(session, limited.id, [first.id])
    return TwoChannels(
        first=first,
        second=second,
        admin=await login(client, "admin@teste.invalid", ADMIN_PASSWORD),
        limited=await login(client, "agente@teste.invalid", AGENT_PASSWORD),
        unlimited=await login(client, "livre@teste.invalid", AGENT_PASSWORD),
        media_on_first=await _lead_sends_image(simulator, state, first, LEAD_ON_FIRST),
        media_on_second=await _lead_sends_image(
            simulator, state, second, LEAD_ON_SECOND
        ),
    )


async def test_media_of_hidden_channel_is_404(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    setup = await _two_channels(client, state, simulator)
    other = f"/api/media/{setup.media_on_second}"

    own = await client.get(f"/api/media/{setup.media_on_first}", headers=setup.limited)
    hidden = await client.get(other, headers=setup.limited)
    hidden_download = await client.get(
        other, params={"download": "true"}, headers=setup.limited
    )
    hidden_converted = await client.get(
        other, params={"format": "m4a"}, headers=setup.limited
    )
    unknown = await client.get("/api/media/999999999", headers=setup.limited)

    assert own.status_code == 200
    assert own.headers["content-type"] == "image/jpeg"
    for response in (hidden, hidden_download, hidden_converted):
        assert response.status_code == 404, response.text
        assert response.content != own.content
    # The response does not distinguish a hidden file from a missing one.
    assert hidden.json()["code"] == unknown.json()["code"]


async def test_unlimited_users_read_every_channel(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    setup = await _two_channels(client, state, simulator)

    for headers in (setup.admin, setup.unlimited):
        for media_id in (setup.media_on_first, setup.media_on_second):
            response = await client.get(f"/api/media/{media_id}", headers=headers)
            assert response.status_code == 200, response.text
            assert response.content[:2] == b"\xff\xd8"


async def test_send_to_hidden_channel_is_rejected(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    setup = await _two_channels(client, state, simulator)
    sends_before = len(simulator.sent_messages)

    def upload() -> dict[str, tuple[str, bytes, str]]:
        return {"file": ("Proposta.pdf", pdf_document("Proposta"), "application/pdf")}

    named_channel = await client.post(
        "/api/send/media",
        headers=setup.limited,
        data={"wa_id": LEAD_ON_SECOND, "channel_id": str(setup.second.id)},
        files=upload(),
    )
    hidden_lead = await client.post(
        "/api/send/media",
        headers=setup.limited,
        data={"wa_id": LEAD_ON_SECOND},
        files=upload(),
    )

    assert named_channel.status_code == 403, named_channel.text
    assert hidden_lead.status_code == 404, hidden_lead.text
    assert len(simulator.sent_messages) == sends_before


async def test_hidden_client_message_id_conflicts(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    setup = await _two_channels(client, state, simulator)
    sent = await client.post(
        "/api/send/media",
        headers=setup.admin,
        data={"wa_id": LEAD_ON_SECOND, "client_message_id": "segundo-canal-0001"},
        files={"file": ("Proposta.pdf", pdf_document("Proposta"), "application/pdf")},
    )
    assert sent.status_code == 200, sent.text

    replayed = await client.post(
        "/api/send/media",
        headers=setup.limited,
        data={"wa_id": LEAD_ON_FIRST, "client_message_id": "segundo-canal-0001"},
        files={"file": ("Outro.pdf", pdf_document("Outro"), "application/pdf")},
    )

    assert replayed.status_code == 409, replayed.text
    assert sent.json()["media"]["id"] not in replayed.text
    stored = await client.get(
        f"/api/media/{sent.json()['media']['id']}", headers=setup.limited
    )
    assert stored.status_code == 404
