"""A NUL character in the address is bad input, not a 500 from PostgreSQL."""

import httpx
import pytest

from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, login, make_channel, make_user, page_login

API_URLS = [
    "/api/contacts/5511900000001%00",
    "/api/contacts/5511900000001%00/history",
    "/api/contacts?search=ana%00",
]
PAGE_URLS = [
    "/crm/panel/5511900000001%00",
    "/funil/cards/5511900000001%00",
    "/funil?search=ana%00",
    "/conversas?q=ana%00",
    "/conversas/lista?channel_id=1&q=ana%00",
    "/nova-conversa?wa_id=5511%00",
]


@pytest.mark.parametrize("url", API_URLS)
async def test_api_address_with_nul_is_400(
    client: httpx.AsyncClient, state: AppState, url: str
) -> None:
    await make_channel(state)
    admin = await make_user(state)
    headers = await login(client, admin.email, ADMIN_PASSWORD)

    response = await client.get(url, headers=headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("url", PAGE_URLS)
async def test_page_address_with_nul_is_400(
    client: httpx.AsyncClient, state: AppState, url: str
) -> None:
    await make_channel(state)
    admin = await make_user(state)
    await page_login(client, state, admin.email, ADMIN_PASSWORD)

    response = await client.get(url, headers={"HX-Request": "true"})

    assert response.status_code == 400


async def test_percent_sign_alone_is_still_accepted(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    admin = await make_user(state)
    headers = await login(client, admin.email, ADMIN_PASSWORD)

    response = await client.get(
        "/api/contacts", params={"search": "100%"}, headers=headers
    )

    assert response.status_code == 200
