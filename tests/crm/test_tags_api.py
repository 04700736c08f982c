import httpx

from cenat_hub.web.state import AppState
from tests.crm.helpers import admin_headers, agent_headers, contact_events, make_contact


async def test_create_tag_with_palette_or_hex_color(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await agent_headers(client, state)

    palette = await client.post(
        "/api/tags", json={"name": "VIP", "color": "red"}, headers=headers
    )
    custom = await client.post(
        "/api/tags",
        json={"name": "  Pós   noturna ", "color": "#1A7F5A"},
        headers=headers,
    )

    assert palette.status_code == 201, palette.text
    assert palette.json()["color"] == "red"
    assert custom.status_code == 201, custom.text
    assert custom.json()["name"] == "Pós noturna"
    assert custom.json()["color"] == "#1a7f5a"
    listed = (await client.get("/api/tags", headers=headers)).json()
    assert [tag["name"] for tag in listed] == ["Pós noturna", "VIP"]


async def test_create_tag_duplicate_ignoring_case_is_409(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await agent_headers(client, state)
    await client.post("/api/tags", json={"name": "VIP"}, headers=headers)
    await client.post("/api/tags", json={"name": "Pós"}, headers=headers)

    for name in ("vip", "Vip", "PÓS"):
        response = await client.post("/api/tags", json={"name": name}, headers=headers)
        assert response.status_code == 409, name
        assert response.json()["code"] == "duplicate_tag"
        assert "already exists" in response.json()["detail"]


async def test_create_tag_invalid_color_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await agent_headers(client, state)

    for color in ("chartreuse", "#12345", "#12345g", "red;}"):
        response = await client.post(
            "/api/tags", json={"name": "Quente", "color": color}, headers=headers
        )
        assert response.status_code == 400, color
        assert response.json()["code"] == "invalid_color"
        assert "#1a7f5a" in response.json()["detail"]


async def test_create_tag_invalid_name_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await agent_headers(client, state)

    empty = await client.post("/api/tags", json={"name": "   "}, headers=headers)
    too_long = await client.post("/api/tags", json={"name": "x" * 51}, headers=headers)

    assert empty.status_code == 400
    assert "empty" in empty.json()["detail"]
    assert too_long.status_code == 400
    assert "51" in too_long.json()["detail"]


async def test_tag_and_untag_contact(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    contact = await make_contact(state)
    tag = (
        await client.post(
            "/api/tags", json={"name": "VIP", "color": "red"}, headers=headers
        )
    ).json()
    queue = state.events.subscribe()

    added = await client.post(
        f"/api/contacts/5511900000001/tags/{tag['id']}", headers=headers
    )
    added_again = await client.post(
        f"/api/contacts/5511900000001/tags/{tag['id']}", headers=headers
    )

    assert added.status_code == 200, added.text
    assert added.json()["tags"] == [{"id": tag["id"], "name": "VIP", "color": "red"}]
    assert added_again.status_code == 200
    assert contact_events(queue) == [{"contact_id": contact.id, "wa_id": contact.wa_id}]

    removed = await client.delete(
        f"/api/contacts/5511900000001/tags/{tag['id']}", headers=headers
    )
    removed_again = await client.delete(
        f"/api/contacts/5511900000001/tags/{tag['id']}", headers=headers
    )

    assert removed.status_code == 200
    assert removed.json()["tags"] == []
    assert removed_again.status_code == 200
    assert len(contact_events(queue)) == 1
    history = (
        await client.get("/api/contacts/5511900000001/history", headers=headers)
    ).json()
    assert [event["kind"] for event in history] == ["tag_removed", "tag_added"]
    assert history[1]["new_value"] == {
        "tag_id": tag["id"],
        "name": "VIP",
        "color": "red",
    }


async def test_tag_unknown_tag_or_contact_is_404(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state)
    tag = (await client.post("/api/tags", json={"name": "VIP"}, headers=headers)).json()

    unknown_tag = await client.post(
        "/api/contacts/5511900000001/tags/999", headers=headers
    )
    unknown_contact = await client.post(
        f"/api/contacts/5511900009999/tags/{tag['id']}", headers=headers
    )
    unknown_tag_delete = await client.delete(
        "/api/contacts/5511900000001/tags/999", headers=headers
    )

    assert unknown_tag.status_code == 404
    assert "Tag 999" in unknown_tag.json()["detail"]
    assert unknown_contact.status_code == 404
    assert unknown_tag_delete.status_code == 404


async def test_tags_need_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/tags")).status_code == 401
    assert (await client.post("/api/tags", json={"name": "x"})).status_code == 401
