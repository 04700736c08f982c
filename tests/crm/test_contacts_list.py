import httpx

from cenat_hub.web.state import AppState
from tests.crm.helpers import admin_headers, make_contact, receive_text
from tests.factories import CHANNEL_2, make_channel


async def test_list_filters_by_status_tag_channel_search(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_channel(state)
    second = await make_channel(state, CHANNEL_2)
    await receive_text(client, state, wamid="wamid.A1", wa_id="5511900000001")
    await receive_text(
        client,
        state,
        wamid="wamid.B1",
        wa_id="5511900000002",
        name="Bruno Teste",
        phone_number_id=CHANNEL_2["phone_number_id"],
    )
    await make_contact(state, wa_id="5521900000003", name="Carla Teste")
    tag = (await client.post("/api/tags", json={"name": "VIP"}, headers=headers)).json()
    await client.post(f"/api/contacts/5521900000003/tags/{tag['id']}", headers=headers)
    await client.patch(
        "/api/contacts/5511900000002/status",
        json={"lead_status": "contato"},
        headers=headers,
    )

    async def listed(**params: object) -> list[str]:
        response = await client.get("/api/contacts", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [contact["wa_id"] for contact in response.json()]

    assert await listed(status="contato") == ["5511900000002"]
    assert await listed(tag_id=tag["id"]) == ["5521900000003"]
    assert await listed(channel_id=second.id) == ["5511900000002"]
    assert await listed(search="carla") == ["5521900000003"]
    assert await listed(search="(21) 90000") == ["5521900000003"]
    assert sorted(await listed()) == ["5511900000001", "5511900000002", "5521900000003"]


async def test_list_orders_by_latest_activity(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_channel(state)
    await receive_text(
        client, state, wamid="wamid.O1", wa_id="5511900000001", timestamp=1767225600
    )
    await receive_text(
        client, state, wamid="wamid.O2", wa_id="5511900000002", timestamp=1767225700
    )
    await receive_text(
        client, state, wamid="wamid.O3", wa_id="5511900000001", timestamp=1767225800
    )

    response = await client.get("/api/contacts", headers=headers)

    assert [contact["wa_id"] for contact in response.json()] == [
        "5511900000001",
        "5511900000002",
    ]
    assert response.json()[0]["last_message_at"].startswith("2026-01-01T00:03:20")


async def test_list_rejects_bad_filters(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)

    bad_status = await client.get(
        "/api/contacts", params={"status": "ganho"}, headers=headers
    )
    unknown_tag = await client.get(
        "/api/contacts", params={"tag_id": 999}, headers=headers
    )
    unknown_channel = await client.get(
        "/api/contacts", params={"channel_id": 999}, headers=headers
    )

    assert bad_status.status_code == 400
    assert "'ganho'" in bad_status.json()["detail"]
    assert unknown_tag.status_code == 404
    assert "Tag 999" in unknown_tag.json()["detail"]
    assert unknown_channel.status_code == 404
    assert "Channel 999" in unknown_channel.json()["detail"]
