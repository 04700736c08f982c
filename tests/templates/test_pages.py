"""The "Nova conversa" page and its htmx fragments, through the ASGI app."""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cenat_hub.simulator import SimulatorState
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, make_channel, make_user, page_login
from tests.templates.support import TEMPLATE_VALUES


@pytest.fixture
async def browser(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> httpx.AsyncClient:
    """The client logged in through the login form, holding the session cookie."""
    await make_channel(state)
    user = await make_user(state)
    await page_login(client, state, user.email, ADMIN_PASSWORD)
    return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match is not None
    return match.group(1)


async def test_page_lists_approved_templates(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/nova-conversa")

    assert response.status_code == 200
    html = response.text
    assert "Nova conversa" in html
    assert 'value="boas_vindas_curso|pt_BR"' in html
    assert 'value="primeiro_contato_pos|en_US"' in html
    assert "pesquisa_satisfacao" not in html
    assert "oferta_relampago" not in html
    assert "<script>" not in html


async def test_page_requires_login(client: httpx.AsyncClient, state: AppState) -> None:
    response = await client.get("/nova-conversa")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_wa_id_prefills_phone(
    browser: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await simulator.lead_sends(
        phone_number_id="100000000000001",
        wa_id="5511900000001",
        name="Ana Teste",
        text="Oi",
    )
    await state.webhook_worker.drain()

    html = (await browser.get("/nova-conversa", params={"wa_id": "5511900000001"})).text

    assert 'value="+5511900000001"' in html
    assert 'value="Ana Teste"' in html


async def test_fields_fragment_has_labels_and_preview(
    browser: httpx.AsyncClient,
) -> None:
    await browser.get("/nova-conversa")

    response = await browser.get(
        "/nova-conversa/campos",
        params={"channel_id": "1", "template": "boas_vindas_curso|pt_BR"},
    )

    html = response.text
    assert 'name="body.customer_name"' in html
    assert 'placeholder="Ana"' in html
    assert "Mensagem {{customer_name}}" in html
    assert 'name="header_file"' in html
    assert 'hx-swap-oob="true"' in html
    assert "Imagem" in html
    assert "CENAT - Educação em Saúde Mental" in html


async def test_preview_fills_and_escapes(browser: httpx.AsyncClient) -> None:
    await browser.get("/nova-conversa")

    response = await browser.get(
        "/nova-conversa/previa",
        params={
            "channel_id": "1",
            "template": "primeiro_contato_pos|pt_BR",
            "body.1": "<b>Ana</b>",
        },
    )

    html = response.text
    assert "&lt;b&gt;Ana&lt;/b&gt;" in html
    assert "<b>Ana</b>" not in html
    assert "wa-var-empty" in html
    assert "{{2}}" in html
    assert "Quero saber mais" in html


async def test_send_redirects_to_conversation(
    browser: httpx.AsyncClient, simulator: SimulatorState
) -> None:
    simulator.register_lead("551187654321")
    page = await browser.get("/nova-conversa")
    form = {
        "csrf_token": csrf_of(page.text),
        "client_message_id": "0123456789abcdef",
        "phone": "(11) 98765-4321",
        "name": "Bia Teste",
        "channel_id": "1",
        "template": "boas_vindas_curso|pt_BR",
        **TEMPLATE_VALUES["boas_vindas_curso", "pt_BR"],
    }

    response = await browser.post("/nova-conversa", data=form)

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/conversas"
    assert parse_qs(location.query) == {
        "contact": ["551187654321"],
        "channel_id": ["1"],
    }
    assert len(simulator.sent_messages) == 1


async def test_send_with_uploaded_header_file(
    browser: httpx.AsyncClient, simulator: SimulatorState
) -> None:
    page = await browser.get("/nova-conversa")
    form = {
        "csrf_token": csrf_of(page.text),
        "phone": "11900000001",
        "channel_id": "1",
        "template": "material_do_curso|pt_BR",
        "body.1": "Ana",
        "body.2": "Psicopatologia",
    }
    files = {"header_file": ("aula 1.pdf", b"%PDF-1.4 fake", "application/pdf")}

    response = await browser.post("/nova-conversa", data=form, files=files)

    assert response.status_code == 303, response.text
    header = simulator.sent_messages[-1]["request"]["template"]["components"][0]
    document = header["parameters"][0]["document"]
    assert document["filename"] == "aula 1.pdf"
    assert simulator.media.items[document["id"]].data == b"%PDF-1.4 fake"


async def test_send_errors_shown_in_portuguese(
    browser: httpx.AsyncClient, simulator: SimulatorState
) -> None:
    page = await browser.get("/nova-conversa")
    form = {
        "csrf_token": csrf_of(page.text),
        "phone": "(11) 98765-4321",
        "channel_id": "1",
        "template": "primeiro_contato_pos|pt_BR",
        "body.1": "Ana     Teste",
    }

    response = await browser.post("/nova-conversa", data=form)

    assert response.status_code == 400
    html = response.text
    assert "Confira os campos destacados." in html
    assert "mais de 4 espaços seguidos" in html
    assert "Preencha este campo." in html
    assert 'value="Ana     Teste"' in html
    assert simulator.sent_messages == []


async def test_meta_rejection_shown_with_link(
    browser: httpx.AsyncClient, simulator: SimulatorState
) -> None:
    page = await browser.get("/nova-conversa")
    await simulator.set_template_status(
        "200000000000001", "lembrete_aula", "pt_BR", "PAUSED", notify=False
    )
    form = {
        "csrf_token": csrf_of(page.text),
        "phone": "11900000001",
        "channel_id": "1",
        "template": "lembrete_aula|pt_BR",
        **TEMPLATE_VALUES["lembrete_aula", "pt_BR"],
    }

    response = await browser.post("/nova-conversa", data=form)

    assert response.status_code == 200
    assert "O template está pausado por baixa qualidade." in response.text
    assert "/conversas?contact=5511900000001" in response.text


async def test_send_without_csrf_is_refused(
    browser: httpx.AsyncClient, simulator: SimulatorState
) -> None:
    form = {
        "phone": "11900000001",
        "channel_id": "1",
        "template": "primeiro_contato_pos|pt_BR",
        **TEMPLATE_VALUES["primeiro_contato_pos", "pt_BR"],
    }

    response = await browser.post("/nova-conversa", data=form)

    assert response.status_code == 403
    assert simulator.sent_messages == []


async def test_uploaded_header_file_is_kept_for_the_chat(
    browser: httpx.AsyncClient, simulator: SimulatorState
) -> None:
    page = await browser.get("/nova-conversa")
    form = {
        "csrf_token": csrf_of(page.text),
        "phone": "11900000001",
        "channel_id": "1",
        "template": "material_do_curso|pt_BR",
        "body.1": "Ana",
        "body.2": "Psicopatologia",
    }
    files = {"header_file": ("aula 1.pdf", b"%PDF-1.4 fake", "application/pdf")}

    sent = await browser.post("/nova-conversa", data=form, files=files)
    chat = await browser.get(sent.headers["location"])

    header = simulator.sent_messages[-1]["request"]["template"]["components"][0]
    media_id = header["parameters"][0]["document"]["id"]
    served = await browser.get(f"/api/media/{media_id}")
    assert sent.status_code == 303, sent.text
    assert chat.status_code == 200
    assert 'class="template-header template-header-document"' in chat.text
    assert f'href="/api/media/{media_id}" download' in chat.text
    assert "aula 1.pdf" in chat.text
    assert served.status_code == 200
    assert served.content == b"%PDF-1.4 fake"
    assert served.headers["content-disposition"].startswith("attachment")


async def test_fields_fragment_in_english(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/nova-conversa")
    switched = await browser.post(
        "/preferencias/idioma", data={"locale": "en", "csrf_token": csrf_of(page.text)}
    )
    assert switched.status_code == 303

    response = await browser.get(
        "/nova-conversa/campos",
        params={"channel_id": "1", "template": "boas_vindas_curso|pt_BR"},
    )

    html = response.text
    assert "Message {{customer_name}}" in html
    assert "Header image link" in html
    assert "Send template" in html
    assert "Mensagem {{customer_name}}" not in html
    assert "Enviar template" not in html


@pytest.mark.parametrize("channel_id", ["²", "0", str(2**31), "9" * 20])
async def test_send_with_impossible_channel_is_400(
    browser: httpx.AsyncClient, simulator: SimulatorState, channel_id: str
) -> None:
    simulator.register_lead("551187654321")
    page = await browser.get("/nova-conversa")
    form = {
        "csrf_token": csrf_of(page.text),
        "phone": "(11) 98765-4321",
        "channel_id": channel_id,
        "template": "boas_vindas_curso|pt_BR",
        **TEMPLATE_VALUES["boas_vindas_curso", "pt_BR"],
    }

    response = await browser.post("/nova-conversa", data=form)

    assert response.status_code == 400
    assert "Nova conversa" in response.text
    assert simulator.sent_messages == []


async def test_send_with_nul_in_name_or_value_is_400(
    browser: httpx.AsyncClient, simulator: SimulatorState
) -> None:
    simulator.register_lead("551187654321")
    page = await browser.get("/nova-conversa")
    values = TEMPLATE_VALUES["boas_vindas_curso", "pt_BR"]
    first_key = next(iter(values))
    forms = [
        {"name": "Bia\x00 Teste", **values},
        {"name": "Bia Teste", **values, first_key: "Bia\x00"},
    ]
    for fields in forms:
        form = {
            "csrf_token": csrf_of(page.text),
            "phone": "(11) 98765-4321",
            "channel_id": "1",
            "template": "boas_vindas_curso|pt_BR",
            **fields,
        }

        response = await browser.post("/nova-conversa", data=form)

        assert response.status_code == 400
    assert simulator.sent_messages == []
