"""Routes of the simulated Graph API, and the media download route that the URLs of
``GET /<MEDIA_ID>`` point at."""

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.datastructures import UploadFile

from cenat_hub.simulator.dependencies import StateDep, TokenDep
from cenat_hub.simulator.errors import invalid_parameter, unknown_object
from cenat_hub.simulator.media import MediaItem, validate_upload
from cenat_hub.simulator.outbound import handle_messages_post
from cenat_hub.simulator.state import SimulatorState
from cenat_hub.simulator.template_listing import list_templates

router = APIRouter()


@router.get("/_media/{media_id}")
async def download_media(
    media_id: str,
    state: StateDep,
    token: TokenDep,
    expires: int | None = None,
    sig: str | None = None,
) -> Response:
    """Serve the bytes behind a signed link, with the bearer token that Meta also
    requires for downloads."""
    if media_id not in state.media.items:
        return _download_error(404, f"Media {media_id} not found.")
    item = state.authorize_media(media_id, token)
    if (
        expires is None
        or sig is None
        or not state.media.is_valid_link(media_id, expires, sig)
    ):
        return _download_error(
            404, "Invalid media link; request a new URL from the media id."
        )
    if state.media.is_expired(expires):
        return _download_error(
            404, "Media link expired; request a new URL from the media id."
        )
    if state.media.take_injected_failure(media_id):
        return _download_error(500, f"Injected download failure for media {media_id}.")
    if item.streamed_size is not None:
        return StreamingResponse(
            _zero_bytes(item.streamed_size), media_type=item.mime_type
        )
    return Response(content=item.data, media_type=item.mime_type)


async def _zero_bytes(size: int) -> AsyncIterator[bytes]:
    chunk = bytes(min(size, 1024 * 1024))
    remaining = size
    while remaining > 0:
        yield chunk[:remaining]
        remaining -= len(chunk)


def _download_error(status_code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "code": status_code}}, status_code
    )


@router.post("/{phone_number_id}/messages")
async def post_message(
    phone_number_id: str, request: Request, state: StateDep, token: TokenDep
) -> dict[str, Any]:
    number = state.authorize_number(phone_number_id, token)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid_parameter("The request body is not valid JSON.") from None
    return await handle_messages_post(state, number, body)


@router.post("/{phone_number_id}/media")
async def upload_media(
    phone_number_id: str, request: Request, state: StateDep, token: TokenDep
) -> dict[str, str]:
    """Store a multipart upload (``file``, ``type``, ``messaging_product``)."""
    number = state.authorize_number(phone_number_id, token)
    form = await request.form()
    if form.get("messaging_product") != "whatsapp":
        raise invalid_parameter("Param messaging_product must be 'whatsapp'.")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise invalid_parameter("Param file is required and must be a file.")
    mime_type = form.get("type")
    if not isinstance(mime_type, str) or not mime_type.strip():
        raise invalid_parameter("Param type is required.")

    data = await upload.read()
    validate_upload(mime_type, len(data))
    item = state.media.add(
        data, mime_type.strip(), number.phone_number_id, upload.filename
    )
    return {"id": item.media_id}


@router.get("/{waba_id}/message_templates")
async def get_message_templates(
    waba_id: str, request: Request, state: StateDep, token: TokenDep
) -> dict[str, Any]:
    state.authorize_waba(waba_id, token)
    page_url = str(request.url.replace(query=""))
    return list_templates(state.templates_for(waba_id), request.query_params, page_url)


@router.get("/{object_id}")
async def get_object(
    object_id: str, request: Request, state: StateDep, token: TokenDep
) -> dict[str, Any]:
    """Return a business phone number, or a media item with a fresh download URL."""
    if object_id in state.numbers:
        number = state.authorize_number(object_id, token)
        fields = {
            "id": number.phone_number_id,
            "display_phone_number": number.display_phone_number,
            "verified_name": number.verified_name,
            "quality_rating": number.quality_rating,
        }
        return _select_fields(fields, request.query_params.get("fields"))

    item = _owned_media(
        state, object_id, token, request.query_params.get("phone_number_id")
    )
    return {
        "messaging_product": "whatsapp",
        "url": state.media.download_url(item.media_id),
        "mime_type": item.mime_type,
        "sha256": item.sha256,
        "file_size": item.file_size,
        "id": item.media_id,
    }


@router.delete("/{object_id}")
async def delete_object(
    object_id: str, request: Request, state: StateDep, token: TokenDep
) -> dict[str, bool]:
    """Delete a media item; other objects cannot be deleted here."""
    if object_id in state.numbers:
        raise unknown_object(object_id)
    item = _owned_media(
        state, object_id, token, request.query_params.get("phone_number_id")
    )
    del state.media.items[item.media_id]
    return {"success": True}


def _owned_media(
    state: SimulatorState, media_id: str, token: str | None, phone_number_id: str | None
) -> MediaItem:
    """Authorise access to a media item; ``phone_number_id``, when given, must be the
    number the media belongs to, as Meta checks."""
    item = state.authorize_media(media_id, token)
    if phone_number_id is not None and phone_number_id != item.owner_phone_number_id:
        raise invalid_parameter(
            f"Media {media_id} does not belong to phone number {phone_number_id}."
        )
    return item


def _select_fields(fields: dict[str, Any], requested: str | None) -> dict[str, Any]:
    if not requested:
        return fields
    names = {"id", *(name.strip() for name in requested.split(","))}
    return {key: value for key, value in fields.items() if key in names}
