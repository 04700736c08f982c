"""A data set with dashboard answers worked out by hand.

``NOW`` is 2026-03-10 15:00 UTC, 12:00 in São Paulo (UTC-3, no daylight
saving time since 2019). The 7-day period runs from 2026-03-04 00:00 local
(03:00 UTC) to ``NOW``. Waits answered by agents, in seconds:

- agent Ana: 300 and 600 (conversation 1), 1200 (conversation 6), and 120
  (conversation 5, whose wait began before the 7-day period)
- agent Bruno: 60 and 3600 (conversation 2)
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.conversations.waits import rebuild_conversation_waits
from cenat_hub.db.types import utcnow
from cenat_hub.models import (
    Channel,
    Contact,
    Conversation,
    LeadEvent,
    LostReason,
    Message,
    User,
)
from cenat_hub.models.contact import status_bit

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """Parse '2026-03-10 10:00' as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Dataset:
    channel_a: int = 0
    channel_b: int = 0
    ana: int = 0
    bruno: int = 0
    conversations: dict[str, int] = field(default_factory=dict)


class Builder:
    """Add rows with the fields the dashboard reads, nothing more."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.sequence = 0

    async def channel(self, name: str, phone_number_id: str) -> Channel:
        channel = Channel(
            name=name,
            phone_number="5511900000100",
            phone_number_id=phone_number_id,
            whatsapp_token="not-used",
            is_active=True,
        )
        self.session.add(channel)
        await self.session.flush()
        return channel

    async def user(self, name: str, email: str) -> User:
        user = User(name=name, email=email, password_hash="x", role="atendente")
        self.session.add(user)
        await self.session.flush()
        return user

    async def contact(
        self,
        wa_id: str,
        channel: Channel,
        created_at: str,
        status: str = "novo",
        lost_reason: LostReason | None = None,
        status_changed_at: str | None = None,
    ) -> Contact:
        contact = Contact(
            wa_id=wa_id,
            name=f"Lead {wa_id[-2:]} Teste",
            lead_status=status,
            channel_id=channel.id,
            lost_reason_id=lost_reason.id if lost_reason else None,
            status_changed_at=at(status_changed_at) if status_changed_at else None,
            created_at=at(created_at),
        )
        self.session.add(contact)
        await self.session.flush()
        return contact

    async def status_events(self, contact: Contact, statuses: list[str]) -> None:
        """Add status_changed events, and their statuses to the reached bits."""
        old = "novo"
        for status in statuses:
            contact.reached_statuses |= status_bit(status)
            self.session.add(
                LeadEvent(
                    contact_id=contact.id,
                    kind="status_changed",
                    old_value={"lead_status": old},
                    new_value={"lead_status": status},
                    created_at=utcnow(),
                )
            )
            old = status
        await self.session.flush()

    async def conversation(
        self,
        contact: Contact,
        channel: Channel,
        messages: list[tuple[str, str, User | None, str]],
    ) -> Conversation:
        """Add a conversation and its messages: (time, direction, agent, status).

        A status of "reaction" stores a reaction instead of a text.
        """
        conversation = Conversation(
            channel_id=channel.id, contact_id=contact.id, unread_count=0
        )
        self.session.add(conversation)
        await self.session.flush()
        for when, direction, agent, status in messages:
            self.sequence += 1
            is_reaction = status == "reaction"
            self.session.add(
                Message(
                    wa_message_id=f"wamid.DS{self.sequence}",
                    channel_id=channel.id,
                    contact_id=contact.id,
                    conversation_id=conversation.id,
                    contact_wa_id=contact.wa_id,
                    direction=direction,
                    message_type="reaction" if is_reaction else "text",
                    content=None if is_reaction else f"mensagem {self.sequence}",
                    timestamp=at(when),
                    status="received" if is_reaction else status,
                    sent_by_user_id=agent.id if agent else None,
                )
            )
        visible = [m for m in messages if m[3] not in ("reaction", "failed")]
        last = max(visible, key=lambda m: m[0])
        inbound_times = [m[0] for m in visible if m[1] == "inbound"]
        conversation.last_message_at = at(last[0])
        conversation.last_message_direction = last[1]
        conversation.last_inbound_at = at(max(inbound_times)) if inbound_times else None
        await self.session.flush()
        # The rows went in without the write paths, so derive the waits here.
        await rebuild_conversation_waits(self.session, conversation)
        await self.session.flush()
        return conversation


async def build_dataset(session: AsyncSession) -> Dataset:
    make = Builder(session)
    a = await make.channel("Canal A", "100000000000011")
    b = await make.channel("Canal B", "100000000000012")
    ana = await make.user("Ana Atendente", "ana@teste.invalid")
    bruno = await make.user("Bruno Atendente", "bruno@teste.invalid")
    price = LostReason(name="Preço", is_active=True, position=1)
    session.add(price)
    await session.flush()

    lead1 = await make.contact("5511900000001", a, "2026-03-10 10:00", "contato")
    lead2 = await make.contact("5511900000002", b, "2026-03-09 12:00", "matriculado")
    lead3 = await make.contact("5511900000003", a, "2026-03-10 14:30")
    # 02:30 UTC on 9 March is 23:30 on 8 March in São Paulo.
    lead4 = await make.contact(
        "5511900000004", b, "2026-03-09 02:30", "perdido", price, "2026-03-09 20:00"
    )
    # One minute before the 7-day period starts; inside the 30-day period.
    lead5 = await make.contact(
        "5511900000005", a, "2026-03-04 02:59", "perdido", None, "2026-03-04 01:00"
    )
    # The first instant of the 7-day period.
    lead6 = await make.contact("5511900000006", a, "2026-03-04 03:00", "qualificado")
    lead7 = await make.contact("5511900000007", b, "2026-02-20 12:00")
    await make.status_events(lead1, ["contato"])
    await make.status_events(lead2, ["contato", "qualificado", "matriculado"])
    await make.status_events(lead4, ["contato", "perdido"])
    await make.status_events(lead5, ["perdido"])
    await make.status_events(lead6, ["qualificado"])

    conversations = {
        "c1": await make.conversation(
            lead1,
            a,
            [
                ("2026-03-10 10:00", "inbound", None, "received"),
                ("2026-03-10 10:05", "outbound", ana, "read"),
                ("2026-03-10 10:06", "inbound", None, "reaction"),
                ("2026-03-10 11:00", "inbound", None, "received"),
                ("2026-03-10 11:02", "inbound", None, "received"),
                ("2026-03-10 11:05", "outbound", ana, "failed"),
                ("2026-03-10 11:10", "outbound", ana, "delivered"),
            ],
        ),
        "c2": await make.conversation(
            lead2,
            b,
            [
                ("2026-03-09 12:00", "inbound", None, "received"),
                ("2026-03-09 12:01", "outbound", bruno, "read"),
                ("2026-03-09 12:02", "outbound", bruno, "read"),
                ("2026-03-09 13:00", "inbound", None, "received"),
                # Sent from the WhatsApp Business app: no agent, no response time.
                ("2026-03-09 13:05", "outbound", None, "sent"),
                ("2026-03-09 14:00", "outbound", bruno, "sent"),
            ],
        ),
        "c3": await make.conversation(
            lead3, a, [("2026-03-10 14:30", "inbound", None, "received")]
        ),
        "c4": await make.conversation(
            lead4, b, [("2026-03-09 02:30", "inbound", None, "received")]
        ),
        "c5": await make.conversation(
            lead5,
            a,
            [
                ("2026-03-04 02:59", "inbound", None, "received"),
                ("2026-03-04 03:01", "outbound", ana, "read"),
            ],
        ),
        "c6": await make.conversation(
            lead6,
            a,
            [
                ("2026-03-04 03:00", "inbound", None, "received"),
                ("2026-03-04 03:20", "outbound", ana, "read"),
            ],
        ),
        "c7": await make.conversation(
            lead7,
            b,
            [
                ("2026-03-10 12:00", "outbound", bruno, "delivered"),
                ("2026-03-10 12:30", "inbound", None, "received"),
                ("2026-03-10 13:00", "inbound", None, "received"),
            ],
        ),
    }
    return Dataset(
        channel_a=a.id,
        channel_b=b.id,
        ana=ana.id,
        bruno=bruno.id,
        conversations={name: c.id for name, c in conversations.items()},
    )
