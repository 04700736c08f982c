import csv
import io

import httpx
import pytest
from sqlalchemy import select

from cenat_hub.crm import csv_io
from cenat_hub.crm.csv_io import MAX_IMPORT_ROWS, MAX_UPLOAD_BYTES
from cenat_hub.models import Contact, ContactIdentity
from cenat_hub.web.state import AppState
from tests.crm.helpers import (
    admin_headers,
    contact_events,
    make_contact,
    receive_text,
)
from tests.factories import CHANNEL_2, make_channel


def _upload(text: str | bytes, filename: str = "leads.csv") -> dict[str, object]:
    content = text.encode() if isinstance(text, str) else text
    return {"file": (filename, content, "text/csv")}


def _read_export(body: str) -> list[dict[str, str]]:
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


async def test_import_merges_twins_and_reports_rejected_rows(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    existing = await make_contact(state, wa_id="5511987654321", name="Dora Teste")
    queue = state.events.subscribe()
    text = (
        "name,phone,status,tags\n"
        "Ana Teste,(11) 91234-5678,Contato,VIP;Pós\n"
        ",+55 11 1234-5678,,Noite|vip\n"
        "Sem Número,12,novo,\n"
        "Carla Teste,11 90000-0003,ganho,\n"
        "Dora Nova,55 11 8765-4321,qualificado,VIP\n"
        "Eva Teste,11 90000-0005,perdido,\n"
        ",,,\n"
        "Fábio Teste,11 90000-0006,,\n"
    )

    response = await client.post(
        "/api/contacts/import", files=_upload(text), headers=headers
    )

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rows"] == 7
    assert report["created"] == 2
    assert report["updated"] == 1
    assert report["unchanged"] == 0
    assert report["merged"] == [
        {"line": 3, "merged_into_line": 2, "phone": "551112345678"}
    ]
    rejected = {row["line"]: row["code"] for row in report["rejected"]}
    assert rejected == {
        4: "invalid_phone",
        5: "invalid_status",
        7: "lost_reason_required",
    }
    assert report["rejected"][0]["value"] == "12"
    assert sorted(report["tags_created"]) == ["Noite", "Pós", "VIP"]

    ana = (await client.get("/api/contacts/5511912345678", headers=headers)).json()
    assert ana["name"] == "Ana Teste"
    assert ana["lead_status"] == "contato"
    assert sorted(tag["name"] for tag in ana["tags"]) == ["Noite", "Pós", "VIP"]
    dora = (await client.get("/api/contacts/5511987654321", headers=headers)).json()
    assert dora["id"] == existing.id
    assert dora["name"] == "Dora Teste"
    assert dora["lead_status"] == "qualificado"
    assert [tag["name"] for tag in dora["tags"]] == ["VIP"]
    async with state.session_factory() as session:
        count = len((await session.execute(select(Contact))).scalars().all())
    assert count == 3
    assert len(contact_events(queue)) == 3


async def test_import_lost_row_with_reason(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    text = (
        "nome;telefone;status;motivo_perda\nEva Teste;11 90000-0005;Perdido;Sem verba\n"
    )

    response = await client.post(
        "/api/contacts/import", files=_upload(text), headers=headers
    )

    assert response.json()["rejected"] == []
    eva = (await client.get("/api/contacts/5511900000005", headers=headers)).json()
    assert eva["lead_status"] == "perdido"
    assert eva["lost_reason_text"] == "Sem verba"


async def test_import_reads_bom_and_windows_1252(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    with_bom = "\ufeffname,phone\nJoão Teste,11 90000-0001\n".encode()
    windows = "name;phone;tags\nJosé Teste;11 90000-0002;Pós\n".encode("cp1252")

    first = await client.post(
        "/api/contacts/import", files=_upload(with_bom), headers=headers
    )
    second = await client.post(
        "/api/contacts/import", files=_upload(windows), headers=headers
    )

    assert first.json()["created"] == 1
    assert second.json()["created"] == 1
    assert second.json()["tags_created"] == ["Pós"]
    jose = (await client.get("/api/contacts/5511900000002", headers=headers)).json()
    assert jose["name"] == "José Teste"


async def test_import_counts_lines_of_quoted_multiline_fields(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    text = 'name,phone\n"Ana\nTeste",11 90000-0001\nBia Teste,abc\n'

    response = await client.post(
        "/api/contacts/import", files=_upload(text), headers=headers
    )

    assert response.json()["rejected"][0]["line"] == 4


async def test_import_rejects_unusable_files(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)

    no_phone = await client.post(
        "/api/contacts/import", files=_upload("nome,email\nAna,a@b\n"), headers=headers
    )
    empty = await client.post(
        "/api/contacts/import", files=_upload(""), headers=headers
    )
    no_file = await client.post(
        "/api/contacts/import", data={"other": "x"}, headers=headers
    )

    assert no_phone.status_code == 400
    assert no_phone.json()["code"] == "invalid_csv"
    assert "'nome', 'email'" in no_phone.json()["detail"]
    assert empty.status_code == 400
    assert no_file.status_code == 400
    assert "'file'" in no_file.json()["detail"]


async def test_import_bounds_size_and_rows(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    too_big = "name,phone\n" + "x" * (MAX_UPLOAD_BYTES + 1)
    rows = "".join(
        f"Lead {index},11 9{index:04d}-0000\n" for index in range(MAX_IMPORT_ROWS + 1)
    )

    big = await client.post(
        "/api/contacts/import", files=_upload(too_big), headers=headers
    )
    many = await client.post(
        "/api/contacts/import", files=_upload("name,phone\n" + rows), headers=headers
    )

    assert big.status_code == 413
    assert "2 MiB" in big.json()["detail"]
    assert many.status_code == 413
    assert "5,000 rows" in many.json()["detail"]
    async with state.session_factory() as session:
        assert (await session.execute(select(Contact))).first() is None


async def test_import_keeps_identity_aliases(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)

    await client.post(
        "/api/contacts/import",
        files=_upload("name,phone\nAna Teste,+55 11 1234-5678\n"),
        headers=headers,
    )

    async with state.session_factory() as session:
        values = (await session.execute(select(ContactIdentity.value))).scalars().all()
    assert values == ["5511912345678"]
    by_new_form = await client.get("/api/contacts/5511912345678", headers=headers)
    assert by_new_form.status_code == 200


async def test_export_lists_status_tags_notes(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_channel(state)
    await receive_text(client, state, wamid="wamid.E1", wa_id="5511900000001")
    tag = (await client.post("/api/tags", json={"name": "VIP"}, headers=headers)).json()
    await client.post(f"/api/contacts/5511900000001/tags/{tag['id']}", headers=headers)
    await client.patch(
        "/api/contacts/5511900000001/notes",
        json={"notes": "Ligar à tarde"},
        headers=headers,
    )
    await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "perdido", "lost_reason_text": "Sem verba"},
        headers=headers,
    )

    response = await client.get("/api/contacts/export.csv", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = _read_export(response.text)
    assert rows == [
        {
            "name": "Ana Teste",
            "phone": "5511900000001",
            "status": "perdido",
            "tags": "VIP",
            "lost_reason": "Sem verba",
            "notes": "Ligar à tarde",
            "channel": "Pós-Graduação (SDR)",
            "wa_id": "5511900000001",
            "created_at": rows[0]["created_at"],
            "last_activity_at": "2026-01-01T00:00:00+00:00",
        }
    ]


async def test_export_guards_against_formulas(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state, wa_id="5511900000001", name='=HYPERLINK("http://x")')
    for notes, wa_id in (("+1+1", "5511900000002"), ("@SUM(A1)", "5511900000003")):
        await make_contact(state, wa_id=wa_id, name="-2+3")
        await client.patch(
            f"/api/contacts/{wa_id}/notes", json={"notes": notes}, headers=headers
        )

    rows = _read_export(
        (await client.get("/api/contacts/export.csv", headers=headers)).text
    )

    by_wa_id = {row["wa_id"]: row for row in rows}
    assert by_wa_id["5511900000001"]["name"] == '\'=HYPERLINK("http://x")'
    assert by_wa_id["5511900000002"]["name"] == "'-2+3"
    assert by_wa_id["5511900000002"]["notes"] == "'+1+1"
    assert by_wa_id["5511900000003"]["notes"] == "'@SUM(A1)"


async def test_export_filters_by_channel(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_channel(state)
    second = await make_channel(state, CHANNEL_2)
    await receive_text(client, state, wamid="wamid.F1", wa_id="5511900000001")
    await receive_text(
        client,
        state,
        wamid="wamid.F2",
        wa_id="5511900000002",
        phone_number_id=CHANNEL_2["phone_number_id"],
    )

    response = await client.get(
        "/api/contacts/export.csv", params={"channel_id": second.id}, headers=headers
    )
    unknown = await client.get(
        "/api/contacts/export.csv", params={"channel_id": 999}, headers=headers
    )

    assert [row["wa_id"] for row in _read_export(response.text)] == ["5511900000002"]
    assert unknown.status_code == 404


async def test_export_streams_every_batch(
    client: httpx.AsyncClient, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await admin_headers(client, state)
    monkeypatch.setattr(csv_io, "EXPORT_BATCH_ROWS", 2)
    text = "name,phone\n" + "".join(
        f"Lead {index},11 9{index:04d}-1111\n" for index in range(1, 8)
    )
    await client.post("/api/contacts/import", files=_upload(text), headers=headers)

    rows = _read_export(
        (await client.get("/api/contacts/export.csv", headers=headers)).text
    )

    assert len(rows) == 7
    assert len({row["wa_id"] for row in rows}) == 7


async def test_import_creates_many_contacts_in_batches(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    text = "name,phone,status,tags\n" + "".join(
        f"Lead {index},11 9{index:04d}-2222,contato,Lote\n" for index in range(1, 1201)
    )

    response = await client.post(
        "/api/contacts/import", files=_upload(text), headers=headers
    )

    assert response.json()["created"] == 1200
    listed = await client.get(
        "/api/contacts", params={"status": "contato", "limit": 200}, headers=headers
    )
    assert len(listed.json()) == 200
    assert all(contact["tags"][0]["name"] == "Lote" for contact in listed.json())
    history = await client.get("/api/contacts/5511900012222/history", headers=headers)
    assert [event["kind"] for event in history.json()] == [
        "tag_added",
        "status_changed",
    ]


async def test_csv_routes_need_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/contacts/export.csv")).status_code == 401
    assert (
        await client.post("/api/contacts/import", files=_upload("name,phone\n"))
    ).status_code == 401


async def test_large_import_publishes_one_summary_event(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    text = "name,phone\n" + "".join(
        f"Lead {index},11 9{index:04d}-4444\n" for index in range(101)
    )
    queue = state.events.subscribe()

    await client.post("/api/contacts/import", files=_upload(text), headers=headers)

    events = [queue.get_nowait() for _ in range(queue.qsize())]
    assert [(event.kind, event.data) for event in events] == [
        ("contacts.imported", {"count": 101})
    ]


async def test_import_drops_nul_characters(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    text = "nome;telefone;status;motivo_perda\nEva\x00 Teste;11 90000-0005;Perdido;Sem\x00 verba\n"

    response = await client.post(
        "/api/contacts/import", files=_upload(text), headers=headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    eva = (await client.get("/api/contacts/5511900000005", headers=headers)).json()
    assert eva["name"] == "Eva Teste"
    assert eva["lost_reason_text"] == "Sem verba"
