import httpx

from cenat_hub.models import User
from tests.factories import CHANNEL_1


async def _audit(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict]:
    response = await client.get("/api/audit", headers=headers)
    assert response.status_code == 200
    return response.json()


async def test_user_changes_are_audited(
    client: httpx.AsyncClient,
    admin: User,
    admin_headers: dict[str, str],
) -> None:
    created = await client.post(
        "/api/auth/register",
        json={
            "name": "Carla Teste",
            "email": "carla@teste.invalid",
            "password": "senha-123",
        },
        headers=admin_headers,
    )
    user_id = created.json()["id"]
    url = f"/api/auth/users/{user_id}"
    await client.patch(
        url, json={"role": "admin", "name": "Carla S"}, headers=admin_headers
    )
    await client.patch(url, json={"is_active": False}, headers=admin_headers)
    await client.patch(url, json={"is_active": True}, headers=admin_headers)
    await client.patch(url, json={"password": "senha-nova-123"}, headers=admin_headers)

    entries = [
        entry
        for entry in await _audit(client, admin_headers)
        if entry["target_id"] == user_id
    ]
    actions = [entry["action"] for entry in entries]
    assert actions == [
        "user.password_reset",
        "user.activated",
        "user.deactivated",
        "user.updated",
        "user.created",
    ]
    for entry in entries:
        assert entry["target_type"] == "user"
        assert entry["actor"] == {
            "id": admin.id,
            "name": admin.name,
            "email": admin.email,
        }
        assert entry["created_at"]
    updated = entries[3]["details"]["changes"]
    assert updated == {
        "name": {"from": "Carla Teste", "to": "Carla S"},
        "role": {"from": "atendente", "to": "admin"},
    }
    assert "senha" not in str(entries)


async def test_channel_creation_is_audited(
    client: httpx.AsyncClient, admin: User, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/channels",
        json={**CHANNEL_1, "whatsapp_token": "EAAG-audit-token-abc"},
        headers=admin_headers,
    )
    assert response.status_code == 201
    entries = await _audit(client, admin_headers)
    channel_entries = [entry for entry in entries if entry["target_type"] == "channel"]
    assert len(channel_entries) == 1
    entry = channel_entries[0]
    assert entry["action"] == "channel.created"
    assert entry["target_id"] == response.json()["id"]
    assert entry["actor"]["id"] == admin.id
    assert entry["details"]["name"] == CHANNEL_1["name"]
    assert "EAAG-audit-token-abc" not in str(entries)


async def test_audit_is_admin_only(
    client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    assert (await client.get("/api/audit", headers=agent_headers)).status_code == 403
    assert (await client.get("/api/audit")).status_code == 401


async def test_audit_pages_and_filters(
    client: httpx.AsyncClient, admin_headers: dict[str, str], agent: User
) -> None:
    for name in ("Um", "Dois", "Tres"):
        await client.patch(
            f"/api/auth/users/{agent.id}", json={"name": name}, headers=admin_headers
        )
    first_page = (
        await client.get("/api/audit?limit=2&target_type=user", headers=admin_headers)
    ).json()
    assert [entry["details"]["name"] for entry in first_page] == ["Tres", "Dois"]
    next_page = (
        await client.get(
            f"/api/audit?limit=2&target_type=user&before_id={first_page[-1]['id']}",
            headers=admin_headers,
        )
    ).json()
    assert next_page[0]["details"]["name"] == "Um"
    only_agent = (
        await client.get(
            f"/api/audit?target_type=user&target_id={agent.id}", headers=admin_headers
        )
    ).json()
    assert {entry["target_id"] for entry in only_agent} == {agent.id}
    too_big = await client.get("/api/audit?limit=201", headers=admin_headers)
    assert too_big.status_code == 422


async def test_audit_impossible_before_id_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for before_id in (2**31, 2**63):
        response = await client.get(
            "/api/audit", params={"before_id": before_id}, headers=admin_headers
        )
        assert response.status_code == 422, before_id
