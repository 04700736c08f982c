import httpx

from cenat_hub.web.security import CSRF_HEADER, SESSION_COOKIE, csrf_token_for
from cenat_hub.web.state import AppState
from tests.crm.helpers import make_contact
from tests.factories import ADMIN_PASSWORD, hidden_field, make_user


async def _log_in_with_cookie(client: httpx.AsyncClient) -> str:
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": "admin@teste.invalid",
            "password": ADMIN_PASSWORD,
            "login_csrf": hidden_field(form.text, "login_csrf"),
        },
    )
    assert response.status_code == 303
    return client.cookies[SESSION_COOKIE]


async def test_cookie_session_needs_csrf_header_for_changes(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_user(state)
    await make_contact(state)
    session_token = await _log_in_with_cookie(client)
    secret = state.settings.jwt_secret.get_secret_value()

    read = await client.get("/api/contacts/5511900000001")
    missing = await client.patch(
        "/api/contacts/5511900000001/status", json={"lead_status": "contato"}
    )
    wrong = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "contato"},
        headers={CSRF_HEADER: "0" * 64},
    )
    right = await client.patch(
        "/api/contacts/5511900000001/status",
        json={"lead_status": "contato"},
        headers={CSRF_HEADER: csrf_token_for(session_token, secret)},
    )

    assert read.status_code == 200
    assert missing.status_code == 403
    assert CSRF_HEADER in missing.json()["detail"]
    assert wrong.status_code == 403
    assert right.status_code == 200
    assert right.json()["lead_status"] == "contato"
