"""Render the inbox's fragments: list rows, message bubbles and pages of them.

The pages and the browser stream render the same fragments, so a message
looks the same whether it was on the page at load or arrived later.
"""

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.i18n import N_, gettext
from cenat_hub.inbox import queries, rendering
from cenat_hub.inbox.rendering import ChatContext, RowView
from cenat_hub.models import Channel, Contact, Conversation, Message
from cenat_hub.models.contact import LEAD_STATUSES
from cenat_hub.web.templating import templates

templates.env.globals["inbox"] = rendering

# Texts the page script shows, translated on the server.
JS_TEXTS = {
    "sending": N_("Sending"),
    "notSent": N_("Not sent:"),
    "networkError": N_("No connection to the server. Try again."),
    "windowClosedError": N_(
        "The 24-hour window closed; send an approved template instead."
    ),
    "genericError": N_("The message could not be sent."),
    "retry": N_("Try again"),
    "reconnecting": N_("Reconnecting…"),
    "connected": N_("Live"),
    "notificationsOn": N_("Turn off notifications"),
    "notificationsOff": N_("Turn on notifications"),
    "notificationsBlocked": N_("Notifications are blocked in this browser."),
    "newMessage": N_("New message"),
    "countdown": N_("{hours} h {minutes} min"),
    "countdownMinutes": N_("{minutes} min"),
    "you": N_("You"),
    "today": N_("Today"),
}


def js_texts() -> dict[str, str]:
    return {key: gettext(text) for key, text in JS_TEXTS.items()}


def lead_status_choices() -> list[tuple[str, str]]:
    return [
        (code, rendering.LEAD_STATUS_LABELS.get(code, code)) for code in LEAD_STATUSES
    ]


# The assignment filter of the list, in the order the select shows it.
ASSIGNED_LABELS = (
    (queries.ASSIGNED_MINE, N_("Mine")),
    (queries.ASSIGNED_NOBODY, N_("Unassigned")),
    (queries.ASSIGNED_ALL, N_("All conversations")),
)


def assigned_choices() -> list[tuple[str, str]]:
    return [(code, gettext(label)) for code, label in ASSIGNED_LABELS]


async def chat_context(
    session: AsyncSession,
    zone: tzinfo,
    conversation: Conversation,
    contact: Contact,
    messages: Sequence[Message],
    channel: Channel | None = None,
) -> ChatContext:
    """Load what the bubbles of these messages show besides themselves."""
    reply_ids = {m.reply_to_wa_message_id for m in messages if m.reply_to_wa_message_id}
    agent_ids = {m.sent_by_user_id for m in messages if m.sent_by_user_id}
    return ChatContext(
        zone=zone,
        contact=contact,
        conversation=conversation,
        channel=channel,
        quotes=await queries.messages_by_wa_id(session, reply_ids),
        agent_names=await queries.user_names(session, agent_ids),
    )


def render(name: str, **context: Any) -> str:
    return templates.get_template(name).render(**context)


def render_row(row: RowView, open_conversation_id: int | None = None) -> str:
    return render("inbox/_row.html", row=row, open_conversation_id=open_conversation_id)


def render_message(message: Message, chat: ChatContext) -> str:
    return render("inbox/_message.html", message=message, chat=chat)


def older_cursor(
    messages: Sequence[Message], limit: int = queries.MESSAGES_PER_PAGE
) -> str | None:
    """Return the cursor of the page before these messages, or None on the first page."""
    if len(messages) < limit:
        return None
    first = messages[0]
    return queries.Cursor(first.timestamp, first.id).encode()
