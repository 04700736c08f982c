import httpx
import pytest
from sqlalchemy import select

from cenat_hub.channels.access import user_channel_ids
from cenat_hub.models import Channel
from cenat_hub.web.security import SESSION_COOKIE, csrf_token_for
from cenat_hub.web.state import AppState
from tests.factories import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    CHANNEL_1,
    CHANNEL_2,
    hidden_field,
    make_agent,
    make_channel,
    make_user,
)


@pytest.fixture
def graph_transport() -> httpx.AsyncBaseTransport:
    """Meta accepting only ``sim-token-1`` for ``GET /{phone_number_id}``."""

    def phone_number(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") == "Bearer sim-token-1":
            return httpx.Response(
                200,
                json={"verified_name": "CENAT <Pós>", "quality_rating": "YELLOW"},
            )
        error = {"message": "Invalid OAuth access token.", "code": 190}
        return httpx.Response(401, json={"error": error})

    return httpx.MockTransport(phone_number)


async def _page_login(client: httpx.AsyncClient, email: str, password: str) -> str:
    """Log in through the form; return the CSRF token of the new session."""
    form = await client.get("/login")
    login_csrf = hidden_field(form.text, "login_csrf")
    response = await client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "next": "/canais",
            "login_csrf": login_csrf,
        },
    )
    assert response.status_code == 303
    session_token = client.cookies[SESSION_COOKIE]
    return csrf_token_for(session_token, "test-jwt-secret-0123456789abcdef")


def _htmx(csrf: str) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": csrf}


async def test_canais_page_for_agent_is_403(
    client: httpx.AsyncClient, state: AppState
) -> None:
    agent = await make_agent(state)
    await _page_login(client, agent.email, AGENT_PASSWORD)
    response = await client.get("/canais", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "administradores" in response.text


async def test_canais_page_lists_channels_without_tokens(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    admin = await make_user(state)
    await _page_login(client, admin.email, ADMIN_PASSWORD)
    async with state.session_factory() as session:
        stored = await session.get(Channel, second.id)
        assert stored is not None
        stored.is_active = False
        await session.commit()

    response = await client.get("/canais")

    assert response.status_code == 200
    assert CHANNEL_1["name"] in response.text
    assert CHANNEL_2["phone_number_id"] in response.text
    assert "Inativo" in response.text
    assert CHANNEL_1["whatsapp_token"] not in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_add_channel_without_csrf_is_403(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = await make_user(state)
    await _page_login(client, admin.email, ADMIN_PASSWORD)
    response = await client.post(
        "/canais", data=CHANNEL_1, headers={"HX-Request": "true"}
    )
    assert response.status_code == 403
    async with state.session_factory() as session:
        assert (await session.execute(select(Channel))).first() is None


async def test_add_channel_with_htmx(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)
    form = {**CHANNEL_1, "name": "<b>Canal</b> novo", "waba_id": ""}

    response = await client.post("/canais", data=form, headers=_htmx(csrf))

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="canais"')
    assert "&lt;b&gt;Canal&lt;/b&gt; novo" in response.text
    assert "<b>Canal</b>" not in response.text
    async with state.session_factory() as session:
        channel = (await session.execute(select(Channel))).scalar_one()
    assert channel.waba_id is None
    assert state.cipher.decrypt(channel.whatsapp_token) == CHANNEL_1["whatsapp_token"]


async def test_add_channel_invalid_fields_shows_error(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)
    form = {**CHANNEL_1, "phone_number_id": "abc", "phone_number": "123"}

    response = await client.post("/canais", data=form, headers=_htmx(csrf))

    assert "Confira estes campos: Número, Phone Number ID." in response.text
    assert 'value="abc"' in response.text


async def test_add_duplicate_channel_shows_error(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)
    response = await client.post("/canais", data=CHANNEL_1, headers=_htmx(csrf))
    assert "Já existe um canal com este Phone Number ID." in response.text


async def test_add_channel_without_htmx_redirects(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)
    response = await client.post("/canais", data={**CHANNEL_1, "csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/canais"


async def test_edit_channel_keeps_token_when_blank(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state, CHANNEL_1)
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)

    form_page = await client.get(f"/canais/{channel.id}/editar", headers=_htmx(csrf))
    response = await client.post(
        f"/canais/{channel.id}",
        data={
            "name": "Comercial",
            "phone_number": "5511900000900",
            "waba_id": "",
            "whatsapp_token": " ",
        },
        headers=_htmx(csrf),
    )

    assert 'name="whatsapp_token"' in form_page.text
    assert "Canal “Comercial” atualizado." in response.text
    async with state.session_factory() as session:
        stored = await session.get(Channel, channel.id)
        assert stored is not None
    assert stored.phone_number == "5511900000900"
    assert stored.waba_id is None
    assert state.cipher.decrypt(stored.whatsapp_token) == CHANNEL_1["whatsapp_token"]


async def test_deactivate_and_activate_from_page(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state, CHANNEL_1)
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)

    off = await client.post(f"/canais/{channel.id}/desativar", headers=_htmx(csrf))
    on = await client.post(f"/canais/{channel.id}/ativar", headers=_htmx(csrf))

    assert "desativado" in off.text
    assert f'action="/canais/{channel.id}/ativar"' in off.text
    assert f'action="/canais/{channel.id}/desativar"' in on.text


async def test_check_button_results(client: httpx.AsyncClient, state: AppState) -> None:
    good = await make_channel(state, CHANNEL_1)
    bad = await make_channel(state, CHANNEL_2)
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)

    ok = await client.post(f"/canais/{good.id}/verificar", headers=_htmx(csrf))
    failed = await client.post(f"/canais/{bad.id}/verificar", headers=_htmx(csrf))

    assert "Token válido." in ok.text
    assert "CENAT &lt;Pós&gt;" in ok.text
    assert "Qualidade: Média." in ok.text
    assert "Token de acesso do canal expirado ou inválido" in failed.text
    assert "(código 190)" in failed.text


async def test_limit_agent_from_page(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first = await make_channel(state, CHANNEL_1)
    await make_channel(state, CHANNEL_2)
    agent = await make_agent(state)
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)

    response = await client.post(
        f"/canais/atendentes/{agent.id}",
        data={"channel_ids": [str(first.id)]},
        headers=_htmx(csrf),
    )

    assert "Acesso do atendente salvo." in response.text
    async with state.session_factory() as session:
        assert await user_channel_ids(session, agent.id) == [first.id]
    cleared = await client.post(f"/canais/atendentes/{agent.id}", headers=_htmx(csrf))
    assert cleared.status_code == 200
    async with state.session_factory() as session:
        assert await user_channel_ids(session, agent.id) == []


@pytest.mark.parametrize("channel_id", ["0", str(2**31), str(2**63)])
async def test_limit_agent_out_of_range_is_422(
    client: httpx.AsyncClient, state: AppState, channel_id: str
) -> None:
    first = await make_channel(state, CHANNEL_1)
    agent = await make_agent(state)
    admin = await make_user(state)
    csrf = await _page_login(client, admin.email, ADMIN_PASSWORD)

    response = await client.post(
        f"/canais/atendentes/{agent.id}",
        data={"channel_ids": [str(first.id), channel_id]},
        headers=_htmx(csrf),
    )

    assert response.status_code == 422
    async with state.session_factory() as session:
        assert await user_channel_ids(session, agent.id) == []
