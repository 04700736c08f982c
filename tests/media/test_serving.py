"""GET /api/media/{media_id}: types, ranges, caching, names and safety."""

import asyncio
import shutil

import httpx
import pytest

from cenat_hub.media import convert
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.sample_files import jpeg_image, ogg_opus_audio, pdf_document
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, page_login
from tests.media.conftest import RecordingTransport
from tests.media.support import add_file, lead_sends_media, media_file, setup_hub

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
)
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


async def _stored(
    simulator: SimulatorState,
    state: AppState,
    message_type: str,
    data: bytes,
    mime_type: str,
    filename: str | None = None,
) -> str:
    item = add_file(simulator, data, mime_type, filename)
    await lead_sends_media(simulator, state, message_type, item)
    await state.media_downloader.drain()
    return item.media_id


async def test_media_requires_login(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    media_id = await _stored(simulator, state, "image", jpeg_image(), "image/jpeg")

    response = await client.get(f"/api/media/{media_id}")

    assert response.status_code == 401


async def test_image_served_inline_with_headers(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    data = jpeg_image()
    media_id = await _stored(simulator, state, "image", data, "image/jpeg")
    row = await media_file(state, media_id)
    assert row is not None

    response = await client.get(f"/api/media/{media_id}", headers=headers)

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["etag"] == f'"{row.sha256}"'
    assert response.headers["cache-control"].startswith("private")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["accept-ranges"] == "bytes"


async def test_matching_etag_gives_304(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    media_id = await _stored(simulator, state, "image", jpeg_image(), "image/jpeg")
    first = await client.get(f"/api/media/{media_id}", headers=headers)

    second = await client.get(
        f"/api/media/{media_id}",
        headers={**headers, "If-None-Match": first.headers["etag"]},
    )

    assert second.status_code == 304
    assert second.content == b""


async def test_range_request_gives_206(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    data = ogg_opus_audio(seconds=2)
    media_id = await _stored(simulator, state, "audio", data, "audio/ogg; codecs=opus")

    response = await client.get(
        f"/api/media/{media_id}", headers={**headers, "Range": "bytes=10-29"}
    )
    tail = await client.get(
        f"/api/media/{media_id}", headers={**headers, "Range": "bytes=-5"}
    )
    beyond = await client.get(
        f"/api/media/{media_id}",
        headers={**headers, "Range": f"bytes={len(data) + 10}-"},
    )

    assert response.status_code == 206
    assert response.content == data[10:30]
    assert response.headers["content-range"] == f"bytes 10-29/{len(data)}"
    assert response.headers["content-length"] == "20"
    assert response.headers["content-type"] == "audio/ogg"
    assert tail.status_code == 206
    assert tail.content == data[-5:]
    assert beyond.status_code == 416


async def test_traversal_document_name_is_safe(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    data = pdf_document("Senhas")
    media_id = await _stored(
        simulator, state, "document", data, "application/pdf", "../../etc/passwd.pdf"
    )
    row = await media_file(state, media_id)
    assert row is not None
    assert row.path is not None

    response = await client.get(f"/api/media/{media_id}", headers=headers)

    assert "passwd" not in row.path
    assert ".." not in row.path
    stored = (state.settings.media_dir / row.path).resolve()
    assert stored.is_relative_to(state.settings.media_dir.resolve())
    assert stored.read_bytes() == data
    assert response.status_code == 200
    assert response.content == data
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="passwd.pdf"' in disposition
    assert "filename*=UTF-8''passwd.pdf" in disposition
    assert "/" not in disposition
    assert response.headers["content-type"] == "application/pdf"


async def test_accented_document_name_is_encoded(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    media_id = await _stored(
        simulator,
        state,
        "document",
        pdf_document(),
        "application/pdf",
        'ficha de inscrição\u202e"fdp.exe\r\n.pdf',
    )

    response = await client.get(f"/api/media/{media_id}", headers=headers)

    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''ficha%20de%20inscri%C3%A7%C3%A3o%22fdp.exe.pdf" in (
        disposition
    )
    assert 'filename="ficha de inscri__o_fdp.exe.pdf"' in disposition
    assert "\u202e" not in disposition


@pytest.mark.parametrize(
    ("message_type", "data", "mime_type"),
    [
        ("image", SVG, "image/svg+xml"),
        ("document", SVG, "image/svg+xml"),
        ("document", HTML, "text/html"),
        ("document", HTML, "application/xhtml+xml"),
        ("document", b"alert(1)", "application/javascript"),
    ],
    ids=["svg-image", "svg-document", "html", "xhtml", "javascript"],
)
async def test_active_content_never_inline(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    message_type: str,
    data: bytes,
    mime_type: str,
) -> None:
    headers = await setup_hub(client, state)
    media_id = await _stored(simulator, state, message_type, data, mime_type)

    response = await client.get(f"/api/media/{media_id}", headers=headers)

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


@pytest.mark.parametrize("mime_type", ["image/jpeg", "image/jpeg; text/html"])
async def test_html_declared_as_jpeg_is_not_html(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    mime_type: str,
) -> None:
    headers = await setup_hub(client, state)
    media_id = await _stored(simulator, state, "image", HTML, mime_type)

    response = await client.get(f"/api/media/{media_id}", headers=headers)

    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


async def test_pending_file_is_fetched_once(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    headers = await setup_hub(client, state)
    data = jpeg_image()
    item = add_file(simulator, data, "image/jpeg")
    simulator.fail_downloads(item.media_id, 1)
    await state.media_downloader.stop()
    await lead_sends_media(simulator, state, "image", item)
    simulator.fail_downloads(item.media_id, 0)
    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "pending"

    responses = await asyncio.gather(
        *[client.get(f"/api/media/{item.media_id}", headers=headers) for _ in range(5)]
    )

    assert [response.status_code for response in responses] == [200] * 5
    assert all(response.content == data for response in responses)
    assert graph_transport.count("GET", f"/_media/{item.media_id}") == 1
    stored = await media_file(state, item.media_id)
    assert stored is not None
    assert stored.state == "stored"


async def test_failed_file_gives_reason(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    item = add_file(simulator, b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    item.reported_size = 17 * 1024 * 1024
    await lead_sends_media(simulator, state, "video", item)
    await state.media_downloader.drain()

    response = await client.get(f"/api/media/{item.media_id}", headers=headers)

    assert response.status_code == 404
    assert response.json()["code"] == "media_unavailable"
    assert "limite" in response.json()["detail"]


async def test_unknown_media_gives_404(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)

    response = await client.get("/api/media/123456789", headers=headers)

    assert response.status_code == 404


async def test_session_cookie_works(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    media_id = await _stored(simulator, state, "image", jpeg_image(), "image/jpeg")
    await page_login(client, state, "admin@teste.invalid", ADMIN_PASSWORD)

    response = await client.get(f"/api/media/{media_id}")

    assert response.status_code == 200


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed on this machine"
)
async def test_voice_note_converted_to_m4a(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    media_id = await _stored(
        simulator, state, "audio", ogg_opus_audio(), "audio/ogg; codecs=opus"
    )
    row = await media_file(state, media_id)
    assert row is not None and row.sha256 is not None

    first = await client.get(f"/api/media/{media_id}?format=m4a", headers=headers)
    cached = state.media_storage.converted_path(row.sha256, "m4a")
    modified = cached.stat().st_mtime_ns
    second = await client.get(f"/api/media/{media_id}?format=m4a", headers=headers)

    assert first.status_code == 200
    assert first.headers["content-type"] == "audio/mp4"
    assert first.content[4:8] == b"ftyp"
    assert second.content == first.content
    assert cached.stat().st_mtime_ns == modified


async def test_m4a_without_ffmpeg_gives_404(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await setup_hub(client, state)
    media_id = await _stored(
        simulator, state, "audio", ogg_opus_audio(), "audio/ogg; codecs=opus"
    )
    monkeypatch.setattr(convert, "ffmpeg_path", lambda: None)

    response = await client.get(f"/api/media/{media_id}?format=m4a", headers=headers)

    assert response.status_code == 404
    assert "ffmpeg" in response.json()["detail"]
