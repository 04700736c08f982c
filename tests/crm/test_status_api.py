import httpx

from cenat_hub.web.state import AppState
from tests.crm.helpers import (
    admin_headers,
    contact_events,
    make_contact,
    make_lost_reason,
)


async def test_status_change_is_recorded_and_published(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    contact = await make_contact(state)
    queue = state.events.subscribe()

    response = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "contato"},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["lead_status"] == "contato"
    assert response.json()["status_changed_at"] is not None
    assert contact_events(queue) == [
        {"contact_id": contact.id, "wa_id": "5511900000001"}
    ]
    history = (
        await client.get("/api/contacts/5511900000001/history", headers=headers)
    ).json()
    assert len(history) == 1
    assert history[0]["kind"] == "status_changed"
    assert history[0]["old_value"] == {"lead_status": "novo"}
    assert history[0]["new_value"] == {"lead_status": "contato"}
    assert history[0]["user_name"] == "Ana Admin Teste"


async def test_status_accepts_number_without_ninth_digit(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state, wa_id="5511912345678")

    response = await client.patch(
        "/api/contacts/551112345678/status",
        json={"lead_status": "qualificado"},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["wa_id"] == "5511912345678"
    assert response.json()["lead_status"] == "qualificado"


async def test_status_invalid_value_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    response = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "ganho"},
        headers=headers,
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_status"
    assert "'ganho'" in response.json()["detail"]
    assert (
        "novo, contato, qualificado, matriculado, perdido" in response.json()["detail"]
    )


async def test_status_unknown_contact_is_404(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)

    response = await client.patch(
        "/api/contacts/5511900009999/status",
        json={"lead_status": "contato"},
        headers=headers,
    )

    assert response.status_code == 404
    assert "5511900009999" in response.json()["detail"]


async def test_status_needs_login(client: httpx.AsyncClient, state: AppState) -> None:
    await make_contact(state)

    response = await client.patch(
        "/api/contacts/5511900000001/status", json={"lead_status": "contato"}
    )

    assert response.status_code == 401


async def test_lost_without_reason_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    for body in (
        {"lead_status": "perdido"},
        {"lead_status": "perdido", "lost_reason_text": "   "},
    ):
        response = await client.patch(
            "/api/contacts/5511900000001/status", json=body, headers=headers
        )
        assert response.status_code == 400
        assert response.json()["code"] == "lost_reason_required"
        assert "lost_reason_id" in response.json()["detail"]


async def test_lost_with_reason_id_text_or_both(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    reason_id = await make_lost_reason(state, "Preço")
    await make_contact(state, wa_id="5511900000001")
    await make_contact(state, wa_id="5511900000002")
    await make_contact(state, wa_id="5511900000003")
    cases = {
        "5511900000001": {"lost_reason_id": reason_id},
        "5511900000002": {"lost_reason_text": "Mudou de cidade"},
        "5511900000003": {"lost_reason_id": reason_id, "lost_reason_text": "Caro"},
    }

    for wa_id, reason in cases.items():
        response = await client.patch(
            f"/api/contacts/{wa_id}/status",
            json={"lead_status": "perdido", **reason},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["lost_reason_id"] == reason.get("lost_reason_id")
        assert response.json()["lost_reason_text"] == reason.get("lost_reason_text")

    history = (
        await client.get("/api/contacts/5511900000003/history", headers=headers)
    ).json()
    assert history[0]["new_value"] == {
        "lead_status": "perdido",
        "lost_reason_id": reason_id,
        "lost_reason": "Preço",
        "lost_reason_text": "Caro",
    }


async def test_lost_reason_unknown_or_inactive_is_rejected(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    inactive_id = await make_lost_reason(state, "Antigo", is_active=False)
    await make_contact(state)

    unknown = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "perdido", "lost_reason_id": 999},
        headers=headers,
    )
    inactive = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "perdido", "lost_reason_id": inactive_id},
        headers=headers,
    )

    assert unknown.status_code == 404
    assert "999" in unknown.json()["detail"]
    assert inactive.status_code == 400
    assert "inactive" in inactive.json()["detail"]


async def test_lost_reason_with_other_status_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    response = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "contato", "lost_reason_text": "Sem interesse"},
        headers=headers,
    )

    assert response.status_code == 400
    assert "'perdido'" in response.json()["detail"]


async def test_lost_reason_text_too_long_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    response = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "perdido", "lost_reason_text": "x" * 501},
        headers=headers,
    )

    assert response.status_code == 400
    assert "500" in response.json()["detail"]


async def test_leaving_lost_clears_reason(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)
    await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "perdido", "lost_reason_text": "Sem retorno"},
        headers=headers,
    )

    response = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "contato"},
        headers=headers,
    )

    assert response.json()["lost_reason_text"] is None
    history = (
        await client.get("/api/contacts/5511900000001/history", headers=headers)
    ).json()
    assert history[0]["old_value"]["lost_reason_text"] == "Sem retorno"
    assert history[0]["new_value"] == {"lead_status": "contato"}


async def test_same_status_records_nothing(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)
    queue = state.events.subscribe()

    response = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "novo"},
        headers=headers,
    )

    assert response.status_code == 200
    assert contact_events(queue) == []
    history = (
        await client.get("/api/contacts/5511900000001/history", headers=headers)
    ).json()
    assert history == []


async def test_lost_with_impossible_reason_id_is_422(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)

    for reason_id in (0, 2**31, 2**63):
        response = await client.patch(
            "/api/contacts/5511900000001/status",
            json={"lead_status": "perdido", "lost_reason_id": reason_id},
            headers=headers,
        )
        assert response.status_code == 422, reason_id

    shown = await client.get("/api/contacts/5511900000001", headers=headers)
    assert shown.json()["lead_status"] == "novo"
