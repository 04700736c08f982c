"""POST /api/send/media against the simulator: checks, upload, send, our copy."""

import asyncio
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cenat_hub.db.types import utcnow
from cenat_hub.media import convert
from cenat_hub.models import Channel, Conversation
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.simulator.sample_files import (
    jpeg_image,
    mp3_audio,
    mp4_video,
    ogg_opus_audio,
    pdf_document,
    png_image,
)
from cenat_hub.web.security import SESSION_COOKIE, csrf_token_for
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, page_login
from tests.media.support import LEAD, PHONE_NUMBER_ID, media_file, setup_hub

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body>Oi</body></html>"


async def _lead_writes(simulator: SimulatorState, state: AppState) -> None:
    await simulator.lead_sends(
        LeadMessage(phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD, name="Ana Teste")
    )
    await state.webhook_worker.drain()


async def _send(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str,
    data: bytes,
    content_type: str,
    **fields: Any,
) -> httpx.Response:
    form = {"wa_id": LEAD, **{key: str(value) for key, value in fields.items()}}
    return await client.post(
        "/api/send/media",
        headers=headers,
        data=form,
        files={"file": (name, data, content_type)},
    )


async def test_pdf_is_uploaded_and_sent(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    data = pdf_document("Proposta")

    response = await _send(
        client,
        headers,
        "../Proposta comercial.pdf",
        data,
        "application/pdf",
        caption="Segue a proposta",
    )

    assert response.status_code == 200, response.text
    sent = response.json()
    assert sent["status"] == "sent"
    assert sent["message_type"] == "document"
    assert sent["content"] == "Segue a proposta"
    media_id = sent["media"]["id"]
    assert media_id in simulator.media.items
    assert simulator.media.items[media_id].data == data
    assert simulator.media.items[media_id].mime_type == "application/pdf"
    request = simulator.sent_messages[-1]["request"]
    assert request["type"] == "document"
    assert request["document"] == {
        "id": media_id,
        "caption": "Segue a proposta",
        "filename": "Proposta comercial.pdf",
    }
    assert sent["media"]["filename"] == "Proposta comercial.pdf"
    assert sent["media"]["state"] == "stored"
    copy = await client.get(f"/api/media/{media_id}", headers=headers)
    assert copy.content == data
    assert "Proposta%20comercial.pdf" in copy.headers["content-disposition"]


async def test_image_with_caption(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)

    response = await _send(
        client, headers, "foto.png", png_image(), "image/png", caption="Folder"
    )

    assert response.json()["status"] == "sent"
    request = simulator.sent_messages[-1]["request"]
    assert request["type"] == "image"
    assert request["image"]["caption"] == "Folder"
    assert "filename" not in request["image"]


async def test_audio_drops_caption(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)

    response = await _send(
        client, headers, "aula.mp3", mp3_audio(), "audio/mpeg", caption="Ouça"
    )

    assert response.json()["status"] == "sent"
    request = simulator.sent_messages[-1]["request"]
    assert request["type"] == "audio"
    assert set(request["audio"]) == {"id"}


async def test_type_from_content_not_declared(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)

    response = await _send(client, headers, "foto.pdf", jpeg_image(), "application/pdf")

    assert response.json()["message_type"] == "image"
    media_id = response.json()["media"]["id"]
    assert simulator.media.items[media_id].mime_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        ("logo.svg", SVG, "image/svg+xml", "SVG não são aceitos"),
        ("logo.png", SVG, "image/png", "SVG não são aceitos"),
        ("pagina.html", HTML, "text/html", "HTML não são aceitos"),
        ("pagina.txt", HTML, "text/plain", "HTML não são aceitos"),
        ("anim.gif", b"GIF89a" + bytes(20), "image/gif", "GIF não são aceitas"),
        ("vazio.pdf", b"", "application/pdf", "vazio"),
        (
            "app.exe",
            b"MZ\x90\x00" + bytes(100),
            "application/x-msdownload",
            "não é aceito",
        ),
    ],
    ids=["svg", "svg-as-png", "html", "html-as-text", "gif", "empty", "exe"],
)
async def test_rejected_file_types(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    name: str,
    data: bytes,
    content_type: str,
    message: str,
) -> None:
    headers = await _setup(client, state, simulator)

    response = await _send(client, headers, name, data, content_type)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert simulator.media.items == {}
    assert simulator.sent_messages == []


async def test_video_over_16_mb_is_rejected(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    data = mp4_video() + bytes(16 * 1024 * 1024)

    response = await _send(client, headers, "aula.mp4", data, "video/mp4")

    assert response.status_code == 400
    assert response.json()["detail"] == "O vídeo passa do limite de 16 MB do WhatsApp."
    assert simulator.sent_messages == []


async def test_image_over_5_mb_is_rejected(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    data = jpeg_image() + bytes(5 * 1024 * 1024)

    response = await _send(client, headers, "foto.jpg", data, "image/jpeg")

    assert response.status_code == 400
    assert response.json()["detail"] == "A imagem passa do limite de 5 MB do WhatsApp."


async def test_closed_window_uploads_nothing(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    async with state.session_factory() as session:
        await session.execute(
            update(Conversation).values(last_inbound_at=utcnow() - timedelta(hours=25))
        )
        await session.commit()

    response = await _send(client, headers, "a.pdf", pdf_document(), "application/pdf")

    assert response.status_code == 409
    assert response.json()["code"] == "window_closed"
    assert simulator.media.items == {}
    assert list(state.settings.media_dir.rglob("*.*")) == []


async def test_text_file_sent_as_document(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    text = "Lista de documentos da matrícula\n".encode() * 10

    response = await _send(client, headers, "lista.txt", text, "text/plain")
    sent = response.json()

    assert sent["status"] == "sent"
    assert sent["message_type"] == "document"
    request = simulator.sent_messages[-1]["request"]
    assert request["document"]["filename"] == "lista.txt"


async def test_rejected_upload_is_stored_as_failed(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    async with state.session_factory() as session:
        await session.execute(
            update(Channel).values(whatsapp_token=state.cipher.encrypt("revoked"))
        )
        await session.commit()

    response = await _send(client, headers, "a.pdf", pdf_document(), "application/pdf")

    sent = response.json()
    assert sent["status"] == "failed"
    assert sent["error"]["code"] == 190
    assert sent["media"]["id"].startswith("local-")
    assert sent["media"]["state"] == "stored"
    assert simulator.sent_messages == []
    copy = await client.get(f"/api/media/{sent['media']['id']}", headers=headers)
    assert copy.status_code == 200


async def test_same_client_message_id_sends_once(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)

    responses = await asyncio.gather(
        *[
            _send(
                client,
                headers,
                "foto.jpg",
                jpeg_image(),
                "image/jpeg",
                client_message_id="media-click-0001",
            )
            for _ in range(3)
        ]
    )

    assert {response.status_code for response in responses} == {200}
    assert len({response.json()["id"] for response in responses}) == 1
    assert len(simulator.sent_messages) == 1


async def test_cookie_session_needs_csrf_header(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await _setup(client, state, simulator)
    await page_login(client, state, "admin@teste.invalid", ADMIN_PASSWORD)
    session_token = client.cookies.get(SESSION_COOKIE) or ""
    secret = state.settings.jwt_secret.get_secret_value()
    token = csrf_token_for(session_token, secret)

    without = await _send(client, {}, "a.pdf", pdf_document(), "application/pdf")
    wrong = await _send(
        client, {"X-CSRF-Token": "0" * 64}, "a.pdf", pdf_document(), "application/pdf"
    )
    assert simulator.sent_messages == []
    with_token = await _send(
        client, {"X-CSRF-Token": token}, "a.pdf", pdf_document(), "application/pdf"
    )

    assert without.status_code == 403
    assert wrong.status_code == 403
    assert with_token.status_code == 200
    assert with_token.json()["status"] == "sent"


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed on this machine"
)
async def test_browser_recording_sent_as_voice_note(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    tmp_path: Path,
) -> None:
    headers = await _setup(client, state, simulator)
    recording = _webm_recording(tmp_path)

    response = await _send(
        client, headers, "gravacao.webm", recording, "audio/webm", voice="true"
    )

    assert response.status_code == 200, response.text
    sent = response.json()
    assert sent["message_type"] == "audio"
    assert sent["media"]["voice"] is True
    uploaded = simulator.media.items[sent["media"]["id"]]
    assert uploaded.mime_type == "audio/ogg; codecs=opus"
    assert uploaded.data.startswith(b"OggS")
    assert b"OpusHead" in uploaded.data[:100]
    request = simulator.sent_messages[-1]["request"]
    assert request["audio"] == {"id": sent["media"]["id"], "voice": True}


async def test_recording_without_ffmpeg_is_rejected(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await _setup(client, state, simulator)
    webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(64)
    monkeypatch.setattr(convert, "ffmpeg_path", lambda: None)

    response = await _send(
        client, headers, "gravacao.webm", webm, "audio/webm", voice="true"
    )

    assert response.status_code == 400
    assert "ffmpeg" in response.json()["detail"]
    assert simulator.sent_messages == []


async def test_ogg_voice_note_is_sent_as_is(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    data = ogg_opus_audio()

    response = await _send(client, headers, "voz.ogg", data, "audio/ogg", voice="true")

    uploaded = simulator.media.items[response.json()["media"]["id"]]
    assert uploaded.data == data
    assert simulator.sent_messages[-1]["request"]["audio"]["voice"] is True


async def test_outbound_copy_is_kept(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)
    data = jpeg_image()

    sent = (await _send(client, headers, "foto.jpg", data, "image/jpeg")).json()

    row = await media_file(state, sent["media"]["id"])
    assert row is not None
    assert row.state == "stored"
    assert row.message_id == sent["id"]
    assert (state.settings.media_dir / (row.path or "")).read_bytes() == data


async def _setup(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> dict[str, str]:
    headers = await setup_hub(client, state)
    await _lead_writes(simulator, state)
    return headers


def _webm_recording(folder: Path) -> bytes:
    """Remux the simulator's Ogg Opus sample into WebM, as a browser records it."""
    source = folder / "voz.ogg"
    target = folder / "voz.webm"
    source.write_bytes(ogg_opus_audio())
    subprocess.run(  # noqa: S603 - fixed arguments, test files only
        [
            shutil.which("ffmpeg") or "ffmpeg",
            *("-nostdin", "-loglevel", "error", "-y", "-i", str(source)),
            *("-c:a", "copy", str(target)),
        ],
        check=True,
    )
    return target.read_bytes()


async def _streamed_upload(
    client: httpx.AsyncClient, headers: dict[str, str], total: int
) -> tuple[httpx.Response, int]:
    """Post a multipart body announcing ``total`` bytes, sent in 1 MiB chunks;
    return the answer and how many bytes the hub read."""
    boundary = "limite-de-teste"
    start = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="wa_id"\r\n\r\n{LEAD}\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="grande.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    end = f"\r\n--{boundary}--\r\n".encode()
    chunk = bytes(1024 * 1024)
    filler = total - len(start) - len(end)
    read = 0

    async def body() -> Any:
        nonlocal read
        read += len(start)
        yield start
        sent = 0
        while sent < filler:
            piece = chunk[: filler - sent]
            sent += len(piece)
            read += len(piece)
            yield piece
        read += len(end)
        yield end

    response = await client.post(
        "/api/send/media",
        headers={
            **headers,
            "content-type": f"multipart/form-data; boundary={boundary}",
            "content-length": str(total),
        },
        content=body(),
    )
    return response, read


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "admin"])
async def test_oversized_upload_rejected_unread(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    signed_in: bool,
) -> None:
    headers = await _setup(client, state, simulator)
    total = 120 * 1024 * 1024

    response, read = await _streamed_upload(client, headers if signed_in else {}, total)

    assert response.status_code == 413
    assert "100 MB" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert read < 2 * 1024 * 1024
    assert not list(state.settings.media_dir.rglob("*.pdf"))
    assert simulator.sent_messages == []


@pytest.mark.parametrize("channel_id", ["0", str(2**31), str(2**63)])
async def test_channel_id_out_of_range_is_400(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    channel_id: str,
) -> None:
    headers = await _setup(client, state, simulator)

    response = await _send(
        client,
        headers,
        "ficha.pdf",
        pdf_document(),
        "application/pdf",
        channel_id=channel_id,
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Invalid send request")
    assert simulator.sent_messages == []


async def test_caption_with_nul_is_400(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state, simulator)

    response = await _send(
        client,
        headers,
        "ficha.pdf",
        pdf_document(),
        "application/pdf",
        caption="Ficha\x00 de inscrição",
    )

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert simulator.sent_messages == []
