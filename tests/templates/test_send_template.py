"""POST /api/send/template through the Cloud API simulator."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.db.types import utcnow
from cenat_hub.models import Contact, Conversation, Message, MessageTemplate
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.web.state import AppState
from tests.hub_simulator import wait_for
from tests.templates.support import (
    PHONE_NUMBER_ID,
    TEMPLATE_VALUES,
    WABA_ID,
    Hub,
    list_templates,
    send_template,
    setup_hub,
)

LEAD = "5511900000001"


@pytest.fixture
async def hub(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> Hub:
    return await setup_hub(client, state)


async def _message(state: AppState, message_id: int) -> Message:
    async with state.session_factory() as session:
        message = await session.get(Message, message_id)
    assert message is not None
    return message


async def _count(state: AppState, model: Any) -> int:
    async with state.session_factory() as session:
        return (
            await session.execute(select(func.count()).select_from(model))
        ).scalar_one()


def _sent_template(simulator: SimulatorState) -> dict[str, Any]:
    return simulator.sent_messages[-1]["request"]["template"]


async def test_every_template_kind_is_listed_here(hub: Hub) -> None:
    listed = (await list_templates(hub)).json()
    kinds = {
        (t["name"], t["language"])
        for t in listed
        if not t["name"].startswith("aviso_turma_") or t["name"] == "aviso_turma_01"
    }

    assert kinds == set(TEMPLATE_VALUES)


@pytest.mark.parametrize(
    ("name", "language"), list(TEMPLATE_VALUES), ids=[n for n, _ in TEMPLATE_VALUES]
)
async def test_template_kind_is_sent(
    hub: Hub, state: AppState, simulator: SimulatorState, name: str, language: str
) -> None:
    response = await send_template(
        hub, name, TEMPLATE_VALUES[name, language], language=language, name="Ana Teste"
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "sent", body["error"]
    assert body["message_type"] == "template"
    assert body["wa_message_id"].startswith("wamid.")
    sent = _sent_template(simulator)
    assert sent["name"] == name
    assert sent["language"] == {"code": language, "policy": "deterministic"}
    assert body["template"]["components"] == sent["components"]
    assert body["template"]["name"] == name
    assert body["template"]["language"] == language
    assert "{{" not in body["content"]
    assert body["content"] == body["template"]["body"]


async def test_stored_message_shows_rendered_template(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    values = TEMPLATE_VALUES["inscricao_confirmada", "pt_BR"]

    body = (await send_template(hub, "inscricao_confirmada", values)).json()

    message = await _message(state, body["id"])
    assert message.content == (
        "Ana, sua inscrição na Pós-Graduação Saúde Mental foi confirmada!"
    )
    assert message.template is not None
    assert message.template["footer"] == "CENAT - Educação em Saúde Mental"
    assert message.template["buttons"][0]["url"] == (
        "https://example.invalid/inscricao/A1B2C3"
    )
    assert message.template["buttons"][1]["phone_number"] == "+5511900000100"
    history = (
        await hub.client.get(f"/api/messages/{LEAD}", headers=hub.headers)
    ).json()
    assert [m["message_type"] for m in history] == ["template"]
    async with state.session_factory() as session:
        conversation = await session.get(Conversation, message.conversation_id)
    assert conversation is not None
    assert conversation.last_message_preview == message.content


async def test_image_header_stored_with_link(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    values = TEMPLATE_VALUES["boas_vindas_curso", "pt_BR"]

    body = (await send_template(hub, "boas_vindas_curso", values)).json()

    assert body["template"]["header"] == {
        "format": "IMAGE",
        "media": {"link": values["header.media"], "id": None, "filename": None},
    }
    header = _sent_template(simulator)["components"][0]
    assert header["parameters"][0]["image"] == {"link": values["header.media"]}


async def test_image_header_by_uploaded_media_id(
    hub: Hub, simulator: SimulatorState
) -> None:
    item = simulator.media.add(b"\xff\xd8fake-jpeg", "image/jpeg", PHONE_NUMBER_ID)
    values = {"body.customer_name": "Ana", "body.course_name": "Saúde Mental"}

    response = await send_template(
        hub, "boas_vindas_curso", values, header_media_id=item.media_id
    )

    assert response.json()["status"] == "sent"
    header = _sent_template(simulator)["components"][0]
    assert header["parameters"][0] == {"type": "image", "image": {"id": item.media_id}}


async def test_typed_number_reaches_registered_form(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    simulator.register_lead("551187654321", name="Bia Teste")
    values = TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"]

    response = await send_template(
        hub, "primeiro_contato_pos", values, phone="(11) 98765-4321", name="Bia Teste"
    )

    body = response.json()
    assert body["status"] == "sent"
    assert simulator.sent_messages[-1]["request"]["to"] == "5511987654321"
    assert body["contact"]["wa_id"] == "551187654321"
    assert body["contact"]["name"] == "Bia Teste"
    async with state.session_factory() as session:
        typed = await find_contact_by_any_id(session, "5511987654321")
        registered = await find_contact_by_any_id(session, "551187654321")
        conversation = await session.get(Conversation, body["conversation_id"])
    assert typed is not None
    assert registered is not None
    assert typed.id == registered.id
    assert conversation is not None
    assert conversation.recipient_wa_id == "551187654321"

    await simulator.lead_sends(
        LeadMessage(
            phone_number_id=PHONE_NUMBER_ID, wa_id="551187654321", text="Quero sim"
        )
    )
    await state.webhook_worker.drain()

    assert await _count(state, Contact) == 1
    assert await _count(state, Conversation) == 1
    history = (
        await hub.client.get("/api/messages/5511987654321", headers=hub.headers)
    ).json()
    # WhatsApp timestamps have whole seconds, so the two may share one.
    assert sorted(m["direction"] for m in history) == ["inbound", "outbound"]


@pytest.mark.parametrize(
    "typed",
    ["+55 (11) 8765-4321", "11987654321", "5511987654321", "(11) 9 8765-4321"],
    ids=["plus-without-nine", "national", "international", "spaced-nine"],
)
async def test_typed_forms_find_existing_contact(
    hub: Hub, state: AppState, simulator: SimulatorState, typed: str
) -> None:
    await simulator.lead_sends(
        LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id="551187654321", text="Oi")
    )
    await state.webhook_worker.drain()
    values = TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"]

    body = (
        await send_template(hub, "primeiro_contato_pos", values, phone=typed)
    ).json()

    assert body["status"] == "sent"
    assert body["contact"]["wa_id"] == "551187654321"
    assert simulator.sent_messages[-1]["request"]["to"] == "551187654321"
    assert await _count(state, Contact) == 1


async def test_allowed_outside_window(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    await simulator.lead_sends(
        LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD, text="Oi")
    )
    await state.webhook_worker.drain()
    async with state.session_factory() as session:
        await session.execute(
            update(Conversation).values(last_inbound_at=utcnow() - timedelta(hours=30))
        )
        await session.commit()
    simulator.clock = lambda: 10**10
    values = TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"]

    body = (await send_template(hub, "primeiro_contato_pos", values, wa_id=LEAD)).json()

    assert body["status"] == "sent"

    async def is_read() -> bool:
        await state.webhook_worker.drain()
        return (await _message(state, body["id"])).status == "read"

    await wait_for(is_read)


async def test_forbidden_whitespace_is_400_naming_field(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    values = {"body.1": "Ana\nTeste", "body.2": "Saúde Mental"}

    response = await send_template(hub, "primeiro_contato_pos", values)

    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid_template_values"
    assert "body.1" in error["detail"]
    assert "quebras de linha" in error["details"]["fields"]["body.1"]
    assert simulator.sent_messages == []
    assert await _count(state, Message) == 0
    assert await _count(state, Contact) == 0


async def test_several_problems_are_listed(hub: Hub) -> None:
    values = {"body.1": "x" * 1025, "body.9": "?"}

    response = await send_template(hub, "primeiro_contato_pos", values)

    error = response.json()
    assert response.status_code == 400
    assert set(error["details"]["fields"]) == {"body.1", "body.2", "body.9"}
    assert len(error["details"]["problems"]) == 3


async def test_parameters_list_fills_body(hub: Hub, simulator: SimulatorState) -> None:
    response = await send_template(
        hub, "primeiro_contato_pos", {}, parameters=["Ana", "Saúde Mental"]
    )

    assert response.json()["status"] == "sent"
    parameters = _sent_template(simulator)["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Ana", "Saúde Mental"]


async def test_mismatch_comes_back_132000_in_portuguese(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    await list_templates(hub)
    edited = simulator.template(WABA_ID, "primeiro_contato_pos", "pt_BR")
    edited["components"][0]["text"] += " Turma: {{3}}."
    values = TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"]

    body = (await send_template(hub, "primeiro_contato_pos", values)).json()

    assert body["status"] == "failed"
    assert body["error"]["code"] == 132000
    assert (
        body["error"]["message"] == "O número de variáveis não corresponde ao template."
    )
    assert simulator.sent_messages == []
    listed = (await list_templates(hub)).json()
    refreshed = next(
        t
        for t in listed
        if t["name"] == "primeiro_contato_pos" and t["language"] == "pt_BR"
    )
    assert [f["key"] for f in refreshed["fields"] if f["component"] == "body"] == [
        "body.1",
        "body.2",
        "body.3",
    ]


@pytest.mark.parametrize(
    ("status", "code", "explanation"),
    [
        ("PAUSED", 132015, "O template está pausado por baixa qualidade."),
        (
            "DISABLED",
            132016,
            "O template foi desativado permanentemente por baixa qualidade.",
        ),
    ],
)
async def test_paused_at_meta_fails_then_is_refused(
    hub: Hub,
    state: AppState,
    simulator: SimulatorState,
    status: str,
    code: int,
    explanation: str,
) -> None:
    await list_templates(hub)
    await simulator.set_template_status(
        WABA_ID, "lembrete_aula", "pt_BR", status, notify=False
    )
    values = TEMPLATE_VALUES["lembrete_aula", "pt_BR"]

    first = (await send_template(hub, "lembrete_aula", values)).json()
    second = await send_template(hub, "lembrete_aula", values)

    assert first["status"] == "failed"
    assert first["error"]["code"] == code
    assert first["error"]["message"] == explanation
    assert second.status_code == 409
    assert second.json()["code"] == "template_not_approved"
    assert await _count(state, Message) == 1


async def test_paused_by_webhook_is_refused_locally(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    await list_templates(hub)
    await simulator.set_template_status(WABA_ID, "lembrete_aula", "pt_BR", "PAUSED")
    await state.webhook_worker.drain()

    response = await send_template(
        hub, "lembrete_aula", TEMPLATE_VALUES["lembrete_aula", "pt_BR"]
    )

    assert response.status_code == 409
    assert simulator.sent_messages == []


@pytest.mark.parametrize(
    ("name", "language", "status_code", "code"),
    [
        ("pesquisa_satisfacao", "pt_BR", 409, "template_not_approved"),
        ("oferta_relampago", "pt_BR", 409, "template_not_approved"),
        ("nao_existe", "pt_BR", 404, "template_not_found"),
        ("primeiro_contato_pos", "es_ES", 404, "template_not_found"),
    ],
    ids=["paused", "rejected", "unknown", "other-language"],
)
async def test_unsendable_template_is_refused(
    hub: Hub,
    simulator: SimulatorState,
    name: str,
    language: str,
    status_code: int,
    code: str,
) -> None:
    response = await send_template(hub, name, {"body.1": "Ana"}, language=language)

    assert response.status_code == status_code
    assert response.json()["code"] == code
    assert simulator.sent_messages == []


async def test_same_client_message_id_sends_once(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    values = TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"]

    first = await send_template(
        hub, "primeiro_contato_pos", values, client_message_id="nova-conversa-0001"
    )
    second = await send_template(
        hub, "primeiro_contato_pos", values, client_message_id="nova-conversa-0001"
    )

    assert first.json()["id"] == second.json()["id"]
    assert len(simulator.sent_messages) == 1


@pytest.mark.parametrize(
    "phone", ["123", "abc", "+55"], ids=["short", "letters", "bare"]
)
async def test_invalid_phone_is_400(
    hub: Hub, simulator: SimulatorState, phone: str
) -> None:
    values = TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"]

    response = await send_template(hub, "primeiro_contato_pos", values, phone=phone)

    assert response.status_code == 400
    assert "phone" in response.json()["details"]["fields"]
    assert simulator.sent_messages == []


async def test_recipient_is_required(hub: Hub) -> None:
    response = await hub.client.post(
        "/api/send/template",
        json={"channel_id": hub.channel_id, "template_name": "x", "language": "pt_BR"},
        headers=hub.headers,
    )

    assert response.status_code == 422


async def test_undeliverable_number_fails_131026(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    simulator.mark_undeliverable(LEAD)
    values = TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"]

    sent = (await send_template(hub, "primeiro_contato_pos", values)).json()

    async def failed() -> Message | None:
        await state.webhook_worker.drain()
        message = await _message(state, sent["id"])
        return message if message.status == "failed" else None

    message = await wait_for(failed)
    assert message.error_code == 131026
    assert message.error_message is not None
    assert message.error_message.startswith("Mensagem não entregue")


async def test_cache_is_filled_before_first_send(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    values = TEMPLATE_VALUES["cupom_matricula", "pt_BR"]

    body = (await send_template(hub, "cupom_matricula", values)).json()

    assert body["status"] == "sent"
    async with state.session_factory() as session:
        count = await session.execute(select(func.count()).select_from(MessageTemplate))
    assert count.scalar_one() > 0


async def test_coordinates_accepted_as_numbers(
    hub: Hub, simulator: SimulatorState
) -> None:
    values: dict[str, Any] = {
        **TEMPLATE_VALUES["local_evento", "pt_BR"],
        "header.latitude": -23.5505,
        "header.longitude": -46.6333,
    }

    body = (await send_template(hub, "local_evento", values)).json()

    assert body["status"] == "sent"
    location = _sent_template(simulator)["components"][0]["parameters"][0]["location"]
    assert location["latitude"] == -23.5505
    assert location["longitude"] == -46.6333


@pytest.mark.parametrize("channel_id", [0, 2**31, 2**63])
async def test_impossible_channel_id_is_422(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    channel_id: int,
) -> None:
    hub = await setup_hub(client, state)

    response = await send_template(
        hub,
        "boas_vindas_curso",
        TEMPLATE_VALUES["boas_vindas_curso", "pt_BR"],
        channel_id=channel_id,
    )

    assert response.status_code == 422
    assert simulator.sent_messages == []
