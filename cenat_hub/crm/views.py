"""Data the pipeline board and the CRM panel show, gathered from the database."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.schemas import TagOut
from cenat_hub.contacts.service import ContactFilter, check_filter, tags_by_contact
from cenat_hub.conversations.service import is_window_open, window_closes_at
from cenat_hub.crm import queries, service
from cenat_hub.crm.display import STATUS_LABELS
from cenat_hub.crm.queries import PageCursor
from cenat_hub.crm.schemas import LeadEventOut
from cenat_hub.db.types import utcnow
from cenat_hub.i18n import gettext
from cenat_hub.models import Channel, Contact, Conversation, LostReason, User
from cenat_hub.models.contact import LEAD_STATUSES

COLUMN_PAGE_SIZE = 50
PANEL_HISTORY_EVENTS = 30


@dataclass
class LeadCard:
    contact: Contact
    tags: list[TagOut]
    preview: str | None
    last_message_at: datetime | None
    window_open: bool
    window_closes_at: datetime | None


@dataclass
class BoardColumn:
    status: str
    label: str
    count: int
    cards: list[LeadCard]
    next_cursor: str | None


@dataclass
class ConversationLine:
    conversation: Conversation
    channel_name: str
    window_open: bool


@dataclass
class AdReferral:
    """The click-to-WhatsApp ad a lead came from, as text safe to show."""

    headline: str | None
    body: str | None
    source_type: str | None
    source_url: str | None

    @classmethod
    def from_webhook(cls, referral: dict[str, Any]) -> "AdReferral":
        url = _text(referral.get("source_url"), 500)
        return cls(
            headline=_text(referral.get("headline"), 200),
            body=_text(referral.get("body"), 500),
            source_type=_text(referral.get("source_type"), 30),
            # Only web links become clickable; the lead's side controls the rest.
            source_url=url if url and url.startswith("https://") else None,
        )


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


@dataclass
class LeadPanel:
    contact: Contact
    tags: list[TagOut]
    available_tags: list[TagOut]
    lost_reasons: list[LostReason]
    lost_reason_name: str | None
    first_channel_name: str | None
    conversations: list[ConversationLine]
    referral: AdReferral | None
    history: list[LeadEventOut]
    notes_updated_by: str | None


async def board_columns(
    session: AsyncSession, contact_filter: ContactFilter
) -> list[BoardColumn]:
    """Return every status column with its count and first page of cards."""
    await check_filter(session, contact_filter)
    counts = await queries.pipeline_counts(session, contact_filter)
    columns = []
    for status in LEAD_STATUSES:
        cards, next_cursor = await column_page(
            session, replace(contact_filter, lead_status=status), None
        )
        columns.append(
            BoardColumn(
                status=status,
                label=gettext(STATUS_LABELS[status]),
                count=counts.get(status, 0),
                cards=cards,
                next_cursor=next_cursor,
            )
        )
    return columns


async def column_page(
    session: AsyncSession,
    contact_filter: ContactFilter,
    cursor: PageCursor | None,
    limit: int = COLUMN_PAGE_SIZE,
) -> tuple[list[LeadCard], str | None]:
    """Return one page of a status column and the cursor of the next page."""
    contacts = await queries.pipeline_page(session, contact_filter, cursor, limit + 1)
    next_cursor = None
    if len(contacts) > limit:
        contacts = contacts[:limit]
        last = contacts[-1]
        next_cursor = PageCursor(last.last_activity_at, last.id).encode()
    return await _cards(session, contacts), next_cursor


async def lead_card(session: AsyncSession, wa_id: str) -> LeadCard:
    contact = await service.get_contact(session, wa_id)
    return (await _cards(session, [contact]))[0]


async def _cards(session: AsyncSession, contacts: list[Contact]) -> list[LeadCard]:
    contact_ids = [contact.id for contact in contacts]
    tags = await tags_by_contact(session, contact_ids)
    conversations = await queries.conversations_by_contact(session, contact_ids)
    now = utcnow()
    cards = []
    for contact in contacts:
        threads = conversations.get(contact.id, [])
        latest = threads[0] if threads else None
        closing_times = [
            closes_at
            for thread in threads
            if (closes_at := window_closes_at(thread)) is not None
        ]
        cards.append(
            LeadCard(
                contact=contact,
                tags=tags.get(contact.id, []),
                preview=latest.last_message_preview if latest else None,
                last_message_at=latest.last_message_at if latest else None,
                window_open=any(is_window_open(thread, now) for thread in threads),
                window_closes_at=max(closing_times, default=None),
            )
        )
    return cards


async def lead_panel(session: AsyncSession, wa_id: str) -> LeadPanel:
    contact = await service.get_contact(session, wa_id)
    tags = (await tags_by_contact(session, [contact.id])).get(contact.id, [])
    attached = {tag.id for tag in tags}
    all_tags = await service.list_tags(session)
    channels = await queries.channels_by_id(session)
    conversations = await queries.conversations_by_contact(session, [contact.id])
    lost_reasons = await queries.lost_reasons(session, include_inactive=True)
    reason_names = {reason.id: reason.name for reason in lost_reasons}
    referral = await queries.first_referral(session, contact.id)
    notes_author = (
        await session.get(User, contact.notes_updated_by_id)
        if contact.notes_updated_by_id
        else None
    )
    return LeadPanel(
        contact=contact,
        tags=tags,
        available_tags=[
            TagOut(id=tag.id, name=tag.name, color=tag.color)
            for tag in all_tags
            if tag.id not in attached
        ],
        lost_reasons=[reason for reason in lost_reasons if reason.is_active],
        lost_reason_name=reason_names.get(contact.lost_reason_id or 0),
        first_channel_name=_channel_name(channels, contact.channel_id),
        conversations=[
            ConversationLine(
                conversation=conversation,
                channel_name=_channel_name(channels, conversation.channel_id)
                or gettext("Channel {id}").format(id=conversation.channel_id),
                window_open=is_window_open(conversation),
            )
            for conversation in conversations.get(contact.id, [])
        ],
        referral=AdReferral.from_webhook(referral) if referral else None,
        history=await service.contact_history(session, contact, PANEL_HISTORY_EVENTS),
        notes_updated_by=notes_author.name if notes_author else None,
    )


def _channel_name(channels: dict[int, Channel], channel_id: int | None) -> str | None:
    channel = channels.get(channel_id) if channel_id is not None else None
    return channel.name if channel else None
