import httpx

from cenat_hub.crm.service import MAX_NOTES_CHARS
from cenat_hub.web.state import AppState
from tests.crm.helpers import admin_headers, contact_events, make_contact


async def test_notes_saved_with_author_and_time(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    contact = await make_contact(state)
    queue = state.events.subscribe()

    response = await client.patch(
        "/api/contacts/5511900000001/notes",
        json={"notes": "Prefere contato à noite."},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["notes"] == "Prefere contato à noite."
    assert body["notes_updated_at"] is not None
    assert body["notes_updated_by_id"] is not None
    assert contact_events(queue) == [{"contact_id": contact.id, "wa_id": contact.wa_id}]


async def test_notes_at_limit_saved_and_over_limit_rejected(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    at_limit = await client.patch(
        "/api/contacts/5511900000001/notes",
        json={"notes": "a" * MAX_NOTES_CHARS},
        headers=headers,
    )
    over_limit = await client.patch(
        "/api/contacts/5511900000001/notes",
        json={"notes": "a" * (MAX_NOTES_CHARS + 1)},
        headers=headers,
    )

    assert at_limit.status_code == 200
    assert over_limit.status_code == 400
    assert over_limit.json()["code"] == "notes_too_long"
    assert "10,001" in over_limit.json()["detail"]
    assert "10,000" in over_limit.json()["detail"]


async def test_notes_quick_edits_merge_history(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    for text in ("Liga", "Ligar amanhã", "Ligar amanhã às 10h"):
        await client.patch(
            "/api/contacts/5511900000001/notes", json={"notes": text}, headers=headers
        )

    history = (
        await client.get("/api/contacts/5511900000001/history", headers=headers)
    ).json()
    assert len(history) == 1
    assert history[0]["kind"] == "notes_changed"
    assert history[0]["old_value"] == {"notes": None}
    assert history[0]["new_value"] == {"notes": "Ligar amanhã às 10h"}


async def test_notes_cleared_and_nul_removed(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    with_nul = await client.patch(
        "/api/contacts/5511900000001/notes",
        json={"notes": "antes\u0000depois"},
        headers=headers,
    )
    cleared = await client.patch(
        "/api/contacts/5511900000001/notes", json={"notes": ""}, headers=headers
    )

    assert with_nul.json()["notes"] == "antesdepois"
    assert cleared.json()["notes"] is None


async def test_notes_unknown_contact_is_404(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)

    response = await client.patch(
        "/api/contacts/5511900009999/notes", json={"notes": "x"}, headers=headers
    )

    assert response.status_code == 404


async def test_history_unknown_contact_is_404(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)

    response = await client.get("/api/contacts/5511900009999/history", headers=headers)

    assert response.status_code == 404


async def test_history_newest_first_with_limit(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)
    for status in ("contato", "qualificado", "matriculado"):
        await client.patch(
            "/api/contacts/5511900000001/status",
            json={"lead_status": status},
            headers=headers,
        )

    response = await client.get(
        "/api/contacts/5511900000001/history", params={"limit": 2}, headers=headers
    )

    statuses = [event["new_value"]["lead_status"] for event in response.json()]
    assert statuses == ["matriculado", "qualificado"]
