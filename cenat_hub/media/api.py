"""Media routes: our copy of a file, and sending a file to a lead."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from pydantic import ValidationError

from cenat_hub.channels.access import visible_channel_ids
from cenat_hub.errors import InvalidInputError, PermissionDeniedError
from cenat_hub.media import outbound, serving
from cenat_hub.messages import sending
from cenat_hub.messages.schemas import SendMediaRequest, message_to_dict
from cenat_hub.web.dependencies import CurrentUser, Session, State
from cenat_hub.web.security import CSRF_HEADER, SESSION_COOKIE, is_valid_csrf

router = APIRouter(prefix="/api", tags=["media"])


async def require_csrf_with_cookie(request: Request, state: State) -> None:
    """Require ``X-CSRF-Token`` when a browser authenticates with the session cookie."""
    if request.headers.get("authorization"):
        return
    session_token = request.cookies.get(SESSION_COOKIE)
    if not session_token:
        return
    secret = state.settings.jwt_secret.get_secret_value()
    if not is_valid_csrf(session_token, request.headers.get(CSRF_HEADER), secret):
        raise PermissionDeniedError(
            "The X-CSRF-Token header is missing or invalid; reload the page."
        )


@router.get("/media/{media_id}")
async def get_media(
    media_id: str,
    request: Request,
    session: Session,
    state: State,
    user: CurrentUser,
    format: Literal["m4a"] | None = None,
    download: bool = False,
) -> Response:
    """Serve our copy of a media file, downloading it from Meta first if needed.

    Audio and video support range requests. ``format=m4a`` serves audio
    converted to AAC for browsers without OGG/Opus; ``download=true`` forces
    an attachment. HTML, SVG and other active types are always served as
    ``application/octet-stream`` attachments. A file of a channel the user may
    not see answers 404, as an unknown one does.
    """
    visible = await visible_channel_ids(session, user)
    media_file, message = await serving.stored_media(state, session, media_id, visible)
    served = await serving.prepare_file(state, media_file, message, format, download)
    return serving.media_response(request, served)


@router.post("/send/media", dependencies=[Depends(require_csrf_with_cookie)])
async def send_media(
    session: Session,
    state: State,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    wa_id: Annotated[str, Form()],
    channel_id: Annotated[int | None, Form()] = None,
    caption: Annotated[str | None, Form()] = None,
    client_message_id: Annotated[str | None, Form()] = None,
    voice: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Send an image, audio, video, sticker or document inside the 24-hour window.

    The file is checked against WhatsApp's types and sizes by its content,
    stored, and committed as a pending message, shown at once in every
    browser, before it is uploaded to Meta and sent by media id.
    """
    try:
        body = SendMediaRequest(
            wa_id=wa_id,
            channel_id=channel_id,
            caption=caption,
            client_message_id=client_message_id,
            voice=voice,
        )
    except ValidationError as exc:
        raise InvalidInputError(
            "Invalid send request: " + "; ".join(e["msg"] for e in exc.errors())
        ) from exc
    visible = await visible_channel_ids(session, user)
    existing = await sending.find_by_client_message_id(
        session, body.client_message_id, visible
    )
    if existing is not None:
        return message_to_dict(existing)
    await sending.resolve_recipient(session, body.wa_id, body.channel_id, visible)
    await session.commit()
    prepared = await outbound.prepare_upload(state.media_storage, file, body.voice)
    message, created = await sending.queue_media(session, user, body, prepared, visible)
    await session.commit()
    if created:
        await state.events.publish([sending.new_message_event(message)])
        message = await sending.deliver(state, message.id)
    return message_to_dict(message)
