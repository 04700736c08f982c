import httpx

from cenat_hub.web.state import AppState
from tests.crm.helpers import admin_headers, agent_headers


async def test_admin_creates_and_edits_lost_reasons(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)

    first = await client.post(
        "/api/lost-reasons", json={"name": "Sem interesse"}, headers=headers
    )
    second = await client.post(
        "/api/lost-reasons", json={"name": "Preço"}, headers=headers
    )
    renamed = await client.patch(
        f"/api/lost-reasons/{second.json()['id']}",
        json={"name": "Preço alto", "position": 0},
        headers=headers,
    )

    assert first.status_code == 201, first.text
    assert first.json() == {
        "id": first.json()["id"],
        "name": "Sem interesse",
        "is_active": True,
        "position": 1,
    }
    assert second.json()["position"] == 2
    assert renamed.status_code == 200
    listed = (await client.get("/api/lost-reasons", headers=headers)).json()
    assert [reason["name"] for reason in listed] == ["Preço alto", "Sem interesse"]


async def test_deactivated_lost_reason_hidden_by_default(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    reason = (
        await client.post("/api/lost-reasons", json={"name": "Antigo"}, headers=headers)
    ).json()

    response = await client.patch(
        f"/api/lost-reasons/{reason['id']}", json={"is_active": False}, headers=headers
    )

    assert response.json()["is_active"] is False
    assert (await client.get("/api/lost-reasons", headers=headers)).json() == []
    every = await client.get(
        "/api/lost-reasons", params={"include_inactive": True}, headers=headers
    )
    assert [item["name"] for item in every.json()] == ["Antigo"]


async def test_lost_reason_errors(client: httpx.AsyncClient, state: AppState) -> None:
    headers = await admin_headers(client, state)
    await client.post("/api/lost-reasons", json={"name": "Preço"}, headers=headers)

    duplicate = await client.post(
        "/api/lost-reasons", json={"name": "preço"}, headers=headers
    )
    empty = await client.post("/api/lost-reasons", json={"name": " "}, headers=headers)
    too_long = await client.post(
        "/api/lost-reasons", json={"name": "x" * 101}, headers=headers
    )
    unknown = await client.patch(
        "/api/lost-reasons/999", json={"name": "Outro"}, headers=headers
    )

    assert duplicate.status_code == 409
    assert "'Preço'" in duplicate.json()["detail"]
    assert empty.status_code == 400
    assert too_long.status_code == 400
    assert unknown.status_code == 404
    assert "999" in unknown.json()["detail"]


async def test_agent_reads_but_cannot_edit_lost_reasons(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = await admin_headers(client, state)
    agent = await agent_headers(client, state)
    reason = (
        await client.post("/api/lost-reasons", json={"name": "Preço"}, headers=admin)
    ).json()

    listed = await client.get("/api/lost-reasons", headers=agent)
    created = await client.post("/api/lost-reasons", json={"name": "X"}, headers=agent)
    edited = await client.patch(
        f"/api/lost-reasons/{reason['id']}", json={"name": "Y"}, headers=agent
    )

    assert listed.status_code == 200
    assert len(listed.json()) == 1
    assert created.status_code == 403
    assert edited.status_code == 403
