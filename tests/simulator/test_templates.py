"""Template listing with paging, and template sends checked against the template."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cenat_hub.simulator import default_templates
from cenat_hub.simulator.template_rules import template_variables
from tests.simulator.support import (
    LEAD_WA_ID,
    OTHER_WABA_ID,
    OTHER_WABA_TOKEN,
    PHONE_NUMBER_ID,
    SECOND_TOKEN,
    WABA_ID,
    Simulator,
    auth,
)

TEMPLATES_PATH = f"/v23.0/{WABA_ID}/message_templates"
MESSAGES_PATH = f"/v23.0/{PHONE_NUMBER_ID}/messages"


def template_send(
    name: str, components: list[dict[str, Any]], language: str = "pt_BR"
) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": LEAD_WA_ID,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language, "policy": "deterministic"},
            "components": components,
        },
    }


def body_params(*texts: str) -> dict[str, Any]:
    return {
        "type": "body",
        "parameters": [{"type": "text", "text": text} for text in texts],
    }


def named_body_params(**texts: str) -> dict[str, Any]:
    parameters = [
        {"type": "text", "parameter_name": name, "text": text}
        for name, text in texts.items()
    ]
    return {"type": "body", "parameters": parameters}


def image_header() -> dict[str, Any]:
    image = {"link": "https://example.invalid/curso.jpg"}
    return {"type": "header", "parameters": [{"type": "image", "image": image}]}


async def test_listing_spans_two_pages(simulator: Simulator) -> None:
    first = await simulator.client.get(TEMPLATES_PATH, headers=auth())
    assert first.status_code == 200
    first_page = first.json()
    assert len(first_page["data"]) == 25
    next_url = first_page["paging"]["next"]
    assert next_url.startswith(f"http://127.0.0.1:8100{TEMPLATES_PATH}?")
    assert "previous" not in first_page["paging"]

    second = await simulator.client.get(next_url, headers=auth())

    second_page = second.json()
    total = len(default_templates(WABA_ID))
    assert len(second_page["data"]) == total - 25
    assert "next" not in second_page["paging"]
    assert "previous" in second_page["paging"]
    ids = [t["id"] for t in first_page["data"] + second_page["data"]]
    assert len(set(ids)) == total


async def test_listing_cursor_matches_next_link(simulator: Simulator) -> None:
    first = (await simulator.client.get(TEMPLATES_PATH, headers=auth())).json()
    query = parse_qs(urlsplit(first["paging"]["next"]).query)

    assert query["after"] == [first["paging"]["cursors"]["after"]]


async def test_listing_limit_keeps_filters_in_next(simulator: Simulator) -> None:
    response = await simulator.client.get(
        TEMPLATES_PATH,
        params={"limit": "2", "status": "APPROVED", "category": "UTILITY"},
        headers=auth(),
    )

    page = response.json()
    assert len(page["data"]) == 2
    query = parse_qs(urlsplit(page["paging"]["next"]).query)
    assert query["limit"] == ["2"]
    assert query["status"] == ["APPROVED"]
    assert query["category"] == ["UTILITY"]


async def test_listing_previous_returns_first_page(simulator: Simulator) -> None:
    first = (
        await simulator.client.get(
            TEMPLATES_PATH, params={"limit": "5"}, headers=auth()
        )
    ).json()
    second = (
        await simulator.client.get(first["paging"]["next"], headers=auth())
    ).json()

    back = (
        await simulator.client.get(second["paging"]["previous"], headers=auth())
    ).json()

    assert [t["id"] for t in back["data"]] == [t["id"] for t in first["data"]]


async def test_listing_filters(simulator: Simulator) -> None:
    response = await simulator.client.get(
        TEMPLATES_PATH, params={"status": "PAUSED"}, headers=auth()
    )
    paused = response.json()["data"]
    assert [t["name"] for t in paused] == ["pesquisa_satisfacao"]

    response = await simulator.client.get(
        TEMPLATES_PATH, params={"language": "en_US"}, headers=auth()
    )
    english = response.json()["data"]
    assert [(t["name"], t["status"]) for t in english] == [
        ("primeiro_contato_pos", "APPROVED")
    ]

    response = await simulator.client.get(
        TEMPLATES_PATH, params={"name": "cupom"}, headers=auth()
    )
    assert [t["name"] for t in response.json()["data"]] == ["cupom_matricula"]


async def test_listing_fields_and_hides_waba_id(simulator: Simulator) -> None:
    response = await simulator.client.get(
        TEMPLATES_PATH, params={"fields": "name,status", "limit": "1"}, headers=auth()
    )
    assert set(response.json()["data"][0]) == {"id", "name", "status"}

    full = await simulator.client.get(TEMPLATES_PATH, headers=auth())
    assert all("waba_id" not in t for t in full.json()["data"])


async def test_listing_accepts_token_of_any_waba_number(simulator: Simulator) -> None:
    response = await simulator.client.get(TEMPLATES_PATH, headers=auth(SECOND_TOKEN))

    assert response.status_code == 200


async def test_listing_rejects_other_waba_token(simulator: Simulator) -> None:
    response = await simulator.client.get(
        TEMPLATES_PATH, headers=auth(OTHER_WABA_TOKEN)
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190


async def test_listing_of_waba_without_templates(simulator: Simulator) -> None:
    response = await simulator.client.get(
        f"/v23.0/{OTHER_WABA_ID}/message_templates", headers=auth(OTHER_WABA_TOKEN)
    )

    assert response.json() == {"data": [], "paging": {"cursors": {}}}


async def test_listing_unknown_waba_gives_100_33(simulator: Simulator) -> None:
    response = await simulator.client.get(
        "/v23.0/299999999999999/message_templates", headers=auth()
    )

    assert response.status_code == 400
    assert response.json()["error"]["error_subcode"] == 33


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "abc"}, {"after": "bm90LWFuLWlk"}]
)
async def test_listing_bad_paging_gives_100(
    simulator: Simulator, params: dict[str, str]
) -> None:
    response = await simulator.client.get(TEMPLATES_PATH, params=params, headers=auth())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_positional_template_outside_window(simulator: Simulator) -> None:
    body = template_send("primeiro_contato_pos", [body_params("Ana", "Saúde Mental")])

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)
    assert response.status_code == 200, response.text
    await simulator.state.wait_for_webhooks()

    wamid = response.json()["messages"][0]["id"]
    statuses = simulator.receiver.statuses(wamid)
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert statuses[0]["pricing"]["category"] == "marketing"
    assert statuses[0]["pricing"]["type"] == "regular"
    assert statuses[0]["conversation"]["origin"]["type"] == "marketing"


async def test_named_template_with_image_header(simulator: Simulator) -> None:
    components = [
        image_header(),
        named_body_params(course_name="Saúde Mental", customer_name="Ana"),
    ]

    response = await simulator.client.post(
        MESSAGES_PATH,
        headers=auth(),
        json=template_send("boas_vindas_curso", components),
    )

    assert response.status_code == 200, response.text


async def test_buttons_template_with_url_and_copy_code(simulator: Simulator) -> None:
    confirmed = template_send(
        "inscricao_confirmada",
        [
            body_params("Ana", "Saúde Mental"),
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "A1B2C3"}],
            },
        ],
    )
    coupon = template_send(
        "cupom_matricula",
        [
            named_body_params(customer_name="Ana", discount="10%"),
            {
                "type": "button",
                "sub_type": "copy_code",
                "index": 0,
                "parameters": [{"type": "coupon_code", "coupon_code": "CENAT10"}],
            },
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": 1,
                "parameters": [{"type": "payload", "payload": "SEM_INTERESSE"}],
            },
        ],
    )

    for body in (confirmed, coupon):
        response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)
        assert response.status_code == 200, response.text


async def test_header_templates_accept_right_media(simulator: Simulator) -> None:
    location = {
        "latitude": -23.56,
        "longitude": -46.65,
        "name": "CENAT",
        "address": "Rua Exemplo, 100",
    }
    cases = {
        "lembrete_aula": {"type": "text", "text": "Aula ao vivo"},
        "material_do_curso": {
            "type": "document",
            "document": {"link": "https://example.invalid/a.pdf", "filename": "a.pdf"},
        },
        "video_boas_vindas": {
            "type": "video",
            "video": {"link": "https://example.invalid/v.mp4"},
        },
        "local_evento": {"type": "location", "location": location},
    }
    body_counts = {"lembrete_aula": 3}

    for name, header in cases.items():
        texts = ["Ana", "Saúde Mental", "hoje"][: body_counts.get(name, 2)]
        components = [
            {"type": "header", "parameters": [header]},
            body_params(*texts),
        ]
        response = await simulator.client.post(
            MESSAGES_PATH, headers=auth(), json=template_send(name, components)
        )
        assert response.status_code == 200, (name, response.text)


@pytest.mark.parametrize(
    ("name", "components", "detail"),
    [
        ("primeiro_contato_pos", [body_params("Ana")], "body"),
        ("primeiro_contato_pos", [], "body"),
        ("primeiro_contato_pos", [body_params("Ana", "SM", "extra")], "body"),
        (
            "primeiro_contato_pos",
            [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "parameter_name": "a", "text": "Ana"},
                        {"type": "text", "parameter_name": "b", "text": "SM"},
                    ],
                }
            ],
            "NAMED",
        ),
        (
            "boas_vindas_curso",
            [image_header(), body_params("Ana", "Saúde Mental")],
            "names",
        ),
        (
            "boas_vindas_curso",
            [image_header(), named_body_params(customer_name="Ana", course="SM")],
            "names",
        ),
        (
            "boas_vindas_curso",
            [named_body_params(customer_name="Ana", course_name="SM")],
            "header",
        ),
        (
            "boas_vindas_curso",
            [
                {"type": "header", "parameters": [{"type": "text", "text": "Oi"}]},
                named_body_params(customer_name="Ana", course_name="SM"),
            ],
            "header",
        ),
        ("inscricao_confirmada", [body_params("Ana", "SM")], "button"),
        (
            "inscricao_confirmada",
            [
                body_params("Ana", "SM"),
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": 0,
                    "parameters": [{"type": "payload", "payload": "X"}],
                },
            ],
            "sub_type",
        ),
        (
            "inscricao_confirmada",
            [
                body_params("Ana", "SM"),
                {
                    "type": "button",
                    "sub_type": "url",
                    "parameters": [{"type": "text", "text": "A1"}],
                },
            ],
            "index",
        ),
        (
            "inscricao_confirmada",
            [
                body_params("Ana", "SM"),
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": 5,
                    "parameters": [{"type": "text", "text": "A1"}],
                },
            ],
            "index 5",
        ),
        ("lembrete_aula", [body_params("Ana", "SM", "hoje")], "header"),
    ],
    ids=[
        "too-few-body",
        "no-body",
        "too-many-body",
        "named-on-positional",
        "positional-on-named",
        "wrong-names",
        "missing-media-header",
        "text-for-image-header",
        "missing-url-button",
        "wrong-sub-type",
        "button-without-index",
        "button-index-out-of-range",
        "missing-text-header",
    ],
)
async def test_parameter_mismatch_gives_132000(
    simulator: Simulator,
    name: str,
    components: list[dict[str, Any]],
    detail: str,
) -> None:
    response = await simulator.client.post(
        MESSAGES_PATH, headers=auth(), json=template_send(name, components)
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 132000
    assert error["message"] == (
        "(#132000) Number of parameters does not match the expected number of params"
    )
    assert detail in error["error_data"]["details"]
    assert simulator.state.sent_messages == []


@pytest.mark.parametrize(
    ("name", "language", "code"),
    [
        ("pesquisa_satisfacao", "pt_BR", 132015),
        ("aviso_antigo", "pt_BR", 132016),
        ("oferta_relampago", "pt_BR", 132001),
        ("nao_existe", "pt_BR", 132001),
        ("primeiro_contato_pos", "pt", 132001),
        ("primeiro_contato_pos", "es_ES", 132001),
    ],
    ids=[
        "paused",
        "disabled",
        "rejected",
        "unknown",
        "wrong-language",
        "no-translation",
    ],
)
async def test_unsendable_template_codes(
    simulator: Simulator, name: str, language: str, code: int
) -> None:
    body = template_send(name, [body_params("Ana")], language=language)

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_english_template_sendable(simulator: Simulator) -> None:
    body = template_send(
        "primeiro_contato_pos", [body_params("Ana", "Mental Health")], language="en_US"
    )

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 200


async def test_template_of_other_waba_not_found(simulator: Simulator) -> None:
    body = template_send("primeiro_contato_pos", [body_params("Ana", "SM")])

    response = await simulator.client.post(
        "/v23.0/100000000000003/messages", headers=auth(OTHER_WABA_TOKEN), json=body
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 132001


def test_default_templates_have_examples() -> None:
    templates = default_templates(WABA_ID)

    assert len(templates) > 25
    for template in templates:
        for component in template["components"]:
            variables = template_variables(component.get("text", ""))
            if not variables:
                continue
            example = component["example"]
            if template["parameter_format"] == "NAMED":
                prefix = component["type"].lower()
                named = example[f"{prefix}_text_named_params"]
                assert [p["param_name"] for p in named] == variables, template["name"]
            elif component["type"] == "HEADER":
                assert len(example["header_text"]) == len(variables), template["name"]
            else:
                assert len(example["body_text"][0]) == len(variables), template["name"]


def test_default_templates_cover_formats_and_statuses() -> None:
    templates = default_templates(WABA_ID)
    header_formats = {
        component.get("format")
        for template in templates
        for component in template["components"]
        if component["type"] == "HEADER"
    }
    button_types = {
        button["type"]
        for template in templates
        for component in template["components"]
        if component["type"] == "BUTTONS"
        for button in component["buttons"]
    }
    statuses = {template["status"] for template in templates}

    assert header_formats == {"TEXT", "IMAGE", "DOCUMENT", "VIDEO", "LOCATION"}
    assert button_types == {"QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE"}
    assert {"APPROVED", "PAUSED", "REJECTED", "DISABLED"} <= statuses
    assert any(t["parameter_format"] == "NAMED" for t in templates)
    assert any(
        t["language"] == "en_US" and t["status"] == "APPROVED" for t in templates
    )
    assert all(t["waba_id"] == WABA_ID for t in templates)


async def test_named_text_header_and_url_button(simulator: Simulator) -> None:
    components = [
        {
            "type": "header",
            "parameters": [
                {"type": "text", "parameter_name": "event_name", "text": "Aula aberta"}
            ],
        },
        named_body_params(
            customer_name="Ana", course_name="Saúde Mental", event_date="12/03"
        ),
        {
            "type": "button",
            "sub_type": "url",
            "index": 0,
            "parameters": [{"type": "text", "text": "aula-aberta-sm"}],
        },
    ]

    response = await simulator.client.post(
        MESSAGES_PATH,
        headers=auth(),
        json=template_send("convite_aula_aberta", components),
    )

    assert response.status_code == 200, response.text


async def test_named_header_needs_its_name(simulator: Simulator) -> None:
    components = [
        {"type": "header", "parameters": [{"type": "text", "text": "Aula aberta"}]},
        named_body_params(customer_name="Ana", course_name="SM", event_date="12/03"),
        {
            "type": "button",
            "sub_type": "url",
            "index": 0,
            "parameters": [{"type": "text", "text": "x"}],
        },
    ]

    response = await simulator.client.post(
        MESSAGES_PATH,
        headers=auth(),
        json=template_send("convite_aula_aberta", components),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 132000


@pytest.mark.parametrize(
    "text",
    ["Ana\nTeste", "Ana\tTeste", "Ana     Teste"],
    ids=["newline", "tab", "spaces"],
)
async def test_parameter_whitespace_gives_100(simulator: Simulator, text: str) -> None:
    body = template_send("primeiro_contato_pos", [body_params(text, "SM")])

    response = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert "new-line/tab" in error["error_data"]["details"]


async def test_unknown_media_id_in_header_gives_100(simulator: Simulator) -> None:
    header = {
        "type": "header",
        "parameters": [{"type": "image", "image": {"id": "999999999"}}],
    }
    components = [header, named_body_params(customer_name="Ana", course_name="SM")]

    response = await simulator.client.post(
        MESSAGES_PATH,
        headers=auth(),
        json=template_send("boas_vindas_curso", components),
    )

    assert response.status_code == 400
    assert "999999999" in response.json()["error"]["error_data"]["details"]


async def test_status_change_posts_webhook(simulator: Simulator) -> None:
    response = await simulator.client.post(
        "/_simulator/templates/status",
        json={
            "waba_id": WABA_ID,
            "name": "primeiro_contato_pos",
            "language": "pt_BR",
            "status": "PAUSED",
            "reason": "LOW_QUALITY",
        },
    )
    assert response.json()["status"] == "PAUSED"

    webhook = simulator.receiver.received[-1]
    assert webhook.signature_valid
    change = webhook.payload["entry"][0]["changes"][0]
    assert webhook.payload["entry"][0]["id"] == WABA_ID
    assert change["field"] == "message_template_status_update"
    assert change["value"]["event"] == "PAUSED"
    assert change["value"]["message_template_name"] == "primeiro_contato_pos"
    assert isinstance(change["value"]["message_template_id"], int)

    send = template_send("primeiro_contato_pos", [body_params("Ana", "SM")])
    paused = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=send)
    assert paused.json()["error"]["code"] == 132015

    await simulator.state.set_template_status(
        WABA_ID, "primeiro_contato_pos", "pt_BR", "REINSTATED"
    )
    again = await simulator.client.post(MESSAGES_PATH, headers=auth(), json=send)
    assert again.status_code == 200


async def test_status_change_without_webhook(simulator: Simulator) -> None:
    before = len(simulator.receiver.received)

    await simulator.state.set_template_status(
        WABA_ID, "lembrete_aula", "pt_BR", "DISABLED", notify=False
    )

    assert len(simulator.receiver.received) == before
    listed = await simulator.client.get(
        TEMPLATES_PATH, params={"name": "lembrete_aula"}, headers=auth()
    )
    assert listed.json()["data"][0]["status"] == "DISABLED"


async def test_status_change_of_unknown_template(simulator: Simulator) -> None:
    response = await simulator.client.post(
        "/_simulator/templates/status",
        json={
            "waba_id": WABA_ID,
            "name": "nao_existe",
            "language": "pt_BR",
            "status": "PAUSED",
        },
    )

    assert response.status_code == 404
