"""JSON API of the CRM: lead status, notes, tags, history, lost reasons and CSV."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from cenat_hub.contacts.schemas import ContactOut, TagOut
from cenat_hub.contacts.service import (
    ContactFilter,
    check_filter,
    contact_summary,
)
from cenat_hub.crm import csv_io, importing, service
from cenat_hub.crm.schemas import (
    ImportReport,
    LeadEventOut,
    LostReasonCreate,
    LostReasonOut,
    LostReasonUpdate,
    NotesUpdate,
    StatusUpdate,
    TagCreate,
)
from cenat_hub.db.types import utcnow
from cenat_hub.web.dependencies import (
    CurrentAdmin,
    CurrentUser,
    IdPath,
    OptionalIdQuery,
    Session,
    State,
)

router = APIRouter(prefix="/api", tags=["crm"])


@router.patch("/contacts/{wa_id}/status")
async def set_lead_status(
    wa_id: str, body: StatusUpdate, session: Session, state: State, user: CurrentUser
) -> ContactOut:
    """Set the lead status; "perdido" needs ``lost_reason_id``, text or both."""
    contact, changed = await service.change_status(session, user, wa_id, body)
    result = await contact_summary(session, contact)
    await session.commit()
    if changed:
        await state.events.publish([service.contact_updated_event(contact)])
    return result


@router.patch("/contacts/{wa_id}/notes")
async def set_notes(
    wa_id: str, body: NotesUpdate, session: Session, state: State, user: CurrentUser
) -> ContactOut:
    """Replace the internal notes (at most 10,000 characters)."""
    contact, changed = await service.update_notes(session, user, wa_id, body.notes)
    result = await contact_summary(session, contact)
    await session.commit()
    if changed:
        await state.events.publish([service.contact_updated_event(contact)])
    return result


@router.get("/contacts/{wa_id}/history")
async def lead_history(
    wa_id: str,
    session: Session,
    _user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=service.MAX_HISTORY_EVENTS)] = 50,
) -> list[LeadEventOut]:
    """Return status, tag and notes changes, newest first."""
    return await service.lead_history(session, wa_id, limit)


@router.get("/tags")
async def list_tags(session: Session, _user: CurrentUser) -> list[TagOut]:
    tags = await service.list_tags(session)
    return [TagOut(id=tag.id, name=tag.name, color=tag.color) for tag in tags]


@router.post("/tags", status_code=status.HTTP_201_CREATED)
async def create_tag(body: TagCreate, session: Session, _user: CurrentUser) -> TagOut:
    """Create a tag; ``color`` is a palette name or a #rrggbb code."""
    tag = await service.create_tag(session, body.name, body.color)
    return TagOut(id=tag.id, name=tag.name, color=tag.color)


@router.post("/contacts/{wa_id}/tags/{tag_id}")
async def add_tag(
    wa_id: str, tag_id: IdPath, session: Session, state: State, user: CurrentUser
) -> ContactOut:
    contact, changed = await service.add_tag(session, user, wa_id, tag_id)
    result = await contact_summary(session, contact)
    await session.commit()
    if changed:
        await state.events.publish([service.contact_updated_event(contact)])
    return result


@router.delete("/contacts/{wa_id}/tags/{tag_id}")
async def remove_tag(
    wa_id: str, tag_id: IdPath, session: Session, state: State, user: CurrentUser
) -> ContactOut:
    contact, changed = await service.remove_tag(session, user, wa_id, tag_id)
    result = await contact_summary(session, contact)
    await session.commit()
    if changed:
        await state.events.publish([service.contact_updated_event(contact)])
    return result


@router.get("/lost-reasons")
async def list_lost_reasons(
    session: Session, _user: CurrentUser, include_inactive: bool = False
) -> list[LostReasonOut]:
    reasons = await service.list_lost_reasons(
        session, include_inactive=include_inactive
    )
    return [LostReasonOut.model_validate(reason) for reason in reasons]


@router.post("/lost-reasons", status_code=status.HTTP_201_CREATED)
async def create_lost_reason(
    body: LostReasonCreate, session: Session, admin: CurrentAdmin
) -> LostReasonOut:
    reason = await service.create_lost_reason(session, admin, body)
    return LostReasonOut.model_validate(reason)


@router.patch("/lost-reasons/{reason_id}")
async def update_lost_reason(
    reason_id: IdPath, body: LostReasonUpdate, session: Session, admin: CurrentAdmin
) -> LostReasonOut:
    """Rename, reorder, or deactivate a lost reason (``is_active: false``)."""
    reason = await service.update_lost_reason(session, admin, reason_id, body)
    return LostReasonOut.model_validate(reason)


@router.get("/contacts/export.csv")
async def export_contacts(
    session: Session,
    state: State,
    _user: CurrentUser,
    channel_id: OptionalIdQuery = None,
    status: Annotated[str | None, Query(max_length=30)] = None,
    tag_id: OptionalIdQuery = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> StreamingResponse:
    """Stream contacts with status, tags and notes as CSV (UTF-8 with BOM)."""
    contact_filter = ContactFilter(
        channel_id=channel_id, lead_status=status, tag_id=tag_id, search=search
    )
    await check_filter(session, contact_filter)
    # The rows stream after this function returns; end the request's
    # transaction now rather than hold it (and SQLite's lock) meanwhile.
    await session.commit()
    filename = f"contatos-{utcnow():%Y%m%d-%H%M}.csv"

    async def body() -> AsyncIterator[str]:
        async for chunk in csv_io.export_chunks(state.session_factory, contact_filter):
            yield chunk

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/contacts/import")
async def import_contacts(
    request: Request, session: Session, state: State, user: CurrentUser
) -> ImportReport:
    """Import a CSV sent as multipart field ``file``.

    Columns: name, phone, status, tags (separated by ";" or "|"), and
    lost_reason for rows whose status is "perdido". The file may be at most
    2 MiB and 5,000 rows. The report lists each rejected row with its line.
    """
    upload = await csv_io.read_form_file(request)
    parsed = csv_io.parse_upload(await csv_io.read_upload(upload))
    report, changed = await importing.import_contacts(session, user, parsed)
    await session.commit()
    await importing.publish_contact_updates(state.events, changed)
    return report
