from typing import get_args

import httpx
from sqlalchemy import select

from cenat_hub.auth.schemas import Role
from cenat_hub.auth.service import create_admin
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import AuditLogEntry, User
from cenat_hub.models.user import ROLES
from cenat_hub.web.state import AppState
from tests.factories import login


async def test_admin_registers_agent(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={
            "name": "Carla Teste",
            "email": "Carla@Teste.Invalid",
            "password": "senha-da-carla",
            "role": "atendente",
        },
        headers=admin_headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "carla@teste.invalid"
    assert body["role"] == "atendente"
    assert body["is_active"] is True
    assert "password" not in str(body)
    await login(client, "carla@teste.invalid", "senha-da-carla")


async def test_register_defaults_to_agent_role(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"name": "Dani", "email": "dani@teste.invalid", "password": "senha-123"},
        headers=admin_headers,
    )
    assert response.json()["role"] == "atendente"


async def test_register_rejects_duplicate_email(
    client: httpx.AsyncClient, admin_headers: dict[str, str], agent: User
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={
            "name": "Outra Bia",
            "email": agent.email.upper(),
            "password": "senha-123",
        },
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["details"]["reason"] == "email_taken"


async def test_register_validates_input(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    cases = [
        ({"email": "sem-arroba", "password": "senha-123"}, 400, "invalid_email"),
        ({"email": "e@teste.invalid", "password": "curta"}, 400, "password_too_short"),
        (
            {"email": "e@teste.invalid", "password": "        "},
            400,
            "password_too_short",
        ),
    ]
    for fields, status, reason in cases:
        response = await client.post(
            "/api/auth/register",
            json={"name": "Eva Teste", **fields},
            headers=admin_headers,
        )
        assert response.status_code == status, fields
        assert response.json()["details"]["reason"] == reason
    bad_role = await client.post(
        "/api/auth/register",
        json={
            "name": "Eva",
            "email": "e@teste.invalid",
            "password": "senha-123",
            "role": "root",
        },
        headers=admin_headers,
    )
    assert bad_role.status_code == 422


async def test_list_users_is_for_admins(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    agent_headers: dict[str, str],
) -> None:
    response = await client.get("/api/auth/users", headers=admin_headers)
    assert response.status_code == 200
    emails = {user["email"] for user in response.json()}
    assert emails == {"admin@teste.invalid", "bia.atendente@teste.invalid"}
    assert all("password_hash" not in user for user in response.json())
    forbidden = await client.get("/api/auth/users", headers=agent_headers)
    assert forbidden.status_code == 403


async def test_admin_edits_name_email_and_role(
    client: httpx.AsyncClient, admin_headers: dict[str, str], agent: User
) -> None:
    response = await client.patch(
        f"/api/auth/users/{agent.id}",
        json={"name": "Bia Souza", "email": "bia.souza@teste.invalid", "role": "admin"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Bia Souza"
    assert body["email"] == "bia.souza@teste.invalid"
    assert body["role"] == "admin"


async def test_rejected_edit_changes_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], agent: User
) -> None:
    response = await client.patch(
        f"/api/auth/users/{agent.id}",
        json={"name": "Nome Novo", "email": "invalido"},
        headers=admin_headers,
    )
    assert response.status_code == 400
    users = (await client.get("/api/auth/users", headers=admin_headers)).json()
    bia = next(user for user in users if user["id"] == agent.id)
    assert bia["name"] == "Bia Atendente Teste"


async def test_agent_promoted_gains_admin_routes(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    agent: User,
    agent_headers: dict[str, str],
) -> None:
    assert (
        await client.get("/api/auth/users", headers=agent_headers)
    ).status_code == 403
    await client.patch(
        f"/api/auth/users/{agent.id}", json={"role": "admin"}, headers=admin_headers
    )
    assert (
        await client.get("/api/auth/users", headers=agent_headers)
    ).status_code == 200


async def test_demoted_admin_loses_admin_routes_at_once(
    client: httpx.AsyncClient, state: AppState, admin_headers: dict[str, str]
) -> None:
    second = await client.post(
        "/api/auth/register",
        json={
            "name": "Gil Admin",
            "email": "gil@teste.invalid",
            "password": "senha-do-gil",
            "role": "admin",
        },
        headers=admin_headers,
    )
    gil_headers = await login(client, "gil@teste.invalid", "senha-do-gil")
    await client.patch(
        f"/api/auth/users/{second.json()['id']}",
        json={"role": "atendente"},
        headers=admin_headers,
    )
    response = await client.get("/api/auth/users", headers=gil_headers)
    assert response.status_code == 403


async def test_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, admin: User, admin_headers: dict[str, str]
) -> None:
    url = f"/api/auth/users/{admin.id}"
    cases = [
        ({"is_active": False}, "self_deactivation"),
        ({"role": "atendente"}, "self_role_change"),
        ({"password": "outra-senha-123"}, "self_password_reset"),
    ]
    for body, reason in cases:
        response = await client.patch(url, json=body, headers=admin_headers)
        assert response.status_code == 400, body
        assert response.json()["details"]["reason"] == reason
    renamed = await client.patch(
        url, json={"name": "Ana Renomeada"}, headers=admin_headers
    )
    assert renamed.status_code == 200
    assert (await client.get("/api/auth/me", headers=admin_headers)).status_code == 200


async def test_patch_unknown_user_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.patch(
        "/api/auth/users/999999", json={"name": "X"}, headers=admin_headers
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "User 999999 not found."


async def test_deactivated_admin_token_cannot_administer(
    client: httpx.AsyncClient, state: AppState, admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/api/auth/register",
        json={
            "name": "Hugo Admin",
            "email": "hugo@teste.invalid",
            "password": "senha-do-hugo",
            "role": "admin",
        },
        headers=admin_headers,
    )
    hugo_headers = await login(client, "hugo@teste.invalid", "senha-do-hugo")
    await client.patch(
        f"/api/auth/users/{created.json()['id']}",
        json={"is_active": False},
        headers=admin_headers,
    )
    response = await client.post(
        "/api/auth/register",
        json={"name": "Intrusa", "email": "i@teste.invalid", "password": "senha-123"},
        headers=hugo_headers,
    )
    assert response.status_code == 401


async def test_create_admin_service(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        user = await create_admin(
            session,
            name="Primeira Admin",
            email="primeira@teste.invalid",
            password="senha-inicial-123",
        )
    assert user.role == "admin"
    assert user.password_hash.startswith("$argon2id$")
    async with state.session_factory() as session:
        entry = (await session.execute(select(AuditLogEntry))).scalar_one()
    assert entry.action == "user.created"
    assert entry.actor_user_id is None
    assert entry.target_id == user.id


def test_schema_roles_match_model_roles() -> None:
    assert set(get_args(Role)) == set(ROLES)


async def test_register_rejects_control_characters(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    bad_email = await client.post(
        "/api/auth/register",
        json={
            "name": "Eva Teste",
            "email": "e\x00@teste.invalid",
            "password": "senha-123",
        },
        headers=admin_headers,
    )
    bad_name = await client.post(
        "/api/auth/register",
        json={"name": "\x00\x1b", "email": "e@teste.invalid", "password": "senha-123"},
        headers=admin_headers,
    )
    cleaned = await client.post(
        "/api/auth/register",
        json={
            "name": "Eva\x00Teste",
            "email": "eva@teste.invalid",
            "password": "senha-123",
        },
        headers=admin_headers,
    )

    assert bad_email.status_code == 400
    assert bad_email.json()["details"]["reason"] == "invalid_email"
    assert bad_name.status_code == 400
    assert bad_name.json()["details"]["reason"] == "empty_name"
    assert cleaned.status_code == 201, cleaned.text
    assert cleaned.json()["name"] == "Eva Teste"
