"""Helpers for the media tests: leads sending files, and reading the results."""

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from cenat_hub.models import MediaFile, Message
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.media import MediaItem
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.web.state import AppState
from tests.factories import login, make_channel, make_user, text_message_payload
from tests.hub_simulator import wait_for

LEAD = "5511900000001"
PHONE_NUMBER_ID = "100000000000001"


async def setup_hub(client: httpx.AsyncClient, state: AppState) -> dict[str, str]:
    """Create the channel and an admin; return the admin's auth headers."""
    await make_channel(state)
    user = await make_user(state)
    return await login(client, user.email, "senha-de-teste-admin")


def add_file(
    simulator: SimulatorState,
    data: bytes,
    mime_type: str,
    filename: str | None = None,
) -> MediaItem:
    """Store a file at the simulated Meta, as a lead's phone would upload it."""
    return simulator.media.add(data, mime_type, PHONE_NUMBER_ID, filename)


async def lead_sends_media(
    simulator: SimulatorState,
    state: AppState,
    message_type: str,
    item: MediaItem | None = None,
    *,
    url: str | None = None,
    sha256: str | None = None,
    **fields: Any,
) -> str:
    """Play the lead sending a media message; return its wamid.

    With ``item``, the message names that stored file instead of a sample.
    """
    content = None
    if item is not None:
        content = {"id": item.media_id, "mime_type": item.mime_type}
        content["sha256"] = sha256 or item.sha256
        if item.filename:
            content["filename"] = item.filename
        if url:
            content["url"] = url
        if message_type == "audio":
            content["voice"] = fields.pop("voice", False)
    result = await simulator.lead_sends(
        LeadMessage(
            phone_number_id=PHONE_NUMBER_ID,
            wa_id=LEAD,
            name="Ana Teste",
            type=message_type,  # type: ignore[arg-type]
            content=content,
            **fields,
        )
    )
    await state.webhook_worker.drain()
    return str(result["wa_message_id"])


async def media_file(state: AppState, media_id: str) -> MediaFile | None:
    async with state.session_factory() as session:
        statement = select(MediaFile).where(MediaFile.media_id == media_id)
        return (await session.execute(statement)).scalar_one_or_none()


async def message_by_wamid(state: AppState, wamid: str) -> Message:
    async with state.session_factory() as session:
        statement = select(Message).where(Message.wa_message_id == wamid)
        return (await session.execute(statement)).scalar_one()


async def wait_for_state(
    state: AppState, media_id: str, expected: str, seconds: float = 5.0
) -> MediaFile:
    async def reached() -> MediaFile | None:
        row = await media_file(state, media_id)
        return row if row is not None and row.state == expected else None

    result: MediaFile = await wait_for(reached, seconds=seconds)
    return result


def stored_files(media_dir: Path) -> list[Path]:
    """List the files in the store, leaving out temporary and converted copies."""
    if not media_dir.exists():
        return []
    return [
        path
        for path in media_dir.rglob("*")
        if path.is_file()
        and path.relative_to(media_dir).parts[0] not in ("tmp", "converted")
    ]


def media_webhook(
    item: MediaItem, message_type: str, wamid: str, timestamp: int
) -> dict[str, Any]:
    """Build the webhook of a lead's media message naming a stored file."""
    payload = text_message_payload(wamid=wamid, timestamp=timestamp)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message["type"] = message_type
    message[message_type] = {
        "id": item.media_id,
        "mime_type": item.mime_type,
        "sha256": item.sha256,
    }
    return payload
