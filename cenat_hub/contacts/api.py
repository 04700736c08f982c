from typing import Annotated

from fastapi import APIRouter, Query

from cenat_hub.contacts import service
from cenat_hub.contacts.schemas import ContactDetail, ContactOut
from cenat_hub.contacts.service import ContactFilter
from cenat_hub.web.dependencies import CurrentUser, Session

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.get("")
async def list_contacts(
    session: Session,
    _user: CurrentUser,
    channel_id: int | None = None,
    status: Annotated[str | None, Query(max_length=30)] = None,
    tag_id: int | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ContactOut]:
    """List contacts, most recent activity first.

    ``status``, ``tag_id`` and ``channel_id`` narrow the list (a channel means
    a conversation on that number); ``search`` matches names and number digits.
    """
    contact_filter = ContactFilter(
        channel_id=channel_id, lead_status=status, tag_id=tag_id, search=search
    )
    return await service.list_contacts(
        session, contact_filter, limit=limit, offset=offset
    )


@router.get("/{wa_id}")
async def get_contact(
    wa_id: str, session: Session, _user: CurrentUser
) -> ContactDetail:
    return await service.contact_detail(session, wa_id)
