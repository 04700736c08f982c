"""Channel rules: creation, lookup and the token a channel calls Meta with."""

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.auth import audit
from cenat_hub.channels.schemas import ChannelCreate
from cenat_hub.contacts.phone import digits_only
from cenat_hub.errors import ConflictError, NotFoundError
from cenat_hub.models import Channel, User
from cenat_hub.security.crypto import TokenCipher

log = structlog.get_logger(__name__)


async def list_active_channels(session: AsyncSession) -> list[Channel]:
    statement = select(Channel).where(Channel.is_active.is_(True)).order_by(Channel.id)
    return list((await session.execute(statement)).scalars())


async def get_channel(session: AsyncSession, channel_id: int) -> Channel:
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise NotFoundError(f"Channel {channel_id} not found.")
    return channel


async def create_channel(
    session: AsyncSession,
    cipher: TokenCipher,
    data: ChannelCreate,
    actor: User | None = None,
) -> Channel:
    """Create a channel with its token encrypted, and record who created it."""
    existing = (
        await session.execute(
            select(Channel).where(Channel.phone_number_id == data.phone_number_id)
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise ConflictError(
            f"A channel with phone_number_id {data.phone_number_id} already exists "
            f"(channel {existing.id})."
        )
    channel = Channel(
        name=data.name,
        phone_number=digits_only(data.phone_number),
        phone_number_id=data.phone_number_id,
        waba_id=data.waba_id,
        whatsapp_token=cipher.encrypt(data.whatsapp_token),
        is_active=True,
    )
    session.add(channel)
    await session.flush()
    log.info(
        "channel.created",
        channel_id=channel.id,
        phone_number_id=channel.phone_number_id,
    )
    await audit.record(
        session,
        actor=actor,
        action=audit.CHANNEL_CREATED,
        target_type=audit.TARGET_CHANNEL,
        target_id=channel.id,
        details={
            "name": channel.name,
            "phone_number": channel.phone_number,
            "phone_number_id": channel.phone_number_id,
        },
    )
    return channel


async def upsert_configured_channel(
    session: AsyncSession,
    cipher: TokenCipher,
    *,
    phone_number_id: str,
    token: str,
    waba_id: str | None,
    phone_number: str | None,
) -> Channel:
    """Create or refresh the channel named by ``WHATSAPP_PHONE_ID``/``WHATSAPP_TOKEN``."""
    channel = (
        await session.execute(
            select(Channel).where(Channel.phone_number_id == phone_number_id)
        )
    ).scalar_one_or_none()
    if channel is None:
        channel = Channel(
            name="WhatsApp",
            phone_number=digits_only(phone_number or ""),
            phone_number_id=phone_number_id,
            waba_id=waba_id,
            whatsapp_token=cipher.encrypt(token),
            is_active=True,
        )
        session.add(channel)
        await session.flush()
        log.info("channel.created_from_environment", channel_id=channel.id)
        return channel
    channel.whatsapp_token = cipher.encrypt(token)
    channel.waba_id = waba_id or channel.waba_id
    if phone_number:
        channel.phone_number = digits_only(phone_number)
    return channel
