"""Simulated leads: inbound payloads of every type, lead routes and the demo player."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from cenat_hub.simulator import LeadMessage, LeadPlayer
from cenat_hub.simulator.leads import DEMO_LEADS
from cenat_hub.simulator.payloads import LeadMessageType
from tests.simulator.support import (
    LEAD_WA_ID,
    PHONE_NUMBER_ID,
    SECOND_PHONE_NUMBER_ID,
    Simulator,
    auth,
)

BUSINESS_DIGITS = "5511900000100"
MessageCheck = Callable[[dict[str, Any], str], None]


async def business_replies(simulator: Simulator, wa_id: str = LEAD_WA_ID) -> str:
    """Open the window with a lead message, send the lead a text and return its
    wamid."""
    opener = LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id=wa_id, name="Ana Teste")
    await simulator.state.lead_sends(opener)
    body = {
        "messaging_product": "whatsapp",
        "to": wa_id,
        "type": "text",
        "text": {"body": "Olá! Como posso ajudar?"},
    }
    response = await simulator.client.post(
        f"/v23.0/{PHONE_NUMBER_ID}/messages", headers=auth(), json=body
    )
    return str(response.json()["messages"][0]["id"])


def sent_message(result: dict[str, Any]) -> dict[str, Any]:
    value = result["payload"]["entry"][0]["changes"][0]["value"]
    message: dict[str, Any] = value["messages"][0]
    return message


def check_text(message: dict[str, Any], wamid: str) -> None:
    assert message["text"] == {"body": "Oi"}


def check_image(message: dict[str, Any], wamid: str) -> None:
    assert message["image"]["mime_type"] == "image/jpeg"
    assert message["image"]["caption"] == "Oi"


def check_video(message: dict[str, Any], wamid: str) -> None:
    assert message["video"]["mime_type"] == "video/mp4"


def check_audio(message: dict[str, Any], wamid: str) -> None:
    assert message["audio"]["voice"] is False
    assert message["audio"]["mime_type"] == "audio/mpeg"


def check_voice(message: dict[str, Any], wamid: str) -> None:
    assert message["audio"]["voice"] is True
    assert message["audio"]["mime_type"] == "audio/ogg; codecs=opus"


def check_document(message: dict[str, Any], wamid: str) -> None:
    assert message["document"]["filename"] == "ficha de inscrição.pdf"
    assert message["document"]["mime_type"] == "application/pdf"


def check_sticker(message: dict[str, Any], wamid: str) -> None:
    assert message["sticker"]["mime_type"] == "image/webp"
    assert message["sticker"]["animated"] is False


def check_location(message: dict[str, Any], wamid: str) -> None:
    assert isinstance(message["location"]["latitude"], float)
    assert isinstance(message["location"]["longitude"], float)


def check_contacts(message: dict[str, Any], wamid: str) -> None:
    card = message["contacts"][0]
    assert card["name"]["formatted_name"] == "Maria Teste"
    assert card["phones"][0]["wa_id"] == "5511900000010"


def check_reaction(message: dict[str, Any], wamid: str) -> None:
    assert message["reaction"] == {"message_id": wamid, "emoji": "👍"}
    assert "context" not in message


def check_button(message: dict[str, Any], wamid: str) -> None:
    assert message["button"] == {"payload": "Oi", "text": "Oi"}
    assert message["context"] == {"from": BUSINESS_DIGITS, "id": wamid}


def check_interactive_button(message: dict[str, Any], wamid: str) -> None:
    assert message["interactive"]["type"] == "button_reply"
    assert message["interactive"]["button_reply"]["title"] == "Oi"
    assert message["context"]["id"] == wamid


def check_list(message: dict[str, Any], wamid: str) -> None:
    assert message["interactive"]["type"] == "list_reply"
    assert set(message["interactive"]["list_reply"]) == {"id", "title", "description"}


def check_flow(message: dict[str, Any], wamid: str) -> None:
    reply = message["interactive"]["nfm_reply"]
    assert reply["name"] == "flow"
    assert isinstance(reply["response_json"], str)
    assert "flow_token" in json.loads(reply["response_json"])


def check_call_permission(message: dict[str, Any], wamid: str) -> None:
    reply = message["interactive"]["call_permission_reply"]
    assert reply["response"] == "accept"
    assert isinstance(reply["expiration_timestamp"], int)


def check_order(message: dict[str, Any], wamid: str) -> None:
    item = message["order"]["product_items"][0]
    assert item["quantity"] == 1
    assert item["currency"] == "BRL"


def check_unsupported(message: dict[str, Any], wamid: str) -> None:
    assert message["errors"][0]["code"] == 131051
    assert message["unsupported"] == {"type": "Oi"}


def check_request_welcome(message: dict[str, Any], wamid: str) -> None:
    assert "request_welcome" not in message


def check_system(message: dict[str, Any], wamid: str) -> None:
    assert message["system"]["type"] == "user_changed_number"
    assert message["system"]["wa_id"] == "5511900000099"


def check_edit(message: dict[str, Any], wamid: str) -> None:
    assert message["edit"]["original_message_id"] == wamid
    assert message["edit"]["message"] == {"type": "text", "text": {"body": "Oi"}}


def check_revoke(message: dict[str, Any], wamid: str) -> None:
    assert message["revoke"] == {"original_message_id": wamid}


LEAD_TYPES: dict[LeadMessageType, tuple[str, MessageCheck]] = {
    "text": ("text", check_text),
    "image": ("image", check_image),
    "video": ("video", check_video),
    "audio": ("audio", check_audio),
    "voice": ("audio", check_voice),
    "document": ("document", check_document),
    "sticker": ("sticker", check_sticker),
    "location": ("location", check_location),
    "contacts": ("contacts", check_contacts),
    "reaction": ("reaction", check_reaction),
    "button": ("button", check_button),
    "interactive_button": ("interactive", check_interactive_button),
    "list": ("interactive", check_list),
    "flow": ("interactive", check_flow),
    "call_permission_reply": ("interactive", check_call_permission),
    "order": ("order", check_order),
    "unsupported": ("unsupported", check_unsupported),
    "request_welcome": ("request_welcome", check_request_welcome),
    "system": ("system", check_system),
    "edit": ("edit", check_edit),
    "revoke": ("revoke", check_revoke),
}


@pytest.mark.parametrize("lead_type", list(LEAD_TYPES))
async def test_lead_message_type_reaches_hub(
    simulator: Simulator, lead_type: LeadMessageType
) -> None:
    business_wamid = await business_replies(simulator)
    wire_type, check = LEAD_TYPES[lead_type]
    message = LeadMessage(
        phone_number_id=PHONE_NUMBER_ID,
        wa_id=LEAD_WA_ID,
        name="Ana Teste",
        type=lead_type,
        text="Oi",
        caption="Oi",
        emoji="👍",
        new_wa_id="5511900000099",
    )

    result = await simulator.state.lead_sends(message)

    assert result["hub_status"] == 200
    webhook = simulator.receiver.received[-1]
    assert webhook.signature_valid
    assert webhook.payload == result["payload"]
    received = webhook.value["messages"][0]
    assert received["id"] == result["wa_message_id"]
    assert received["type"] == wire_type
    assert received["from"] == LEAD_WA_ID
    assert received["timestamp"].isdigit()
    if lead_type == "system":
        assert "contacts" not in webhook.value
    else:
        assert webhook.value["contacts"][0]["wa_id"] == LEAD_WA_ID
    check(received, business_wamid)


@pytest.mark.parametrize(
    ("lead_type", "magic"),
    [
        ("image", b"\xff\xd8\xff"),
        ("video", b"\x00\x00\x00\x20ftyp"),
        ("audio", b"\xff\xfb"),
        ("voice", b"OggS"),
        ("document", b"%PDF-"),
        ("sticker", b"RIFF"),
    ],
)
async def test_inbound_media_downloadable(
    simulator: Simulator, lead_type: LeadMessageType, magic: bytes
) -> None:
    message = LeadMessage(
        phone_number_id=PHONE_NUMBER_ID,
        wa_id=LEAD_WA_ID,
        type=lead_type,
    )
    result = await simulator.state.lead_sends(message)
    wire_type = "audio" if lead_type == "voice" else lead_type
    media = sent_message(result)[wire_type]

    lookup = await simulator.client.get(f"/v23.0/{media['id']}", headers=auth())
    download = await simulator.client.get(lookup.json()["url"], headers=auth())

    assert download.status_code == 200
    assert download.content.startswith(magic)
    assert lookup.json()["sha256"] == media["sha256"]
    assert download.headers["content-type"].startswith(media["mime_type"].split(";")[0])


async def test_media_message_with_url(simulator: Simulator) -> None:
    message = LeadMessage(
        phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, type="image", with_url=True
    )

    result = await simulator.state.lead_sends(message)

    image = sent_message(result)["image"]
    assert image["url"].startswith(f"http://127.0.0.1:8100/_media/{image['id']}?")


async def test_reply_context_quotes_sender(simulator: Simulator) -> None:
    business_wamid = await business_replies(simulator)
    own_wamid = simulator.state.inbound_messages[-1]["wamid"]

    to_business = await simulator.state.lead_sends(
        LeadMessage(
            phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, reply_to=business_wamid
        )
    )
    to_self = await simulator.state.lead_sends(
        LeadMessage(
            phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, reply_to=own_wamid
        )
    )

    first = sent_message(to_business)
    second = sent_message(to_self)
    assert first["context"] == {"from": BUSINESS_DIGITS, "id": business_wamid}
    assert second["context"] == {"from": LEAD_WA_ID, "id": own_wamid}


async def test_forwarded_flags(simulator: Simulator) -> None:
    message = LeadMessage(
        phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, frequently_forwarded=True
    )

    result = await simulator.state.lead_sends(message)

    sent = sent_message(result)
    assert sent["context"] == {"forwarded": True, "frequently_forwarded": True}


async def test_referral_default_and_custom(simulator: Simulator) -> None:
    default = await simulator.state.lead_sends(
        LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, referral=True)
    )
    custom = await simulator.state.lead_sends(
        LeadMessage(
            phone_number_id=PHONE_NUMBER_ID,
            wa_id=LEAD_WA_ID,
            referral={"source_type": "post", "source_id": "1"},
        )
    )

    referral = sent_message(default)["referral"]
    assert referral["source_type"] == "ad"
    assert referral["ctwa_clid"]
    custom_message = sent_message(custom)
    assert custom_message["referral"] == {"source_type": "post", "source_id": "1"}


async def test_reaction_removal_omits_emoji(simulator: Simulator) -> None:
    business_wamid = await business_replies(simulator)

    result = await simulator.state.lead_sends(
        LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, type="reaction")
    )

    sent = sent_message(result)
    assert sent["reaction"] == {"message_id": business_wamid}


async def test_bsuid_only_lead_has_no_from(simulator: Simulator) -> None:
    message = LeadMessage(
        phone_number_id=PHONE_NUMBER_ID,
        user_id="BR.0000000000000002",
        parent_user_id="BR.ENT.0000000000000002",
        username="ana.teste",
        name="Ana Teste",
    )

    result = await simulator.state.lead_sends(message)

    value = result["payload"]["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [
        {
            "profile": {"name": "Ana Teste", "username": "ana.teste"},
            "user_id": "BR.0000000000000002",
            "parent_user_id": "BR.ENT.0000000000000002",
        }
    ]
    sent = value["messages"][0]
    assert "from" not in sent
    assert sent["from_user_id"] == "BR.0000000000000002"
    assert sent["from_parent_user_id"] == "BR.ENT.0000000000000002"


async def test_lead_without_name_has_no_profile(simulator: Simulator) -> None:
    result = await simulator.state.lead_sends(
        LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID)
    )

    contact = result["payload"]["entry"][0]["changes"][0]["value"]["contacts"][0]
    assert contact == {"wa_id": LEAD_WA_ID}


async def test_registered_twelve_digit_lead_writes_from_it(
    simulator: Simulator,
) -> None:
    simulator.state.register_lead("551187654321")

    result = await simulator.state.lead_sends(
        LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id="5511987654321")
    )

    sent = sent_message(result)
    assert sent["from"] == "551187654321"


async def test_lead_route_returns_result(simulator: Simulator) -> None:
    response = await simulator.client.post(
        "/_simulator/leads/message",
        json={
            "phone_number_id": PHONE_NUMBER_ID,
            "wa_id": LEAD_WA_ID,
            "name": "Carla Teste",
            "type": "document",
            "filename": "comprovante.pdf",
            "caption": "Segue o comprovante",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["hub_status"] == 200
    assert body["wa_message_id"].startswith("wamid.")
    document = sent_message(body)["document"]
    assert document["filename"] == "comprovante.pdf"
    assert document["caption"] == "Segue o comprovante"


@pytest.mark.parametrize(
    "body",
    [
        {"phone_number_id": PHONE_NUMBER_ID},
        {"phone_number_id": PHONE_NUMBER_ID, "wa_id": LEAD_WA_ID, "type": "poll"},
        {"phone_number_id": PHONE_NUMBER_ID, "wa_id": LEAD_WA_ID, "type": "system"},
        {"phone_number_id": PHONE_NUMBER_ID, "wa_id": LEAD_WA_ID, "colour": "blue"},
    ],
    ids=["no-identity", "unknown-type", "system-without-new-number", "unknown-field"],
)
async def test_lead_route_rejects_bad_body(
    simulator: Simulator, body: dict[str, Any]
) -> None:
    response = await simulator.client.post("/_simulator/leads/message", json=body)

    assert response.status_code == 422
    assert simulator.receiver.received == []


async def test_lead_route_unknown_number_gives_404(simulator: Simulator) -> None:
    response = await simulator.client.post(
        "/_simulator/leads/message",
        json={"phone_number_id": "999", "wa_id": LEAD_WA_ID},
    )

    assert response.status_code == 404
    assert "999" in response.json()["detail"]


async def test_reaction_without_business_message_gives_400(
    simulator: Simulator,
) -> None:
    response = await simulator.client.post(
        "/_simulator/leads/message",
        json={
            "phone_number_id": PHONE_NUMBER_ID,
            "wa_id": LEAD_WA_ID,
            "type": "reaction",
        },
    )

    assert response.status_code == 400
    assert "target_id" in response.json()["detail"]


async def test_lead_player_sends_scripted_turns(simulator: Simulator) -> None:
    player = LeadPlayer(simulator.state)

    for _ in range(len(DEMO_LEADS) + 3):
        result = await player.play_turn()
        assert result is not None
        assert result["hub_status"] == 200

    messages = simulator.receiver.messages()
    senders = {message["from"] for message in messages}
    assert senders == {lead.wa_id for lead in DEMO_LEADS}
    assert all("referral" in message for message in messages[: len(DEMO_LEADS)])
    assert len({message["type"] for message in messages}) >= 4
    names = {
        webhook.value["contacts"][0]["profile"]["name"]
        for webhook in simulator.receiver.received
    }
    assert {"Ana Teste", "Bruno Teste", "Carla Teste", "João Teste"} <= names


async def test_lead_player_spreads_leads_over_numbers(simulator: Simulator) -> None:
    player = LeadPlayer(simulator.state)
    number_ids = [number.phone_number_id for number in simulator.state.config.numbers]

    for _ in range(2 * len(DEMO_LEADS)):
        await player.play_turn()

    numbers_by_lead: dict[str, set[str]] = {}
    for webhook in simulator.receiver.received:
        value = webhook.value
        for message in value.get("messages", []):
            numbers_by_lead.setdefault(message["from"], set()).add(
                value["metadata"]["phone_number_id"]
            )
    first, second, third = DEMO_LEADS[:3]
    assert numbers_by_lead[first.wa_id] == {number_ids[0], number_ids[1]}
    assert numbers_by_lead[second.wa_id] == {number_ids[1]}
    assert numbers_by_lead[third.wa_id] == {number_ids[2]}


async def test_lead_player_keeps_a_given_number(simulator: Simulator) -> None:
    player = LeadPlayer(simulator.state, phone_number_id=SECOND_PHONE_NUMBER_ID)

    for _ in range(len(DEMO_LEADS) + 2):
        await player.play_turn()

    number_ids = {
        webhook.value["metadata"]["phone_number_id"]
        for webhook in simulator.receiver.received
        if webhook.value.get("messages")
    }
    assert number_ids == {SECOND_PHONE_NUMBER_ID}


async def test_lead_player_run_stops_on_event(simulator: Simulator) -> None:
    stop = asyncio.Event()

    class ThreeTurnPlayer(LeadPlayer):
        async def play_turn(self) -> dict[str, Any] | None:
            result = await super().play_turn()
            if self.turn == 3:
                stop.set()
            return result

    player = ThreeTurnPlayer(simulator.state, interval_seconds=0.01)

    await asyncio.wait_for(player.run(stop), timeout=2)

    assert player.turn == 3
    assert len(simulator.receiver.messages()) == 3


async def test_lead_sends_accepts_keyword_fields(simulator: Simulator) -> None:
    result = await simulator.state.lead_sends(
        phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, text="Bom dia!"
    )

    assert sent_message(result)["text"] == {"body": "Bom dia!"}
    with pytest.raises(TypeError):
        await simulator.state.lead_sends(
            LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID),
            text="Bom dia!",
        )
