import json
import re
import time
from pathlib import Path

import httpx
import pytest

from cenat_hub.web.security import CSRF_HEADER
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.crm.helpers import make_contact, make_lost_reason, receive_text
from tests.factories import (
    ADMIN_PASSWORD,
    CHANNEL_2,
    make_channel,
    make_user,
    page_login,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks"


@pytest.fixture
async def page_client(client: httpx.AsyncClient, state: AppState) -> httpx.AsyncClient:
    """A client logged in through the login page, sending the CSRF header."""
    await make_user(state)
    client.headers[CSRF_HEADER] = await page_login(
        client, state, "admin@teste.invalid", ADMIN_PASSWORD
    )
    return client


def _card_count(html: str, status: str) -> int:
    column = html.split(f'data-status="{status}" aria-labelledby')[1]
    column = column.split("</section>")[0]
    return column.count('class="lead-card"')


async def test_board_shows_columns_counts_and_cards(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await receive_text(page_client, state, wamid="wamid.P1", body="Quero a pós")
    await make_contact(state, wa_id="5511900000002", name="Bruno Teste")
    await page_client.patch(
        "/api/contacts/5511900000002/status", json={"lead_status": "qualificado"}
    )

    response = await page_client.get("/funil", headers={"Accept": "text/html"})

    html = response.text
    assert response.status_code == 200
    for label in ("Novo", "Contato", "Qualificado", "Matriculado", "Perdido"):
        assert f">{label}</h2>" in html
    assert _card_count(html, "novo") == 1
    assert _card_count(html, "qualificado") == 1
    assert "Quero a pós" in html
    assert 'href="/conversas?contact=5511900000001"' in html
    assert "Janela fechada" in html
    assert "Lead ainda não escreveu" in html


async def test_board_pages_each_column(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    # One import gives every contact the same creation time, so the pages
    # must split on the id.
    rows = "".join(f"Lead {index},11 9{index:04d}-3333\n" for index in range(53))
    await page_client.post(
        "/api/contacts/import",
        files={"file": ("leads.csv", f"name,phone\n{rows}".encode(), "text/csv")},
    )

    board = await page_client.get("/funil", headers={"HX-Request": "true"})
    cursor = re.search(r"/funil/colunas/novo\?cursor=([0-9_]+)", board.text)
    assert cursor is not None
    more = await page_client.get(
        "/funil/colunas/novo",
        params={"cursor": cursor.group(1)},
        headers={"HX-Request": "true"},
    )

    assert "<html" not in board.text
    assert _card_count(board.text, "novo") == 50
    assert more.text.count('class="lead-card"') == 3
    assert "Carregar mais" not in more.text
    first_page = set(re.findall(r'data-wa-id="(\d+)"', board.text))
    second_page = set(re.findall(r'data-wa-id="(\d+)"', more.text))
    assert len(first_page | second_page) == 53


async def test_board_filters_by_channel_tag_and_search(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    second = await make_channel(state, CHANNEL_2)
    await receive_text(page_client, state, wamid="wamid.Q1", wa_id="5511900000001")
    await receive_text(
        page_client,
        state,
        wamid="wamid.Q2",
        wa_id="5511900000002",
        name="Bruno Teste",
        phone_number_id=CHANNEL_2["phone_number_id"],
    )
    tag = (await page_client.post("/api/tags", json={"name": "VIP"})).json()
    await page_client.post(f"/api/contacts/5511900000001/tags/{tag['id']}")

    by_channel = await page_client.get(
        "/funil", params={"channel_id": second.id}, headers={"HX-Request": "true"}
    )
    by_tag = await page_client.get(
        "/funil", params={"tag_id": tag["id"]}, headers={"HX-Request": "true"}
    )
    by_search = await page_client.get(
        "/funil", params={"search": "bruno"}, headers={"HX-Request": "true"}
    )

    assert re.findall(r'data-wa-id="(\d+)"', by_channel.text) == ["5511900000002"]
    assert re.findall(r'data-wa-id="(\d+)"', by_tag.text) == ["5511900000001"]
    assert re.findall(r'data-wa-id="(\d+)"', by_search.text) == ["5511900000002"]


async def test_board_move_card_needs_reason_for_lost(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_contact(state)
    reason_id = await make_lost_reason(state, "Preço")

    without_reason = await page_client.post(
        "/funil/cards/5511900000001/status", data={"lead_status": "perdido"}
    )
    with_reason = await page_client.post(
        "/funil/cards/5511900000001/status",
        data={"lead_status": "perdido", "lost_reason_id": str(reason_id)},
    )

    assert without_reason.status_code == 400
    assert "escolha um motivo" in without_reason.text
    assert with_reason.status_code == 200
    assert 'data-status="perdido"' in with_reason.text


async def test_page_changes_need_csrf_header(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_contact(state)
    del page_client.headers[CSRF_HEADER]

    response = await page_client.post(
        "/crm/panel/5511900000001/status", data={"lead_status": "contato"}
    )

    assert response.status_code == 403


async def test_panel_escapes_lead_controlled_text(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    payload = json.loads((FIXTURES / "23a_referral_text.json").read_text())["payload"]
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["profile"]["name"] = "<script>alert(1)</script>"
    value["messages"][0]["referral"]["headline"] = "<img src=x onerror=alert(2)>"
    value["messages"][0]["referral"]["source_url"] = "javascript:alert(3)"
    await post_webhook(page_client, payload, state)
    wa_id = value["contacts"][0]["wa_id"]
    await page_client.patch(
        f"/api/contacts/{wa_id}/notes", json={"notes": "<b onmouseover=alert(4)>"}
    )

    response = await page_client.get(
        f"/crm/panel/{wa_id}", headers={"HX-Request": "true"}
    )

    html = response.text
    assert response.status_code == 200
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "javascript:" not in html
    assert "<b onmouseover" not in html


async def test_panel_shows_lead_details(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await make_channel(state, CHANNEL_2)
    payload = json.loads((FIXTURES / "23a_referral_text.json").read_text())["payload"]
    await post_webhook(page_client, payload, state)
    await receive_text(
        page_client,
        state,
        wamid="wamid.R2",
        wa_id="5511900000002",
        name="Bruno Teste",
        phone_number_id=CHANNEL_2["phone_number_id"],
        timestamp=1767230000,
    )

    fragment = await page_client.get(
        "/crm/panel/5511900000002", headers={"HX-Request": "true"}
    )
    full = await page_client.get(
        "/crm/panel/551100000002", headers={"Accept": "text/html"}
    )

    html = fragment.text
    assert "<html" not in html
    assert 'href="tel:+5511900000002"' in html
    assert "Curso de Enfermagem 2026" in html
    assert 'href="https://fb.me/FAKEad0001"' in html
    assert "Pós-Graduação (SDR)" in html
    assert "Cursos Livres" in html
    assert html.count('href="/conversas?contact=5511900000002&amp;channel_id=') == 2
    assert "<html" in full.text
    assert "Curso de Enfermagem 2026" in full.text


async def test_panel_status_tags_and_notes(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_contact(state)
    tag = (await page_client.post("/api/tags", json={"name": "VIP"})).json()

    status = await page_client.post(
        "/crm/panel/5511900000001/status", data={"lead_status": "matriculado"}
    )
    added = await page_client.post(
        "/crm/panel/5511900000001/tags", data={"tag_id": str(tag["id"])}
    )
    created = await page_client.post(
        "/crm/panel/5511900000001/tags/new",
        data={"name": "Noite", "color": "custom", "custom_color": "#123abc"},
    )
    duplicate = await page_client.post(
        "/crm/panel/5511900000001/tags/new", data={"name": "vip", "color": "red"}
    )
    removed = await page_client.delete(f"/crm/panel/5511900000001/tags/{tag['id']}")
    notes = await page_client.post(
        "/crm/panel/5511900000001/notes", data={"notes": "Ligar às 18h"}
    )
    long_notes = await page_client.post(
        "/crm/panel/5511900000001/notes", data={"notes": "x" * 10_001}
    )

    assert status.status_code == 200
    assert 'data-status="matriculado" aria-pressed="true"' in status.text
    assert ">VIP</span>" in added.text
    assert 'data-custom-color="#123abc">Noite</span>' in created.text
    assert duplicate.status_code == 409
    assert "Já existe uma tag" in duplicate.text
    assert ">VIP</span>" not in removed.text
    assert "Tag removida: VIP" in removed.text
    assert notes.status_code == 200
    assert "editado por Ana Admin Teste" in notes.text
    assert long_notes.status_code == 400
    assert "10.000" in long_notes.text
    contact = (await page_client.get("/api/contacts/5511900000001")).json()
    assert contact["lead_status"] == "matriculado"
    assert [tag["name"] for tag in contact["tags"]] == ["Noite"]
    assert contact["notes"] == "Ligar às 18h"


async def test_import_page_reports_in_portuguese(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    text = "name,phone,status\nAna,11 91234-5678,novo\nAna,551112345678,\nX,abc,\n"

    response = await page_client.post(
        "/funil/importar", files={"file": ("leads.csv", text.encode(), "text/csv")}
    )
    bad = await page_client.post(
        "/funil/importar", files={"file": ("leads.csv", b"a,b\n1,2\n", "text/csv")}
    )

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "contacts-imported"
    assert "Linha 3 unida à linha 2" in response.text
    assert "Linha 4: telefone inválido" in response.text
    assert bad.status_code == 400
    assert "não é um CSV válido" in bad.text


async def test_pages_redirect_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/funil", headers={"Accept": "text/html"})

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/funil"


async def test_column_page_rejects_bad_cursor_or_status(
    page_client: httpx.AsyncClient,
) -> None:
    bad_cursor = await page_client.get(
        "/funil/colunas/novo", params={"cursor": "abc"}, headers={"HX-Request": "true"}
    )
    bad_status = await page_client.get(
        "/funil/colunas/ganho", params={"cursor": "1_1"}, headers={"HX-Request": "true"}
    )

    assert bad_cursor.status_code == 400
    assert "'abc'" in bad_cursor.json()["detail"]
    assert bad_status.status_code == 400
    assert "'ganho'" in bad_status.json()["detail"]


async def test_card_shows_open_window(
    page_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    one_hour_ago = int(time.time()) - 3600
    await receive_text(page_client, state, wamid="wamid.W1", timestamp=one_hour_ago)

    response = await page_client.get("/funil", headers={"HX-Request": "true"})

    assert "Janela aberta · fecha em 22 h" in response.text
    assert "há 1 h" in response.text


async def test_board_ignores_impossible_filters_and_cursors(
    page_client: httpx.AsyncClient,
) -> None:
    board = await page_client.get("/funil", params={"channel_id": "²", "tag_id": "¹"})
    cursors = [
        "²_1",
        "1_²",
        f"1_{2**31}",
        f"1_{2**63}",
        f"{'9' * 30}_1",
    ]
    answers = [
        await page_client.get(
            "/funil/colunas/novo",
            params={"cursor": cursor},
            headers={"HX-Request": "true"},
        )
        for cursor in cursors
    ]

    assert board.status_code == 200
    assert [answer.status_code for answer in answers] == [400] * len(cursors)
