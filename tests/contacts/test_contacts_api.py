import httpx

from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    CHANNEL_2,
    login,
    make_channel,
    make_user,
    text_message_payload,
)


async def _setup(client: httpx.AsyncClient, state: AppState) -> dict[str, str]:
    await make_channel(state)
    await make_channel(state, CHANNEL_2)
    user = await make_user(state)
    headers = await login(client, user.email, "senha-de-teste-admin")
    await post_webhook(
        client,
        text_message_payload(
            wamid="wamid.C1", wa_id="5511900000001", name="João Teste"
        ),
        state,
    )
    await post_webhook(
        client,
        text_message_payload(
            wamid="wamid.C2",
            wa_id="5511900000002",
            name="Bruno Teste",
            phone_number_id=CHANNEL_2["phone_number_id"],
            timestamp=1767225700,
        ),
        state,
    )
    return headers


async def test_list_orders_by_latest_activity(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await _setup(client, state)
    contacts = (await client.get("/api/contacts", headers=headers)).json()
    assert [c["wa_id"] for c in contacts] == ["5511900000002", "5511900000001"]
    assert contacts[0]["last_message_preview"] == "Olá, quero saber da pós"
    assert contacts[0]["unread_count"] == 1


async def test_list_filters_by_channel(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await _setup(client, state)
    response = await client.get(
        "/api/contacts", params={"channel_id": 2}, headers=headers
    )
    assert [c["wa_id"] for c in response.json()] == ["5511900000002"]


async def test_search_by_name_and_number(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await _setup(client, state)
    by_name = await client.get(
        "/api/contacts", params={"search": "bruno"}, headers=headers
    )
    assert [c["wa_id"] for c in by_name.json()] == ["5511900000002"]
    by_number = await client.get(
        "/api/contacts", params={"search": "(11) 90000-0001"}, headers=headers
    )
    assert [c["wa_id"] for c in by_number.json()] == ["5511900000001"]
    wildcard = await client.get(
        "/api/contacts", params={"search": "%"}, headers=headers
    )
    assert wildcard.json() == []


async def test_invalid_status_filter_names_value(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await _setup(client, state)
    response = await client.get(
        "/api/contacts", params={"status": "ganho"}, headers=headers
    )
    assert response.status_code == 400
    assert "'ganho'" in response.json()["detail"]


async def test_detail_accepts_old_brazilian_form(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await _setup(client, state)
    response = await client.get("/api/contacts/551100000001", headers=headers)
    assert response.status_code == 200
    detail = response.json()
    assert detail["wa_id"] == "5511900000001"
    assert detail["name"] == "João Teste"
    assert detail["conversations"][0]["window_open"] in (True, False)


async def test_unknown_contact_is_404_with_id(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await _setup(client, state)
    response = await client.get("/api/contacts/5511900000099", headers=headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "Contact 5511900000099 not found."


async def test_history_pages_backwards(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await _setup(client, state)
    for index in range(5):
        payload = text_message_payload(
            wamid=f"wamid.H{index}", body=f"msg {index}", timestamp=1767226000 + index
        )
        await post_webhook(client, payload, state)
    first = (
        await client.get(
            "/api/messages/5511900000001", params={"limit": 3}, headers=headers
        )
    ).json()
    assert [m["content"] for m in first] == ["msg 2", "msg 3", "msg 4"]
    older = (
        await client.get(
            "/api/messages/5511900000001",
            params={"limit": 3, "before_id": first[0]["id"]},
            headers=headers,
        )
    ).json()
    assert [m["content"] for m in older] == [
        "Olá, quero saber da pós",
        "msg 0",
        "msg 1",
    ]


async def test_responses_carry_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id\n"})
    assert len(generated.headers["x-request-id"]) == 32
