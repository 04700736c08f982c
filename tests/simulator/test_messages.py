"""POST /<PHONE_NUMBER_ID>/messages: responses, errors and status webhooks."""

from typing import Any

import pytest

from cenat_hub.simulator import LeadMessage
from tests.simulator.support import (
    LEAD_WA_ID,
    OTHER_WABA_TOKEN,
    PHONE_NUMBER_ID,
    SECOND_PHONE_NUMBER_ID,
    Simulator,
    SimulatorFactory,
    auth,
)

MESSAGES_PATH = f"/v23.0/{PHONE_NUMBER_ID}/messages"


def text_message(to: str = LEAD_WA_ID, body: str = "Olá, Ana!") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body},
    }


async def lead_writes(
    simulator: Simulator,
    wa_id: str = LEAD_WA_ID,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> None:
    message = LeadMessage(
        phone_number_id=phone_number_id, wa_id=wa_id, name="Ana Teste"
    )
    await simulator.state.lead_sends(message)


async def test_text_inside_window_accepted(simulator: Simulator) -> None:
    await lead_writes(simulator)

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )

    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": LEAD_WA_ID, "wa_id": LEAD_WA_ID}]
    assert body["messages"][0]["id"].startswith("wamid.")
    assert body["messages"][0]["message_status"] == "accepted"
    record = simulator.state.sent_messages[-1]
    assert record["wamid"] == body["messages"][0]["id"]
    assert record["phone_number_id"] == PHONE_NUMBER_ID
    assert record["request"]["text"]["body"] == "Olá, Ana!"


async def test_statuses_sent_delivered_read_signed(simulator: Simulator) -> None:
    await lead_writes(simulator)
    response = await simulator.client.post(
        MESSAGES_PATH,
        headers=auth(),
        json={**text_message(), "biz_opaque_callback_data": "ticket-42"},
    )
    wamid = response.json()["messages"][0]["id"]

    await simulator.state.wait_for_webhooks()

    statuses = simulator.receiver.statuses(wamid)
    assert [status["status"] for status in statuses] == ["sent", "delivered", "read"]
    assert all(webhook.signature_valid for webhook in simulator.receiver.received)
    sent, delivered, read = statuses
    assert sent["recipient_id"] == LEAD_WA_ID
    assert sent["timestamp"].isdigit()
    assert sent["biz_opaque_callback_data"] == "ticket-42"
    assert sent["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "category": "service",
        "type": "free_customer_service",
    }
    assert sent["conversation"]["origin"] == {"type": "service"}
    assert "expiration_timestamp" in sent["conversation"]
    assert delivered["conversation"]["id"] == sent["conversation"]["id"]
    assert "pricing" not in read
    assert "conversation" not in read


async def test_status_webhook_envelope(simulator: Simulator) -> None:
    await lead_writes(simulator)
    await simulator.client.post(MESSAGES_PATH, headers=auth(), json=text_message())

    await simulator.state.wait_for_webhooks()

    payload = simulator.receiver.received[-1].payload
    assert payload["object"] == "whatsapp_business_account"
    entry = payload["entry"][0]
    assert entry["id"] == "200000000000001"
    change = entry["changes"][0]
    assert change["field"] == "messages"
    assert change["value"]["metadata"] == {
        "display_phone_number": "5511900000100",
        "phone_number_id": PHONE_NUMBER_ID,
    }


async def test_text_outside_window_fails_131047(simulator: Simulator) -> None:
    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )
    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]

    await simulator.state.wait_for_webhooks()

    statuses = simulator.receiver.statuses(wamid)
    assert [status["status"] for status in statuses] == ["failed"]
    error = statuses[0]["errors"][0]
    assert error["code"] == 131047
    assert error["title"] == "Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]
    assert "pricing" not in statuses[0]


async def test_window_expires_after_24_hours(simulator: Simulator) -> None:
    await lead_writes(simulator)
    real_clock = simulator.state.clock
    simulator.state.clock = lambda: real_clock() + 24 * 3600 + 1

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )
    await simulator.state.wait_for_webhooks()

    statuses = simulator.receiver.statuses(response.json()["messages"][0]["id"])
    assert statuses[0]["errors"][0]["code"] == 131047


async def test_window_is_per_business_number(simulator: Simulator) -> None:
    await lead_writes(simulator, phone_number_id=SECOND_PHONE_NUMBER_ID)

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )
    await simulator.state.wait_for_webhooks()

    statuses = simulator.receiver.statuses(response.json()["messages"][0]["id"])
    assert statuses[0]["status"] == "failed"


async def test_undeliverable_recipient_fails_131026(simulator: Simulator) -> None:
    await lead_writes(simulator)
    simulator.state.mark_undeliverable(LEAD_WA_ID)

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )
    assert response.status_code == 200
    await simulator.state.wait_for_webhooks()

    statuses = simulator.receiver.statuses(response.json()["messages"][0]["id"])
    assert [status["status"] for status in statuses] == ["failed"]
    assert statuses[0]["errors"][0]["code"] == 131026


async def test_undeliverable_route_marks_number(simulator: Simulator) -> None:
    response = await simulator.client.post(
        f"/_simulator/leads/{LEAD_WA_ID}/undeliverable"
    )

    assert response.status_code == 200
    assert LEAD_WA_ID in simulator.state.undeliverable


@pytest.mark.parametrize(
    "headers",
    [{}, auth("wrong-token"), {"Authorization": "Basic c2ltOnRva2Vu"}],
    ids=["missing", "unknown", "not-bearer"],
)
async def test_bad_token_gives_190(
    simulator: Simulator, headers: dict[str, str]
) -> None:
    response = await simulator.client.post(
        MESSAGES_PATH, headers=headers, json=text_message()
    )

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 190
    assert error["type"] == "OAuthException"
    assert error["message"].startswith("(#190) ")
    assert error["fbtrace_id"].startswith("A")
    assert error["error_data"]["messaging_product"] == "whatsapp"


async def test_token_of_other_number_gives_190(simulator: Simulator) -> None:
    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(OTHER_WABA_TOKEN), json=text_message()
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190


async def test_unknown_phone_number_id_gives_100_33(simulator: Simulator) -> None:
    response = await simulator.client.post(
        "/v23.0/999999999999999/messages", headers=auth(), json=text_message()
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["error_subcode"] == 33
    assert error["type"] == "GraphMethodException"
    assert error["message"].startswith("(#100) Unsupported post request. Object")
    assert "Object with ID '999999999999999' does not exist" in error["message"]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"messaging_product": "telegram"}, "messaging_product"),
        ({"messaging_product": None}, "messaging_product"),
        ({"to": "55 11 9000-0001"}, "Param to"),
        ({"type": "carousel"}, "Param type"),
        ({"text": {"body": "x" * 4097}}, "4096"),
        ({"text": {"body": ""}}, "text['body']"),
        ({"text": "just a string"}, "must be an object"),
        ({"biz_opaque_callback_data": "x" * 513}, "512 bytes"),
    ],
    ids=[
        "wrong-product",
        "missing-product",
        "formatted-phone",
        "unknown-type",
        "body-too-long",
        "empty-body",
        "text-not-object",
        "tracker-too-long",
    ],
)
async def test_invalid_send_gives_100(
    simulator: Simulator, change: dict[str, Any], detail: str
) -> None:
    body = {**text_message(), **change}
    body = {key: value for key, value in body.items() if value is not None}

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert detail in error["error_data"]["details"] + error["message"]
    assert simulator.state.sent_messages == []


async def test_text_body_of_4096_accepted(simulator: Simulator) -> None:
    await lead_writes(simulator)

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message(body="x" * 4096)
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "content",
    [
        {
            "type": "image",
            "image": {"id": "123", "link": "https://example.invalid/a.jpg"},
        },
        {"type": "image", "image": {}},
        {"type": "image", "image": {"id": "999999"}},
        {
            "type": "sticker",
            "sticker": {"link": "https://example.invalid/s.webp", "caption": "x"},
        },
        {"type": "reaction", "reaction": {"emoji": "👍"}},
        {"type": "location", "location": {"latitude": 91, "longitude": 0}},
        {"type": "contacts", "contacts": [{"name": {}}]},
        {"type": "interactive", "interactive": {"type": "poll", "action": {}}},
        {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Escolha"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": f"b{i}", "title": f"B{i}"}}
                        for i in range(4)
                    ]
                },
            },
        },
        {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "Cursos"},
                "action": {
                    "button": "Ver cursos",
                    "sections": [
                        {
                            "rows": [
                                {"id": f"r{i}", "title": f"Curso {i}"}
                                for i in range(11)
                            ]
                        }
                    ],
                },
            },
        },
        {"type": "template", "template": {"name": "primeiro_contato_pos"}},
    ],
    ids=[
        "media-id-and-link",
        "media-without-source",
        "unknown-media-id",
        "sticker-caption",
        "reaction-without-target",
        "latitude-out-of-range",
        "contact-without-name",
        "unknown-interactive",
        "four-buttons",
        "eleven-rows",
        "template-without-language",
    ],
)
async def test_invalid_content_gives_100(
    simulator: Simulator, content: dict[str, Any]
) -> None:
    body = {"messaging_product": "whatsapp", "to": LEAD_WA_ID, **content}

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


@pytest.mark.parametrize(
    "content",
    [
        {
            "type": "image",
            "image": {"link": "https://example.invalid/a.jpg", "caption": "Oi"},
        },
        {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
        {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": ""}},
        {
            "type": "location",
            "location": {"latitude": -23.56, "longitude": -46.65, "name": "CENAT"},
        },
        {"type": "contacts", "contacts": [{"name": {"formatted_name": "Maria Teste"}}]},
        {
            "type": "interactive",
            "interactive": {
                "type": "cta_url",
                "body": {"text": "Veja o curso"},
                "action": {
                    "name": "cta_url",
                    "parameters": {
                        "display_text": "Abrir",
                        "url": "https://example.invalid/curso",
                    },
                },
            },
        },
    ],
    ids=[
        "image-link",
        "reaction",
        "reaction-removal",
        "location",
        "contacts",
        "cta-url",
    ],
)
async def test_valid_content_accepted(
    simulator: Simulator, content: dict[str, Any]
) -> None:
    await lead_writes(simulator)
    body = {"messaging_product": "whatsapp", "to": LEAD_WA_ID, **content}

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 200, response.text


async def test_invalid_json_gives_100(simulator: Simulator) -> None:
    response = await simulator.client.post(
        MESSAGES_PATH,
        headers={**auth(), "Content-Type": "application/json"},
        content=b"{not json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_thirteen_digit_send_answers_registered_form(
    simulator: Simulator,
) -> None:
    simulator.state.register_lead("551187654321", name="Bruno Teste")

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message(to="+5511987654321")
    )

    assert response.json()["contacts"] == [
        {"input": "+5511987654321", "wa_id": "551187654321"}
    ]


async def test_twelve_digit_send_answers_registered_form(
    simulator: Simulator,
) -> None:
    register = await simulator.client.post(
        "/_simulator/leads/register", json={"wa_id": "5511987654321"}
    )
    assert register.status_code == 200

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message(to="551187654321")
    )

    assert response.json()["contacts"][0]["wa_id"] == "5511987654321"


async def test_ninth_digit_alias_shares_window(simulator: Simulator) -> None:
    await lead_writes(simulator, wa_id="551187654321")

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message(to="5511987654321")
    )
    await simulator.state.wait_for_webhooks()

    statuses = simulator.receiver.statuses(response.json()["messages"][0]["id"])
    assert statuses[0]["status"] == "sent"
    assert statuses[0]["recipient_id"] == "551187654321"


async def test_bsuid_recipient_answers_user_id(simulator: Simulator) -> None:
    message = LeadMessage(
        phone_number_id=PHONE_NUMBER_ID, user_id="BR.0000000000000002", name="Ana"
    )
    await simulator.state.lead_sends(message)
    body = {
        "messaging_product": "whatsapp",
        "recipient": "BR.0000000000000002",
        "type": "text",
        "text": {"body": "Olá!"},
    }

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)
    await simulator.state.wait_for_webhooks()

    assert response.json()["contacts"] == [
        {"input": "BR.0000000000000002", "user_id": "BR.0000000000000002"}
    ]
    sent = simulator.receiver.statuses(response.json()["messages"][0]["id"])[0]
    assert sent["recipient_user_id"] == "BR.0000000000000002"
    assert "recipient_id" not in sent


async def test_mark_as_read_returns_success(simulator: Simulator) -> None:
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.INBOUND1",
        "typing_indicator": {"type": "text"},
    }

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    receipt = simulator.state.read_receipts[-1]
    assert receipt["message_id"] == "wamid.INBOUND1"
    assert receipt["typing_indicator"] is True
    assert simulator.state.sent_messages == []


async def test_mark_as_read_without_message_id_gives_100(simulator: Simulator) -> None:
    body = {"messaging_product": "whatsapp", "status": "read"}

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


@pytest.mark.parametrize(
    ("http_status", "code"), [(500, 131000), (429, 130429)], ids=["500", "429"]
)
async def test_injected_failures_then_success(
    simulator: Simulator, http_status: int, code: int
) -> None:
    await lead_writes(simulator)
    simulator.state.fail_next_sends(
        PHONE_NUMBER_ID, 2, http_status=http_status, code=code
    )

    responses = [
        await simulator.client.post(MESSAGES_PATH, headers=auth(), json=text_message())
        for _ in range(3)
    ]

    assert [r.status_code for r in responses] == [http_status, http_status, 200]
    assert responses[0].json()["error"]["code"] == code
    assert responses[0].json()["error"]["is_transient"] is True
    assert len(simulator.state.sent_messages) == 1


async def test_injected_failures_are_per_number(simulator: Simulator) -> None:
    await lead_writes(simulator)
    simulator.state.fail_next_sends(SECOND_PHONE_NUMBER_ID, 1)

    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )

    assert response.status_code == 200


async def test_auto_read_off_waits_for_lead(make_simulator: SimulatorFactory) -> None:
    simulator = await make_simulator(auto_read=False)
    await lead_writes(simulator)
    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )
    wamid = response.json()["messages"][0]["id"]
    await simulator.state.wait_for_webhooks()
    assert [s["status"] for s in simulator.receiver.statuses(wamid)] == [
        "sent",
        "delivered",
    ]

    read = await simulator.client.post(
        "/_simulator/leads/read",
        json={"phone_number_id": PHONE_NUMBER_ID, "wa_id": LEAD_WA_ID},
    )

    assert read.json() == {"read": [wamid]}
    assert simulator.receiver.statuses(wamid)[-1]["status"] == "read"


async def test_routes_accept_any_version_or_none(simulator: Simulator) -> None:
    await lead_writes(simulator)

    for prefix in ("/v23.0", "/v26.0", ""):
        response = await simulator.client.post(
            f"{prefix}/{PHONE_NUMBER_ID}/messages", headers=auth(), json=text_message()
        )
        assert response.status_code == 200, prefix


async def test_unknown_graph_path_gives_2500(simulator: Simulator) -> None:
    response = await simulator.client.post(
        f"/v23.0/{PHONE_NUMBER_ID}/unknown_edge", headers=auth(), json={}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 2500


async def test_phone_number_lookup(simulator: Simulator) -> None:
    response = await simulator.client.get(f"/v23.0/{PHONE_NUMBER_ID}", headers=auth())

    assert response.status_code == 200
    assert response.json() == {
        "id": PHONE_NUMBER_ID,
        "display_phone_number": "+55 11 90000-0100",
        "verified_name": "CENAT Teste",
        "quality_rating": "GREEN",
    }


async def test_phone_number_lookup_with_fields(simulator: Simulator) -> None:
    response = await simulator.client.get(
        f"/v23.0/{SECOND_PHONE_NUMBER_ID}",
        params={"fields": "quality_rating"},
        headers=auth("sim-token-2"),
    )

    assert response.json() == {"id": SECOND_PHONE_NUMBER_ID, "quality_rating": "YELLOW"}


async def test_sent_messages_route_lists_sends(simulator: Simulator) -> None:
    await lead_writes(simulator)
    sent = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=text_message()
    )

    response = await simulator.client.get("/_simulator/sent_messages")

    records = response.json()
    assert [record["wamid"] for record in records] == [sent.json()["messages"][0]["id"]]
    assert records[0]["recipient"] == LEAD_WA_ID
