"""Media bubbles on the Conversas page: stored files, downloads in progress and
failed downloads."""

import hashlib
import re

import httpx
from sqlalchemy import select

from cenat_hub.models import Conversation
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.simulator.sample_files import pdf_document
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, page_login
from tests.media.support import (
    LEAD,
    PHONE_NUMBER_ID,
    add_file,
    lead_sends_media,
    setup_hub,
)

HX = {"HX-Request": "true"}


async def _chat(client: httpx.AsyncClient, state: AppState) -> str:
    async with state.session_factory() as session:
        conversation_id = (await session.execute(select(Conversation.id))).scalar_one()
    response = await client.get(f"/conversas/{conversation_id}", headers=HX)
    assert response.status_code == 200, response.text
    return response.text


async def test_stored_media_uses_the_macro(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    document = add_file(
        simulator,
        pdf_document("Contrato"),
        "application/pdf",
        '../Contrato "final" <v2>.pdf',
    )
    await simulator.lead_sends(
        LeadMessage(
            phone_number_id=PHONE_NUMBER_ID,
            wa_id=LEAD,
            name="Ana Teste",
            type="image",
            caption="<b>Foto</b>",
        )
    )
    await lead_sends_media(simulator, state, "document", document)
    await state.media_downloader.drain()
    await page_login(client, state, "admin@teste.invalid", ADMIN_PASSWORD)

    html = await _chat(client, state)

    image = re.search(r'<img src="(/api/media/[^"]+)"', html)
    assert image is not None
    assert f'data-media-viewer="{image.group(1)}"' in html
    assert (await client.get(image.group(1))).content[:2] == b"\xff\xd8"
    assert '<p class="media-caption">&lt;b&gt;Foto&lt;/b&gt;</p>' in html
    assert "<b>Foto</b>" not in html
    link = re.search(
        r'<a class="media-document" href="([^"]+)" download="([^"]+)"', html
    )
    assert link is not None
    assert link.group(1) == f"/api/media/{document.media_id}"
    assert "/" not in link.group(2)
    assert "<" not in link.group(2)
    assert link.group(2).endswith(".pdf")
    assert 'class="media-document-size"' in html
    assert "media-pending" not in html
    assert "media-failed" not in html


async def test_download_states_are_shown(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    boleto = add_file(
        simulator, pdf_document("Boleto"), "application/pdf", "Boleto.pdf"
    )
    # A digest that never matches keeps the download pending between retries.
    wrong_digest = hashlib.sha256(b"other bytes").hexdigest()
    await lead_sends_media(simulator, state, "document", boleto, sha256=wrong_digest)
    video = add_file(simulator, b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    video.reported_size = 200 * 1024 * 1024
    await lead_sends_media(simulator, state, "video", video)
    await state.media_downloader.drain()
    await page_login(client, state, "admin@teste.invalid", ADMIN_PASSWORD)

    html = await _chat(client, state)

    pending, failed = html.split('id="msg-')[1:]
    assert 'class="media-status media-pending"' in pending
    assert '<span class="media-name">Boleto.pdf</span>' in pending
    assert "/api/media/" not in pending
    assert 'class="media-status media-failed"' in failed
    assert "limite" in failed
    assert "<video" not in failed
