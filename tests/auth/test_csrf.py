"""CSRF: cookie-authenticated unsafe requests need the session's token."""

import httpx

from cenat_hub.models import User
from cenat_hub.web.security import CSRF_HEADER
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, page_login

NEW_USER = {
    "name": "Carla Teste",
    "email": "carla@teste.invalid",
    "password": "senha-da-carla",
}


async def test_cookie_post_without_token_is_403(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post("/api/auth/register", json=NEW_USER)
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "csrf"


async def test_cookie_post_with_wrong_token_is_403(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/api/auth/register", json=NEW_USER, headers={CSRF_HEADER: "0" * 64}
    )
    assert response.status_code == 403


async def test_cookie_post_with_token_succeeds(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/api/auth/register", json=NEW_USER, headers={CSRF_HEADER: csrf}
    )
    assert response.status_code == 201


async def test_cookie_patch_needs_token_too(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    url = f"/api/auth/users/{agent.id}"
    assert (await client.patch(url, json={"name": "X"})).status_code == 403
    response = await client.patch(url, json={"name": "X"}, headers={CSRF_HEADER: csrf})
    assert response.status_code == 200


async def test_cookie_get_needs_no_token(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    await page_login(client, state, admin.email, ADMIN_PASSWORD)
    assert (await client.get("/api/auth/me")).status_code == 200


async def test_bearer_post_needs_no_token(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/register", json=NEW_USER, headers=admin_headers
    )
    assert response.status_code == 201


async def test_token_of_other_session_is_rejected(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    agent_csrf = await page_login(client, state, agent.email, "senha-de-teste-agente")
    client.cookies.clear()
    await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/api/auth/register", json=NEW_USER, headers={CSRF_HEADER: agent_csrf}
    )
    assert response.status_code == 403


async def test_form_field_token_is_accepted(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/usuarios", data={**NEW_USER, "role": "atendente", "csrf_token": csrf}
    )
    assert response.status_code == 303
    missing = await client.post(
        "/usuarios",
        data={**NEW_USER, "email": "outra@teste.invalid", "role": "atendente"},
        headers={"Accept": "text/html"},
    )
    assert missing.status_code == 403
    assert "O formulário expirou" in missing.text


async def test_login_form_needs_login_token(
    client: httpx.AsyncClient, admin: User
) -> None:
    response = await client.post(
        "/login", data={"email": admin.email, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 403
    assert "A página de login expirou" in response.text
    assert "cenat_session" not in response.cookies


async def test_login_token_from_other_browser_is_rejected(
    client: httpx.AsyncClient, admin: User
) -> None:
    """A token an attacker fetched for their own browser does not fit the victim's cookie."""
    await client.get("/login")
    attacker_token = "x" * 43
    response = await client.post(
        "/login",
        data={
            "email": admin.email,
            "password": ADMIN_PASSWORD,
            "login_csrf": attacker_token,
        },
    )
    assert response.status_code == 403


async def test_logout_without_token_keeps_session(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    await client.post("/logout")
    assert (await client.get("/api/auth/me")).status_code == 200
    response = await client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert (await client.get("/api/auth/me")).status_code == 401
