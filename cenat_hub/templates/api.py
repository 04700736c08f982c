"""Routes of templates: the approved list of a channel and template sends."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cenat_hub.messages import sending
from cenat_hub.messages.schemas import message_to_dict
from cenat_hub.models import Contact
from cenat_hub.templates import service
from cenat_hub.templates.schemas import SendTemplateRequest, template_to_dict
from cenat_hub.web.dependencies import CurrentUser, IdPath, Session, State

router = APIRouter(prefix="/api", tags=["templates"])


@router.get("/channels/{channel_id}/templates")
async def list_channel_templates(
    channel_id: IdPath,
    session: Session,
    state: State,
    user: CurrentUser,
    refresh: Annotated[
        bool, Query(description="List the templates from Meta now.")
    ] = False,
) -> list[dict[str, Any]]:
    """Return the APPROVED templates of the channel's WhatsApp Business Account.

    The list comes from a cache that is refreshed from Meta when it is older
    than 15 minutes, or at once with ``refresh=true``.
    """
    channel = await service.channel_for_templates(session, user, channel_id)
    await session.commit()
    templates = await service.approved_templates(state, channel, refresh=refresh)
    return [template_to_dict(template) for template in templates]


@router.post("/send/template")
async def send_template(
    body: SendTemplateRequest, session: Session, state: State, user: CurrentUser
) -> dict[str, Any]:
    """Send an approved template, creating the contact of a typed number if needed.

    Returns the stored message (``failed`` with a Portuguese explanation
    when Meta rejects it) and the contact under its WhatsApp id.
    """
    channel = await service.channel_for_templates(session, user, body.channel_id)
    await session.commit()
    await service.ensure_fresh_cache(state, channel)
    message, created = await service.queue_template(session, user, body, channel)
    await session.commit()
    if created:
        message = await sending.deliver(state, message.id)
        await service.note_send_outcome(state, channel, message)
    contact = await session.get(Contact, message.contact_id, populate_existing=True)
    assert contact is not None
    return {
        **message_to_dict(message),
        "contact": {"id": contact.id, "wa_id": contact.wa_id, "name": contact.name},
    }
