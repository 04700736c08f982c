from typing import Annotated

from fastapi import APIRouter, Query

from cenat_hub.channels.access import ensure_channel_visible, visible_channel_ids
from cenat_hub.contacts import service
from cenat_hub.contacts.schemas import ContactDetail, ContactOut
from cenat_hub.contacts.service import ContactFilter
from cenat_hub.web.dependencies import CurrentUser, OptionalIdQuery, Session

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.get("")
async def list_contacts(
    session: Session,
    user: CurrentUser,
    channel_id: OptionalIdQuery = None,
    status: Annotated[str | None, Query(max_length=30)] = None,
    tag_id: OptionalIdQuery = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ContactOut]:
    """List contacts the user may see, most recent activity first.

    ``status``, ``tag_id`` and ``channel_id`` narrow the list (a channel means
    a conversation on that number); ``search`` matches names and number digits.
    """
    visible = await visible_channel_ids(session, user)
    if channel_id is not None:
        ensure_channel_visible(visible, channel_id)
    contact_filter = ContactFilter(
        channel_id=channel_id,
        lead_status=status,
        tag_id=tag_id,
        search=search,
        visible=frozenset(visible) if visible is not None else None,
    )
    return await service.list_contacts(
        session, contact_filter, limit=limit, offset=offset
    )


@router.get("/{wa_id}")
async def get_contact(wa_id: str, session: Session, user: CurrentUser) -> ContactDetail:
    visible = await visible_channel_ids(session, user)
    return await service.contact_detail(session, wa_id, visible)
