"""The Motivos de perda page over HTTP: admins add, rename and switch reasons."""

import asyncio
import re

import httpx

from cenat_hub.crm.service import MAX_LOST_REASON_NAME_CHARS
from cenat_hub.web.state import AppState
from tests.factories import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    login,
    make_agent,
    make_user,
    page_login,
)

PAGE = "/funil/motivos"


async def _admin_page_session(client: httpx.AsyncClient, state: AppState) -> str:
    admin = await make_user(state)
    return await page_login(client, state, admin.email, ADMIN_PASSWORD)


async def _reasons_api(client: httpx.AsyncClient) -> list[dict[str, object]]:
    headers = await login(client, "admin@teste.invalid", ADMIN_PASSWORD)
    response = await client.get(
        "/api/lost-reasons", params={"include_inactive": "true"}, headers=headers
    )
    assert response.status_code == 200
    reasons: list[dict[str, object]] = response.json()
    return reasons


def _reason_id(html: str, name: str) -> str:
    match = re.search(
        rf'data-reason-id="(\d+)"[^>]*>\s*<td>.*?value="{re.escape(name)}"',
        html,
        re.S,
    )
    assert match, f"reason {name!r} not on the page"
    return match.group(1)


async def test_admin_adds_renames_and_deactivates(
    client: httpx.AsyncClient, state: AppState
) -> None:
    csrf = await _admin_page_session(client, state)

    added = await client.post(PAGE, data={"csrf_token": csrf, "name": " Preço  "})
    assert added.status_code == 303
    board = await client.get("/funil")
    assert 'href="/funil/motivos"' in board.text
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "Motivos de perda" in page.text
    reason_id = _reason_id(page.text, "Preço")

    renamed = await client.post(
        f"{PAGE}/{reason_id}", data={"csrf_token": csrf, "name": "Preço alto"}
    )
    assert renamed.status_code == 303
    deactivated = await client.post(
        f"{PAGE}/{reason_id}", data={"csrf_token": csrf, "is_active": "false"}
    )
    assert deactivated.status_code == 303

    reasons = await _reasons_api(client)
    assert [(r["name"], r["is_active"]) for r in reasons] == [("Preço alto", False)]
    page = await client.get(PAGE)
    assert "Reativar" in page.text
    assert "Inativo" in page.text

    await client.post(
        f"{PAGE}/{reason_id}", data={"csrf_token": csrf, "is_active": "true"}
    )
    assert (await _reasons_api(client))[0]["is_active"] is True


async def test_duplicate_name_is_rejected_in_portuguese(
    client: httpx.AsyncClient, state: AppState
) -> None:
    csrf = await _admin_page_session(client, state)
    await client.post(PAGE, data={"csrf_token": csrf, "name": "Sem interesse"})

    duplicate = await client.post(
        PAGE, data={"csrf_token": csrf, "name": "sem interesse"}
    )

    assert duplicate.status_code == 409
    assert "Já existe um motivo chamado “sem interesse”." in duplicate.text
    assert 'value="sem interesse"' in duplicate.text
    assert len(await _reasons_api(client)) == 1


async def test_empty_and_long_names_are_rejected(
    client: httpx.AsyncClient, state: AppState
) -> None:
    csrf = await _admin_page_session(client, state)

    empty = await client.post(PAGE, data={"csrf_token": csrf, "name": "   "})
    long_name = "x" * (MAX_LOST_REASON_NAME_CHARS + 1)
    too_long = await client.post(PAGE, data={"csrf_token": csrf, "name": long_name})

    assert empty.status_code == 400
    assert "Digite um nome para o motivo." in empty.text
    assert too_long.status_code == 400
    assert f"no máximo {MAX_LOST_REASON_NAME_CHARS} caracteres" in too_long.text
    assert await _reasons_api(client) == []


async def test_unknown_reason_and_missing_csrf(
    client: httpx.AsyncClient, state: AppState
) -> None:
    csrf = await _admin_page_session(client, state)

    unknown = await client.post(
        f"{PAGE}/999999", data={"csrf_token": csrf, "name": "Outro"}
    )
    forged = await client.post(PAGE, data={"name": "Sem CSRF"})

    assert unknown.status_code == 404
    assert "Este motivo não existe mais." in unknown.text
    assert forged.status_code == 403
    assert await _reasons_api(client) == []


async def test_agent_cannot_open_page(
    client: httpx.AsyncClient, state: AppState
) -> None:
    agent = await make_agent(state)
    csrf = await page_login(client, state, agent.email, AGENT_PASSWORD)

    page = await client.get(PAGE)
    created = await client.post(PAGE, data={"csrf_token": csrf, "name": "Preço"})
    board = await client.get("/funil")

    assert 'href="/funil/motivos"' not in board.text
    assert page.status_code == 403
    assert created.status_code == 403


async def test_page_in_english(client: httpx.AsyncClient, state: AppState) -> None:
    csrf = await _admin_page_session(client, state)
    await client.post("/preferencias/idioma", data={"locale": "en", "csrf_token": csrf})

    page = await client.get(PAGE)

    assert "Lost reasons" in page.text
    assert "Motivos de perda" not in page.text
    duplicate_source = await client.post(PAGE, data={"csrf_token": csrf, "name": "A"})
    assert duplicate_source.status_code == 303
    duplicate = await client.post(PAGE, data={"csrf_token": csrf, "name": "a"})
    assert "A reason named “a” already exists." in duplicate.text


async def test_switch_value_other_than_true_or_false_changes_nothing(
    client: httpx.AsyncClient, state: AppState
) -> None:
    csrf = await _admin_page_session(client, state)
    await client.post(PAGE, data={"csrf_token": csrf, "name": "Sem orçamento"})
    reason_id = _reason_id((await client.get(PAGE)).text, "Sem orçamento")

    for value in ("1", "TRUE", "yes", "on"):
        switched = await client.post(
            f"{PAGE}/{reason_id}", data={"csrf_token": csrf, "is_active": value}
        )
        assert switched.status_code == 400, value
        assert "Sem orçamento" in switched.text

    assert [r["is_active"] for r in await _reasons_api(client)] == [True]


async def test_invisible_characters_and_spacing_do_not_make_a_new_name(
    client: httpx.AsyncClient, state: AppState
) -> None:
    csrf = await _admin_page_session(client, state)
    await client.post(PAGE, data={"csrf_token": csrf, "name": "Sem orçamento"})

    spaced = await client.post(
        PAGE, data={"csrf_token": csrf, "name": "Sem \t  orçamento"}
    )
    hidden = await client.post(
        PAGE, data={"csrf_token": csrf, "name": "Sem orça\u200bmento\u202e"}
    )
    only_controls = await client.post(
        PAGE, data={"csrf_token": csrf, "name": "\x01\x1b\u200b\u202e\x9f"}
    )
    reversed_name = await client.post(
        PAGE, data={"csrf_token": csrf, "name": "\u202ePreço\x85alto"}
    )

    assert spaced.status_code == 409
    assert "Já existe um motivo chamado “Sem orçamento”." in spaced.text
    assert hidden.status_code == 409
    assert only_controls.status_code == 400
    assert "Digite um nome para o motivo." in only_controls.text
    assert reversed_name.status_code == 303
    names = [r["name"] for r in await _reasons_api(client)]
    assert sorted(names) == ["Preço alto", "Sem orçamento"]


async def test_same_name_added_twice_at_once_is_409(
    client: httpx.AsyncClient, state: AppState
) -> None:
    csrf = await _admin_page_session(client, state)

    answers = await asyncio.gather(
        client.post(PAGE, data={"csrf_token": csrf, "name": "Sem retorno"}),
        client.post(PAGE, data={"csrf_token": csrf, "name": "sem retorno"}),
    )

    assert sorted(answer.status_code for answer in answers) == [303, 409]
    assert len(await _reasons_api(client)) == 1
