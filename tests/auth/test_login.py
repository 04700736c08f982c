from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select

from cenat_hub.config import Settings
from cenat_hub.models import User
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, login, make_legacy_user, make_user


async def _stored_hash(state: AppState, user_id: int) -> str:
    async with state.session_factory() as session:
        statement = select(User.password_hash).where(User.id == user_id)
        return (await session.execute(statement)).scalar_one()


async def test_login_returns_bearer_token(
    client: httpx.AsyncClient, admin: User
) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": admin.email, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == admin.email
    assert "password_hash" not in body["user"]
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["id"] == admin.id


async def test_login_email_is_case_insensitive(
    client: httpx.AsyncClient, admin: User
) -> None:
    response = await client.post(
        "/api/auth/login",
        json={"email": "  ADMIN@Teste.Invalid ", "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 200


async def test_token_expires_after_24_hours_by_default(
    client: httpx.AsyncClient, admin: User, settings: Settings
) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": admin.email, "password": ADMIN_PASSWORD}
    )
    claims = jwt.decode(
        response.json()["access_token"],
        settings.jwt_secret.get_secret_value(),
        algorithms=["HS256"],
    )
    lifetime = datetime.fromtimestamp(claims["exp"], UTC) - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < lifetime <= timedelta(hours=24)


async def test_wrong_password_and_unknown_email_look_alike(
    client: httpx.AsyncClient, admin: User
) -> None:
    wrong = await client.post(
        "/api/auth/login", json={"email": admin.email, "password": "errada-123"}
    )
    unknown = await client.post(
        "/api/auth/login",
        json={"email": "ninguem@teste.invalid", "password": "errada-123"},
    )
    assert wrong.status_code == 401
    assert unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["detail"] == "Email or password is incorrect."


async def test_legacy_bcrypt_user_logs_in_and_is_upgraded(
    client: httpx.AsyncClient, state: AppState
) -> None:
    user = await make_legacy_user(
        state, email="legado@teste.invalid", password="senha-antiga-123"
    )
    assert (await _stored_hash(state, user.id)).startswith("$2b$")

    await login(client, "legado@teste.invalid", "senha-antiga-123")
    assert (await _stored_hash(state, user.id)).startswith("$argon2id$")

    await login(client, "legado@teste.invalid", "senha-antiga-123")
    wrong = await client.post(
        "/api/auth/login",
        json={"email": "legado@teste.invalid", "password": "senha-antiga-124"},
    )
    assert wrong.status_code == 401


async def test_legacy_long_password_survives_upgrade(
    client: httpx.AsyncClient, state: AppState
) -> None:
    password = "ç" * 40 + " and more after byte seventy-two"
    await make_legacy_user(state, email="longo@teste.invalid", password=password)
    await login(client, "longo@teste.invalid", password)
    await login(client, "longo@teste.invalid", password)


@pytest.mark.parametrize(
    "password",
    ["x" * 1024, "senha çãõ 密码 🔑 ok", "ÿ" * 600],
    ids=["1024-ascii", "mixed-scripts", "1200-bytes"],
)
async def test_long_and_non_ascii_passwords_log_in(
    client: httpx.AsyncClient, state: AppState, password: str
) -> None:
    await make_user(state, email="unicode@teste.invalid", password=password)
    await login(client, "unicode@teste.invalid", password)


async def test_password_over_limit_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        json={"email": "admin@teste.invalid", "password": "x" * 1025},
    )
    assert response.status_code == 422


async def test_deactivated_user_cannot_log_in(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    agent: User,
) -> None:
    response = await client.patch(
        f"/api/auth/users/{agent.id}", json={"is_active": False}, headers=admin_headers
    )
    assert response.status_code == 200
    login_response = await client.post(
        "/api/auth/login",
        json={"email": agent.email, "password": "senha-de-teste-agente"},
    )
    assert login_response.status_code == 401
    assert "deactivated" in login_response.json()["detail"]


async def test_deactivated_user_token_is_rejected_at_once(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    agent: User,
    agent_headers: dict[str, str],
) -> None:
    assert (await client.get("/api/auth/me", headers=agent_headers)).status_code == 200
    response = await client.patch(
        f"/api/auth/users/{agent.id}", json={"is_active": False}, headers=admin_headers
    )
    assert response.status_code == 200

    rejected = await client.get("/api/auth/me", headers=agent_headers)
    assert rejected.status_code == 401
    assert rejected.headers["WWW-Authenticate"] == "Bearer"
    channels = await client.get("/api/channels", headers=agent_headers)
    assert channels.status_code == 401


async def test_reactivation_does_not_revive_old_tokens(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    agent: User,
    agent_headers: dict[str, str],
) -> None:
    url = f"/api/auth/users/{agent.id}"
    await client.patch(url, json={"is_active": False}, headers=admin_headers)
    await client.patch(url, json={"is_active": True}, headers=admin_headers)
    assert (await client.get("/api/auth/me", headers=agent_headers)).status_code == 401
    await login(client, agent.email, "senha-de-teste-agente")


async def test_admin_password_reset_ends_sessions(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    agent: User,
    agent_headers: dict[str, str],
) -> None:
    response = await client.patch(
        f"/api/auth/users/{agent.id}",
        json={"password": "nova-senha-da-bia"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert (await client.get("/api/auth/me", headers=agent_headers)).status_code == 401
    await login(client, agent.email, "nova-senha-da-bia")


async def test_own_password_change(
    client: httpx.AsyncClient, agent: User, agent_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/password",
        json={
            "current_password": "senha-de-teste-agente",
            "new_password": "nova senha ção 🔑",
        },
        headers=agent_headers,
    )
    assert response.status_code == 200
    new_headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=new_headers)).status_code == 200
    assert (await client.get("/api/auth/me", headers=agent_headers)).status_code == 401
    await login(client, agent.email, "nova senha ção 🔑")


async def test_own_password_change_needs_current_password(
    client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/password",
        json={"current_password": "palpite-errado", "new_password": "nova-senha-123"},
        headers=agent_headers,
    )
    assert response.status_code == 400
    assert response.json()["details"]["reason"] == "wrong_current_password"
    assert (await client.get("/api/auth/me", headers=agent_headers)).status_code == 200


async def test_own_password_change_rejects_short_password(
    client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/password",
        json={"current_password": "senha-de-teste-agente", "new_password": "curta"},
        headers=agent_headers,
    )
    assert response.status_code == 400
    assert response.json()["details"]["reason"] == "password_too_short"


async def test_login_is_logged_without_password(
    client: httpx.AsyncClient,
    admin: User,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await client.post(
        "/api/auth/login", json={"email": admin.email, "password": "palpite-errado-1"}
    )
    await login(client, admin.email, ADMIN_PASSWORD)
    output = capsys.readouterr()
    logged = output.out + output.err
    assert "auth.login_failed" in logged
    assert "auth.login_succeeded" in logged
    assert "palpite-errado-1" not in logged
    assert ADMIN_PASSWORD not in logged


async def test_nul_in_email_is_a_failed_login(
    client: httpx.AsyncClient, admin: User
) -> None:
    for email in (f"{admin.email}\x00", "ninguem\x00@teste.invalid"):
        response = await client.post(
            "/api/auth/login", json={"email": email, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 401, email
        assert response.json()["detail"] == "Email or password is incorrect."
