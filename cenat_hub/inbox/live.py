"""Fragments that a browser stream sends for each event, rendered for its user.

Events name ids only. For each one the stream loads the rows, checks that
its user may see them, and renders the same bubbles and list rows as the page.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import visible_channel_ids
from cenat_hub.i18n import gettext
from cenat_hub.inbox import queries, rendering, views
from cenat_hub.inbox.rendering import RowView
from cenat_hub.models import Contact, Conversation, Message, User

# More changes than this since a reconnecting stream's last event are not
# replayed one by one; the page reloads its panes instead.
MAX_REPLAY_MESSAGES = 300
MAX_REPLAY_CONVERSATIONS = 200


@dataclass
class Fragment:
    """One server-sent event for the page script: its kind and JSON data."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class FragmentRenderer:
    """Renders fragments for one user, in their language and the team's time zone."""

    def __init__(self, session: AsyncSession, user: User, zone: ZoneInfo) -> None:
        self.session = session
        self.user = user
        self.zone = zone
        self._channel_ids: list[int] | None = None

    async def channel_ids(self) -> list[int]:
        if self._channel_ids is None:
            channels = await queries.visible_channels(self.session, self.user)
            self._channel_ids = [channel.id for channel in channels]
        return self._channel_ids

    async def for_event(self, kind: str, data: dict[str, Any]) -> list[Fragment]:
        if kind in ("message.new", "message.status", "message.updated"):
            message_id = _int(data.get("message_id"))
            if message_id is None:
                return []
            return await self._message_event(message_id, is_new=kind == "message.new")
        if kind == "conversation.updated":
            conversation_id = _int(data.get("conversation_id"))
            return await self.conversation_rows(
                [conversation_id] if conversation_id else []
            )
        if kind == "contact.updated":
            contact_id = _int(data.get("contact_id"))
            if contact_id is None:
                return []
            ids = await queries.conversation_ids_of_contact(
                self.session, contact_id, await self.channel_ids()
            )
            return await self.contact_fragments(contact_id) + (
                await self.conversation_rows(ids)
            )
        return []

    async def contact_fragments(self, contact_id: int) -> list[Fragment]:
        """Tell the CRM panel and the Funil board that a lead changed.

        Only the ids and the status travel; each page fetches what it shows,
        through routes that apply its own filters.
        """
        visible = await visible_channel_ids(self.session, self.user)
        contact = await queries.visible_contact(self.session, contact_id, visible)
        if contact is None:
            return []
        label = rendering.LEAD_STATUS_LABELS.get(
            contact.lead_status, contact.lead_status
        )
        return [
            Fragment(
                "contact",
                {
                    "contact_id": contact.id,
                    "wa_id": contact.wa_id,
                    "lead_status": contact.lead_status,
                    "lead_status_label": gettext(label),
                },
            )
        ]

    async def _message_event(self, message_id: int, *, is_new: bool) -> list[Fragment]:
        message = await self.session.get(Message, message_id)
        if message is None or message.channel_id not in await self.channel_ids():
            return []
        fragments: list[Fragment] = []
        shown = message
        if message.message_type == "reaction":
            # The reaction shows on the message it reacts to.
            targets = await queries.messages_by_wa_id(
                self.session, {message.reaction_to_wa_message_id or ""}
            )
            target = targets.get(message.reaction_to_wa_message_id or "")
            if target is None:
                return []
            shown = target
        if shown.message_type not in queries.HIDDEN_TYPES:
            fragments.append(await self.message_fragment(shown, notify=is_new))
        if is_new:
            fragments += await self.conversation_rows([message.conversation_id])
        return fragments

    async def message_fragment(
        self, message: Message, *, notify: bool = False
    ) -> Fragment:
        conversation = await self.session.get(Conversation, message.conversation_id)
        contact = await self.session.get(Contact, message.contact_id)
        assert conversation is not None and contact is not None
        chat = await views.chat_context(
            self.session, self.zone, conversation, contact, [message]
        )
        data: dict[str, Any] = {
            "conversation_id": message.conversation_id,
            "message_id": message.id,
            "client_message_id": message.client_message_id,
            "direction": message.direction,
            "sort": rendering.sort_key(message),
            "html": views.render_message(message, chat),
        }
        if notify and message.direction == "inbound":
            data["notify"] = {
                "title": rendering.contact_label(contact),
                "body": rendering.message_summary(message),
            }
        return Fragment("message", data)

    async def conversation_rows(self, conversation_ids: list[int]) -> list[Fragment]:
        fragments = []
        visible = await self.channel_ids()
        for conversation_id in conversation_ids:
            row = await queries.conversation_row(self.session, conversation_id)
            if row is None or row.conversation.channel_id not in visible:
                continue
            if row.conversation.last_message_at is None:
                continue
            view = RowView(
                row.conversation,
                row.contact,
                self.zone,
                assignee_name=row.assignee_name,
            )
            fragments.append(
                Fragment(
                    "conversation",
                    {
                        "conversation_id": conversation_id,
                        "channel_id": row.conversation.channel_id,
                        "contact_id": row.contact.id,
                        "wa_id": row.contact.wa_id,
                        "assignee_id": row.conversation.assignee_id,
                        "sort": view.sort_value,
                        "window_closes_at": rendering.iso(view.window_closes_at),
                        "html": views.render_row(view),
                    },
                )
            )
        return fragments

    async def since(self, moment: datetime) -> list[Fragment] | None:
        """Return fragments of everything changed after ``moment``, or None if too many."""
        channel_ids = await self.channel_ids()
        messages = await queries.messages_changed_since(
            self.session, moment, channel_ids, MAX_REPLAY_MESSAGES + 1
        )
        conversation_ids = await queries.conversations_changed_since(
            self.session, moment, channel_ids, MAX_REPLAY_CONVERSATIONS + 1
        )
        if (
            len(messages) > MAX_REPLAY_MESSAGES
            or len(conversation_ids) > MAX_REPLAY_CONVERSATIONS
        ):
            return None
        fragments: list[Fragment] = []
        for message in messages:
            if message.message_type not in queries.HIDDEN_TYPES:
                fragments.append(await self.message_fragment(message))
        fragments += await self.conversation_rows(conversation_ids)
        return fragments


async def load_user(session: AsyncSession, user_id: int) -> User | None:
    user = await session.get(User, user_id)
    return user if user is not None and user.is_active else None
