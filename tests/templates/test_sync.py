"""GET /api/channels/{id}/templates: listing from the simulator, the cache, and
status webhooks."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from cenat_hub.db.types import utcnow
from cenat_hub.models import MessageTemplate
from cenat_hub.simulator import SimulatorState, default_templates
from cenat_hub.templates import sync
from cenat_hub.web.state import AppState
from tests.factories import CHANNEL_2, make_channel
from tests.templates.support import WABA_ID, Hub, list_templates, setup_hub


async def _cached(state: AppState) -> list[MessageTemplate]:
    async with state.session_factory() as session:
        statement = select(MessageTemplate).order_by(MessageTemplate.name)
        return list((await session.execute(statement)).scalars())


async def _expire(state: AppState, minutes: int = 16) -> None:
    async with state.session_factory() as session:
        await session.execute(
            update(MessageTemplate).values(
                fetched_at=utcnow() - timedelta(minutes=minutes)
            )
        )
        await session.commit()


@pytest.fixture
async def hub(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> Hub:
    return await setup_hub(client, state)


async def test_lists_only_approved_and_caches_all(hub: Hub, state: AppState) -> None:
    response = await list_templates(hub)

    assert response.status_code == 200, response.text
    listed = response.json()
    everything = default_templates(WABA_ID)
    approved = [t for t in everything if t["status"] == "APPROVED"]
    assert len(listed) == len(approved)
    assert {t["status"] for t in listed} == {"APPROVED"}
    cached = await _cached(state)
    assert len(cached) == len(everything)
    statuses = {t.name: t.status for t in cached}
    assert statuses["pesquisa_satisfacao"] == "PAUSED"
    assert statuses["oferta_relampago"] == "REJECTED"
    assert statuses["aviso_antigo"] == "DISABLED"


async def test_listing_describes_fields(hub: Hub) -> None:
    listed = (await list_templates(hub)).json()
    welcome = next(t for t in listed if t["name"] == "boas_vindas_curso")

    assert welcome["parameter_format"] == "NAMED"
    assert welcome["header"] == {"format": "IMAGE", "text": None}
    assert welcome["footer"] == "CENAT - Educação em Saúde Mental"
    assert welcome["supported"] is True
    fields = {field["key"]: field for field in welcome["fields"]}
    assert list(fields) == ["header.media", "body.customer_name", "body.course_name"]
    assert fields["body.customer_name"]["placeholder"] == "Ana"
    assert fields["body.customer_name"]["label"] == "Mensagem {{customer_name}}"
    assert fields["header.media"]["kind"] == "media_link"
    assert welcome["buttons"][0]["type"] == "URL"


async def test_follows_every_page(
    hub: Hub, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "PAGE_SIZE", 4)
    monkeypatch.setattr(sync.fetch_templates, "__defaults__", (4,))

    response = await list_templates(hub)

    assert response.status_code == 200
    assert len(await _cached(state)) == len(default_templates(WABA_ID))


async def test_fresh_cache_is_not_listed_again(
    hub: Hub, simulator: SimulatorState
) -> None:
    await list_templates(hub)
    await simulator.set_template_status(
        WABA_ID, "lembrete_aula", "pt_BR", "PAUSED", notify=False
    )

    cached = [t["name"] for t in (await list_templates(hub)).json()]
    refreshed = [t["name"] for t in (await list_templates(hub, refresh="true")).json()]

    assert "lembrete_aula" in cached
    assert "lembrete_aula" not in refreshed


async def test_stale_cache_is_listed_again(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    await list_templates(hub)
    await simulator.set_template_status(
        WABA_ID, "lembrete_aula", "pt_BR", "DISABLED", notify=False
    )
    await _expire(state)

    names = [t["name"] for t in (await list_templates(hub)).json()]

    assert "lembrete_aula" not in names
    cached = {t.name: t for t in await _cached(state)}
    assert cached["lembrete_aula"].status == "DISABLED"
    assert utcnow() - cached["lembrete_aula"].fetched_at < timedelta(minutes=1)


async def test_template_gone_from_meta_is_removed(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    await list_templates(hub)
    simulator.config.templates.remove(
        simulator.template(WABA_ID, "aviso_turma_20", "pt_BR")
    )

    await list_templates(hub, refresh="true")

    names = {t.name for t in await _cached(state)}
    assert "aviso_turma_20" not in names
    assert "aviso_turma_19" in names


async def test_meta_failure_serves_stale_cache(
    hub: Hub, state: AppState, client: httpx.AsyncClient
) -> None:
    await list_templates(hub)
    await _expire(state)
    broken = await make_channel(
        state, {**CHANNEL_2, "whatsapp_token": "token-revogado"}
    )
    path = f"/api/channels/{broken.id}/templates"

    stale = await client.get(path, headers=hub.headers)
    forced = await client.get(path, params={"refresh": "true"}, headers=hub.headers)

    assert stale.status_code == 200
    assert len(stale.json()) > 0
    assert forced.status_code == 502
    assert forced.json()["details"]["meta_code"] == 190
    assert "token" in forced.json()["details"]["explanation"]


async def test_meta_failure_without_cache_is_502(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    hub = await setup_hub(client, state)
    broken = await make_channel(
        state, {**CHANNEL_2, "whatsapp_token": "token-revogado"}
    )

    response = await client.get(
        f"/api/channels/{broken.id}/templates", headers=hub.headers
    )

    assert response.status_code == 502
    assert await _cached(state) == []


async def test_channel_without_waba_is_409(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    hub = await setup_hub(client, state)
    channel = await make_channel(state, {**CHANNEL_2, "waba_id": None})

    response = await client.get(
        f"/api/channels/{channel.id}/templates", headers=hub.headers
    )

    assert response.status_code == 409
    assert "waba_id" in response.json()["detail"]


async def test_unknown_channel_is_404(hub: Hub, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/channels/999/templates", headers=hub.headers)

    assert response.status_code == 404


async def test_listing_needs_login(hub: Hub, client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/channels/{hub.channel_id}/templates")

    assert response.status_code == 401


async def test_status_webhook_updates_cache(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    await list_templates(hub)

    await simulator.set_template_status(
        WABA_ID, "cupom_matricula", "pt_BR", "PAUSED", reason="LOW_QUALITY"
    )
    await state.webhook_worker.drain()

    cached = {t.name: t for t in await _cached(state)}
    assert cached["cupom_matricula"].status == "PAUSED"
    names = [t["name"] for t in (await list_templates(hub)).json()]
    assert "cupom_matricula" not in names

    await simulator.set_template_status(
        WABA_ID, "cupom_matricula", "pt_BR", "REINSTATED"
    )
    await state.webhook_worker.drain()

    names = [t["name"] for t in (await list_templates(hub)).json()]
    assert "cupom_matricula" in names


async def test_status_webhook_for_unknown_template(
    hub: Hub, state: AppState, simulator: SimulatorState
) -> None:
    await simulator.set_template_status(WABA_ID, "lembrete_aula", "pt_BR", "PAUSED")
    await state.webhook_worker.drain()

    assert await _cached(state) == []
