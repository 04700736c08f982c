"""``contacts.reached_statuses`` follows every status write, and the funnel
read from it equals the former query's."""

import random
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from cenat_hub.contacts.identity import IdentityClaims, find_or_create_contact
from cenat_hub.crm import service as crm_service
from cenat_hub.dashboard import queries
from cenat_hub.dashboard.period import build_period
from cenat_hub.dashboard.service import _funnel
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import Contact, LeadEvent
from cenat_hub.models.contact import LEAD_STATUSES, NOVO_BIT, status_bit
from cenat_hub.web.security import CSRF_HEADER
from cenat_hub.web.state import AppState
from tests.crm.helpers import admin_headers, make_contact, make_lost_reason
from tests.dashboard.dataset import NOW, build_dataset
from tests.dashboard.funnel_reference import (
    old_statuses_reached,
    recomputed_reached,
    stored_reached,
)
from tests.factories import ADMIN_PASSWORD, page_login

LEAD = "5511900000001"
IMPORTED = "5511900000005"
SAO_PAULO = "America/Sao_Paulo"


async def _assert_stored_matches_events(state: AppState, step: str) -> None:
    async with state.session_factory() as session:
        stored = await stored_reached(session)
        recomputed = await recomputed_reached(session)
    assert stored == recomputed, step


async def _reached_of(state: AppState, wa_id: str) -> set[str]:
    async with state.session_factory() as session:
        bits = (
            await session.execute(
                select(Contact.reached_statuses).where(Contact.wa_id == wa_id)
            )
        ).scalar_one()
    return {status for status in LEAD_STATUSES if bits & status_bit(status)}


async def _assert_funnel_matches_old_query(
    state: AppState, days: int, scope: set[int] | None
) -> None:
    period = build_period(days, SAO_PAULO, NOW)
    async with state.session_factory() as session:
        size, reached = await queries.statuses_reached(session, scope, period)
        old_size, old_reached = await old_statuses_reached(session, scope, period)
    assert size == old_size
    assert _funnel(size, reached) == _funnel(old_size, old_reached)
    for status in LEAD_STATUSES:
        if status == "novo":
            # Every lead starts as novo. The former query counted only the
            # leads whose status or events set it, and the funnel showed the
            # cohort size instead.
            assert reached.get(status, 0) == size
        else:
            assert reached.get(status, 0) == old_reached.get(status, 0), status


async def test_write_paths_keep_reached_statuses(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    await make_contact(state, LEAD)
    reason_id = await make_lost_reason(state, "Preço")
    await _assert_stored_matches_events(state, "new lead")
    assert await _reached_of(state, LEAD) == {"novo"}

    response = await client.patch(
        f"/api/contacts/{LEAD}/status", json={"lead_status": "contato"}, headers=headers
    )
    assert response.status_code == 200, response.text
    await _assert_stored_matches_events(state, "API")
    assert await _reached_of(state, LEAD) == {"novo", "contato"}

    csrf = await page_login(client, state, "admin@teste.invalid", ADMIN_PASSWORD)
    moved = await client.post(
        f"/funil/cards/{LEAD}/status",
        data={"lead_status": "qualificado"},
        headers={CSRF_HEADER: csrf},
    )
    assert moved.status_code == 200, moved.text
    await _assert_stored_matches_events(state, "Funil move")
    assert await _reached_of(state, LEAD) == {"novo", "contato", "qualificado"}

    lost = await client.patch(
        f"/api/contacts/{LEAD}/status",
        json={"lead_status": "perdido", "lost_reason_id": reason_id},
        headers=headers,
    )
    assert lost.status_code == 200, lost.text
    await _assert_stored_matches_events(state, "lost with reason")
    assert "perdido" in await _reached_of(state, LEAD)

    back = await client.patch(
        f"/api/contacts/{LEAD}/status", json={"lead_status": "contato"}, headers=headers
    )
    assert back.status_code == 200, back.text
    await _assert_stored_matches_events(state, "back to an earlier status")
    assert await _reached_of(state, LEAD) == {
        "novo",
        "contato",
        "qualificado",
        "perdido",
    }

    upload = (
        "nome;telefone;status;motivo_perda\n"
        "Ana Teste;11 90000-0001;Matriculado;\n"
        "Eva Teste;11 90000-0005;Perdido;Sem verba\n"
    )
    imported = await client.post(
        "/api/contacts/import",
        files={"file": ("leads.csv", upload.encode(), "text/csv")},
        headers=headers,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["rejected"] == []
    await _assert_stored_matches_events(state, "import")
    assert "matriculado" in await _reached_of(state, LEAD)
    assert await _reached_of(state, IMPORTED) == {"novo", "perdido"}


async def test_changes_in_one_flush_keep_every_bit(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        contact = await find_or_create_contact(
            session, IdentityClaims(phone=LEAD, name="Ana Teste"), channel_id=None
        )
        assert contact is not None
        for status in ("contato", "matriculado"):
            await crm_service.set_status(session, None, contact, status)

    await _assert_stored_matches_events(state, "two changes before a flush")
    assert await _reached_of(state, LEAD) == {"novo", "contato", "matriculado"}


async def test_new_contact_objects_start_from_novo(state: AppState) -> None:
    async with unit_of_work(state.session_factory) as session:
        session.add(Contact(wa_id="5511900000002"))
        session.add(Contact(wa_id="5511900000003", lead_status="qualificado"))

    assert await _reached_of(state, "5511900000002") == {"novo"}
    assert await _reached_of(state, "5511900000003") == {"novo", "qualificado"}


async def test_status_bits_ignore_unknown_status() -> None:
    assert status_bit("novo") == NOVO_BIT == 1
    assert status_bit("perdido") == 16
    assert status_bit("arquivado") == 0
    assert status_bit(None) == 0


@pytest.mark.parametrize("days", [7, 30, 90])
async def test_dataset_funnel_matches_old_query(state: AppState, days: int) -> None:
    async with unit_of_work(state.session_factory) as session:
        dataset = await build_dataset(session)

    await _assert_stored_matches_events(state, "dataset")
    for scope in (None, {dataset.channel_a}, {dataset.channel_b}, set()):
        await _assert_funnel_matches_old_query(state, days, scope)


async def test_random_histories_match_old_query(state: AppState) -> None:
    """Random status histories, including an unknown status in an old event."""
    rng = random.Random(7)
    async with unit_of_work(state.session_factory) as session:
        for number in range(60):
            contact = await find_or_create_contact(
                session,
                IdentityClaims(phone=f"55119000{number:05d}", name="Ana Teste"),
                channel_id=None,
            )
            assert contact is not None
            contact.created_at = NOW - timedelta(days=rng.uniform(0, 40))
            for _ in range(rng.randint(0, 4)):
                status = rng.choice(LEAD_STATUSES)
                text = "Sem verba" if status == "perdido" else None
                await crm_service.set_status(
                    session, None, contact, status, lost_reason_text=text
                )
        session.add(
            LeadEvent(
                contact_id=contact.id,
                kind=queries.EVENT_STATUS_CHANGED,
                old_value={"lead_status": "novo"},
                new_value={"lead_status": "arquivado"},
            )
        )

    await _assert_stored_matches_events(state, "random histories")
    for days in (7, 30, 90):
        await _assert_funnel_matches_old_query(state, days, None)
