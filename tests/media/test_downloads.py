"""Inbound media downloads: stored at once, retried, renewed, resumed, refused."""

import asyncio
import hashlib
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from cenat_hub.db.types import utcnow
from cenat_hub.media.downloader import MediaDownloader
from cenat_hub.models import MediaFile
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.sample_files import jpeg_image, png_image
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import text_message_payload
from tests.media.conftest import RecordingTransport
from tests.media.support import (
    LEAD,
    add_file,
    lead_sends_media,
    media_file,
    message_by_wamid,
    setup_hub,
    stored_files,
    wait_for_state,
)


async def test_image_is_stored_by_sha256(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await setup_hub(client, state)
    item = add_file(simulator, jpeg_image(), "image/jpeg")

    wamid = await lead_sends_media(simulator, state, "image", item, caption="Foto")
    await state.media_downloader.drain()

    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "stored"
    digest = hashlib.sha256(item.data).hexdigest()
    assert row.sha256 == digest
    assert row.file_size == len(item.data)
    assert row.path == f"{digest[:2]}/{digest[2:4]}/{digest}"
    on_disk = state.settings.media_dir / row.path
    assert on_disk.read_bytes() == item.data
    message = await message_by_wamid(state, wamid)
    assert row.message_id == message.id
    history = (await client.get(f"/api/messages/{LEAD}", headers=headers)).json()
    assert history[-1]["media"]["state"] == "stored"
    assert history[-1]["media"]["file_size"] == len(item.data)


async def test_every_media_type_is_stored(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    for message_type in ("image", "video", "audio", "voice", "document", "sticker"):
        await lead_sends_media(simulator, state, message_type)
    await state.media_downloader.drain()

    async with state.session_factory() as session:
        rows = list((await session.execute(select(MediaFile))).scalars())
    assert len(rows) == 6
    assert {row.state for row in rows} == {"stored"}
    assert len(stored_files(state.settings.media_dir)) == 6


async def test_two_failures_then_stored(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, png_image(), "image/png")
    simulator.fail_downloads(item.media_id, 2)

    await lead_sends_media(simulator, state, "image", item)
    row = await wait_for_state(state, item.media_id, "stored")

    assert row.attempts == 2
    assert row.last_error is None
    assert graph_transport.count("GET", f"/v23.0/{item.media_id}") == 3
    assert graph_transport.count("GET", f"/_media/{item.media_id}") == 3


async def test_failure_is_recorded_with_backoff(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, png_image(), "image/png")
    simulator.fail_downloads(item.media_id, 1000)

    await lead_sends_media(simulator, state, "image", item)
    await state.media_downloader.drain()

    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "pending"
    assert row.attempts == 1
    assert row.last_error is not None
    assert row.last_error.startswith("download_failed:")
    assert row.next_attempt_at is not None
    assert row.next_attempt_at > utcnow()
    assert row.claimed_until is None


async def test_expired_link_is_renewed(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, jpeg_image(), "image/jpeg")
    real_clock = simulator.clock
    simulator.clock = lambda: real_clock() - 3600
    expired_url = simulator.media.download_url(item.media_id)
    simulator.clock = real_clock

    await lead_sends_media(simulator, state, "image", item, url=expired_url)
    await state.media_downloader.drain()

    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "stored"
    assert row.attempts == 0
    assert graph_transport.count("GET", f"/_media/{item.media_id}") == 2
    assert graph_transport.count("GET", f"/v23.0/{item.media_id}") == 1


async def test_reported_200_mb_video_is_refused(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    headers = await setup_hub(client, state)
    item = add_file(simulator, b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    item.reported_size = 200 * 1024 * 1024

    await lead_sends_media(simulator, state, "video", item)
    await state.media_downloader.drain()

    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "failed"
    assert row.path is None
    assert row.last_error is not None
    assert row.last_error.startswith("too_large:")
    assert graph_transport.count("GET", f"/_media/{item.media_id}") == 0
    assert stored_files(state.settings.media_dir) == []
    history = (await client.get(f"/api/messages/{LEAD}", headers=headers)).json()
    assert history[-1]["media"]["state"] == "failed"
    assert "limite" in history[-1]["media"]["failure_reason"]


async def test_oversized_sticker_body_is_refused(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, b"RIFF" + bytes(200 * 1024), "image/webp")
    item.reported_size = 1000

    await lead_sends_media(simulator, state, "sticker", item)
    await state.media_downloader.drain()

    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "failed"
    assert row.last_error is not None
    assert row.last_error.startswith("too_large:")
    assert stored_files(state.settings.media_dir) == []
    temporary = state.settings.media_dir / "tmp"
    assert not temporary.exists() or list(temporary.iterdir()) == []


async def test_wrong_sha256_is_not_stored(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, png_image(), "image/png")
    other_digest = hashlib.sha256(b"other bytes").hexdigest()

    await lead_sends_media(simulator, state, "image", item, sha256=other_digest)
    await state.media_downloader.drain()

    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "pending"
    assert row.last_error is not None
    assert row.last_error.startswith("integrity:")
    assert stored_files(state.settings.media_dir) == []


async def test_media_error_message_is_not_downloaded(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    headers = await setup_hub(client, state)
    payload = text_message_payload(wamid="wamid.MEDIAERROR0001")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message["type"] = "image"
    message["image"] = {"mime_type": "image/jpeg"}
    message["errors"] = [
        {
            "code": 131052,
            "title": "Media download error",
            "message": "Media download error",
            "error_data": {"details": "Media download failed: server throttled"},
        }
    ]

    await post_webhook(client, payload, state)
    await state.media_downloader.drain()

    async with state.session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(MediaFile))
    assert count == 0
    # Only downloads count: the startup sweep may look up a media id that the
    # previous test left in the shared database.
    assert graph_transport.count("GET", "/_media/") == 0
    history = (await client.get(f"/api/messages/{LEAD}", headers=headers)).json()
    assert history[-1]["media"]["id"] is None
    assert history[-1]["error"]["code"] == 131052


async def test_expired_media_id_fails_without_download(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, png_image(), "image/png")
    simulator.fail_downloads(item.media_id, 1000)
    await lead_sends_media(simulator, state, "image", item)
    await state.media_downloader.drain()
    async with state.session_factory() as session:
        row = (
            await session.execute(
                select(MediaFile).where(MediaFile.media_id == item.media_id)
            )
        ).scalar_one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        row.next_attempt_at = utcnow()
        await session.commit()
    requests_before = len(graph_transport.requests)

    await state.media_downloader.sweep()
    await state.media_downloader.drain()

    row_after = await wait_for_state(state, item.media_id, "failed")
    assert row_after.last_error is not None
    assert row_after.last_error.startswith("expired:")
    assert len(graph_transport.requests) == requests_before


async def test_claimed_download_is_skipped(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, png_image(), "image/png")
    simulator.fail_downloads(item.media_id, 1000)
    await lead_sends_media(simulator, state, "image", item)
    await state.media_downloader.drain()
    async with state.session_factory() as session:
        row = (
            await session.execute(
                select(MediaFile).where(MediaFile.media_id == item.media_id)
            )
        ).scalar_one()
        row.claimed_until = utcnow() + timedelta(minutes=5)
        row.next_attempt_at = utcnow()
        await session.commit()
    simulator.fail_downloads(item.media_id, 0)
    requests_before = len(graph_transport.requests)

    await state.media_downloader.fetch_now(item.media_id)
    assert await state.media_downloader.sweep() == 0

    assert len(graph_transport.requests) == requests_before
    row_after = await media_file(state, item.media_id)
    assert row_after is not None
    assert row_after.state == "pending"


async def test_second_downloader_does_not_download_again(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, png_image(), "image/png")
    await lead_sends_media(simulator, state, "image", item)
    await state.media_downloader.drain()
    other = MediaDownloader(
        state.session_factory,
        state.graph,
        state.cipher,
        state.media_storage,
        state.events,
        state.settings,
    )

    await other.fetch_now(item.media_id)

    assert graph_transport.count("GET", f"/_media/{item.media_id}") == 1


async def test_racing_downloaders_download_once(
    client: httpx.AsyncClient,
    state: AppState,
    simulator: SimulatorState,
    graph_transport: RecordingTransport,
) -> None:
    await setup_hub(client, state)
    item = add_file(simulator, png_image(), "image/png")
    await state.media_downloader.stop()
    await lead_sends_media(simulator, state, "image", item)
    downloaders = [
        MediaDownloader(
            state.session_factory,
            state.graph,
            state.cipher,
            state.media_storage,
            state.events,
            state.settings,
        )
        for _ in range(3)
    ]

    await asyncio.gather(*[d.fetch_now(item.media_id) for d in downloaders])

    assert graph_transport.count("GET", f"/_media/{item.media_id}") == 1
    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "stored"
