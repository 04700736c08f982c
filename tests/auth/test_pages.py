"""The Usuários page, the Minha senha page and the login page, rendered in-process."""

import re

import httpx

from cenat_hub.models import User
from cenat_hub.web.security import CSRF_HEADER
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, AGENT_PASSWORD, login, page_login

HTML = {"Accept": "text/html"}


def _htmx(csrf: str) -> dict[str, str]:
    return {"HX-Request": "true", CSRF_HEADER: csrf}


async def test_usuarios_without_session_redirects_to_login(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/usuarios", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/usuarios"


async def test_admin_sees_users_and_audit(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.get("/usuarios")
    assert response.status_code == 200
    assert "<h1>Usuários</h1>" in response.text
    assert agent.email in response.text
    assert "Atividade recente" in response.text
    assert 'href="/usuarios"' in response.text


async def test_agent_gets_403_page_in_portuguese(
    client: httpx.AsyncClient, state: AppState, agent: User
) -> None:
    await page_login(client, state, agent.email, AGENT_PASSWORD)
    response = await client.get("/usuarios", headers=HTML)
    assert response.status_code == 403
    assert "Acesso negado" in response.text
    assert "restrita a administradores" in response.text
    assert agent.name in response.text
    assert 'href="/usuarios"' not in response.text
    assert 'href="/canais"' not in response.text


async def test_agent_cannot_post_to_usuarios(
    client: httpx.AsyncClient, state: AppState, agent: User
) -> None:
    csrf = await page_login(client, state, agent.email, AGENT_PASSWORD)
    response = await client.post(
        "/usuarios",
        data={"name": "X", "email": "x@teste.invalid", "password": "senha-123"},
        headers=_htmx(csrf),
    )
    assert response.status_code == 403
    admin_routes = [
        f"/usuarios/{agent.id}/status",
        f"/usuarios/{agent.id}/papel",
        f"/usuarios/{agent.id}/senha",
    ]
    for path in admin_routes:
        forbidden = await client.post(path, data={}, headers=_htmx(csrf))
        assert forbidden.status_code == 403, path


async def test_htmx_create_returns_panel(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/usuarios",
        data={
            "name": "Carla Teste",
            "email": "carla@teste.invalid",
            "password": "senha-da-carla",
            "role": "atendente",
        },
        headers=_htmx(csrf),
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="usuarios-painel"')
    assert "Usuário Carla Teste criado." in response.text
    assert "carla@teste.invalid" in response.text
    assert "criou o usuário Carla Teste (carla@teste.invalid) como Atendente" in (
        response.text
    )
    await login(client, "carla@teste.invalid", "senha-da-carla")


async def test_create_errors_are_shown_in_portuguese(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    cases = [
        ({"email": agent.email, "password": "senha-123"}, 409, "Já existe um usuário"),
        ({"email": "novo@teste.invalid", "password": "curta"}, 400, "senha é curta"),
        ({"email": "sem-arroba", "password": "senha-123"}, 400, "E-mail inválido"),
    ]
    for fields, status, message in cases:
        response = await client.post(
            "/usuarios",
            data={"name": "Nome Teste", "role": "atendente", **fields},
            headers=_htmx(csrf),
        )
        assert response.status_code == status, fields
        assert message in response.text
        assert 'value="Nome Teste"' in response.text


async def test_plain_form_create_redirects(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/usuarios",
        data={
            "name": "Dani Teste",
            "email": "dani@teste.invalid",
            "password": "senha-da-dani",
            "role": "admin",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/usuarios"
    page = await client.get("/usuarios")
    assert "dani@teste.invalid" in page.text


async def test_deactivate_and_reactivate_from_page(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    agent_headers = await login(client, agent.email, AGENT_PASSWORD)
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        f"/usuarios/{agent.id}/status",
        data={"is_active": "false"},
        headers=_htmx(csrf),
    )
    assert response.status_code == 200
    assert f"Usuário {agent.name} desativado." in response.text
    assert f"desativou o usuário {agent.email}" in response.text
    assert (await client.get("/api/auth/me", headers=agent_headers)).status_code == 401

    response = await client.post(
        f"/usuarios/{agent.id}/status",
        data={"is_active": "true"},
        headers=_htmx(csrf),
    )
    assert f"ativou o usuário {agent.email}" in response.text


async def test_role_change_and_password_reset_from_page(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        f"/usuarios/{agent.id}/papel", data={"role": "admin"}, headers=_htmx(csrf)
    )
    assert response.status_code == 200
    assert f"alterou o papel para Administrador de {agent.email}" in response.text

    response = await client.post(
        f"/usuarios/{agent.id}/senha",
        data={"password": "senha-nova-da-bia"},
        headers=_htmx(csrf),
    )
    assert response.status_code == 200
    assert f"redefiniu a senha de {agent.email}" in response.text
    await login(client, agent.email, "senha-nova-da-bia")


async def test_admin_row_has_no_self_lockout_controls(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    await page_login(client, state, admin.email, ADMIN_PASSWORD)
    page = (await client.get("/usuarios")).text
    assert f'action="/usuarios/{admin.id}/status"' not in page
    assert f'action="/usuarios/{admin.id}/papel"' not in page
    assert f'action="/usuarios/{agent.id}/status"' in page


async def test_self_deactivation_is_refused_on_page(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        f"/usuarios/{admin.id}/status", data={"is_active": "false"}, headers=_htmx(csrf)
    )
    assert response.status_code == 400
    assert "não pode desativar o seu próprio usuário" in response.text
    assert (await client.get("/usuarios")).status_code == 200


async def test_names_are_escaped(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    csrf = await page_login(client, state, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/usuarios",
        data={
            "name": '<script>alert("x")</script>',
            "email": "xss@teste.invalid",
            "password": "senha-123",
            "role": "atendente",
        },
        headers=_htmx(csrf),
    )
    assert response.status_code == 200
    assert '<script>alert("x")</script>' not in response.text
    assert "&lt;script&gt;" in response.text


async def test_own_password_change_page(
    client: httpx.AsyncClient, state: AppState, agent: User
) -> None:
    csrf = await page_login(client, state, agent.email, AGENT_PASSWORD)
    old_cookie = client.cookies["cenat_session"]
    response = await client.post(
        "/conta/senha",
        data={
            "current_password": AGENT_PASSWORD,
            "new_password": "nova-senha-ção",
            "confirm_password": "nova-senha-ção",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 303
    assert client.cookies["cenat_session"] != old_cookie
    page = await client.get("/conta/senha?alterada=1")
    assert page.status_code == 200
    assert "Senha alterada." in page.text

    stale = await client.get(
        "/api/auth/me", headers={"Cookie": f"cenat_session={old_cookie}"}
    )
    assert stale.status_code == 401
    await login(client, agent.email, "nova-senha-ção")


async def test_own_password_change_page_errors(
    client: httpx.AsyncClient, state: AppState, agent: User
) -> None:
    csrf = await page_login(client, state, agent.email, AGENT_PASSWORD)
    mismatch = await client.post(
        "/conta/senha",
        data={
            "current_password": AGENT_PASSWORD,
            "new_password": "nova-senha-1",
            "confirm_password": "nova-senha-2",
            "csrf_token": csrf,
        },
    )
    assert mismatch.status_code == 400
    assert "A confirmação não é igual" in mismatch.text
    wrong = await client.post(
        "/conta/senha",
        data={
            "current_password": "errada-123",
            "new_password": "nova-senha-1",
            "confirm_password": "nova-senha-1",
            "csrf_token": csrf,
        },
    )
    assert wrong.status_code == 400
    assert "A senha atual está incorreta." in wrong.text


async def test_login_page_messages(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    page = await client.get("/login")
    assert "Cenat Hub" in page.text
    assert 'src="/static/logo.svg"' in page.text
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token
    form = {"email": admin.email, "login_csrf": token.group(1)}

    wrong = await client.post("/login", data={**form, "password": "errada-123"})
    assert wrong.status_code == 401
    assert "E-mail ou senha incorretos." in wrong.text
    assert "errada-123" not in wrong.text

    for _ in range(4):
        # Every rendering of the form carries a new login token.
        token = re.search(r'name="login_csrf" value="([^"]+)"', wrong.text)
        assert token
        form["login_csrf"] = token.group(1)
        wrong = await client.post("/login", data={**form, "password": "errada-123"})
        assert wrong.status_code == 401
    token = re.search(r'name="login_csrf" value="([^"]+)"', wrong.text)
    assert token
    form["login_csrf"] = token.group(1)
    throttled = await client.post("/login", data={**form, "password": ADMIN_PASSWORD})
    assert throttled.status_code == 429
    assert "Muitas tentativas de login sem sucesso." in throttled.text
    assert "Tente novamente em 15 minutos." in throttled.text
    assert throttled.headers["Retry-After"]


async def test_login_page_inactive_message(
    client: httpx.AsyncClient, state: AppState, agent: User, admin_headers: dict
) -> None:
    await client.patch(
        f"/api/auth/users/{agent.id}", json={"is_active": False}, headers=admin_headers
    )
    page = await client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token
    response = await client.post(
        "/login",
        data={
            "email": agent.email,
            "password": AGENT_PASSWORD,
            "login_csrf": token.group(1),
        },
    )
    assert response.status_code == 401
    assert "Usuário inativo." in response.text


async def test_login_redirects_only_to_local_paths(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    for target, expected in [
        ("/usuarios", "/usuarios"),
        ("https://evil.test/", "/conversas"),
        ("//evil.test/x", "/conversas"),
    ]:
        client.cookies.clear()
        page = await client.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token
        response = await client.post(
            "/login",
            data={
                "email": admin.email,
                "password": ADMIN_PASSWORD,
                "login_csrf": token.group(1),
                "next": target,
            },
        )
        assert response.headers["location"] == expected, target
