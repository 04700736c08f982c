"""Channel rules: creation, editing, activation, the token check and lookups."""

from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.auth import audit
from cenat_hub.channels.access import channel_clause, set_user_channels
from cenat_hub.channels.schemas import (
    ChannelCheck,
    ChannelCheckError,
    ChannelCreate,
    ChannelUpdate,
)
from cenat_hub.contacts.phone import digits_only
from cenat_hub.errors import ConflictError, NotFoundError
from cenat_hub.i18n import gettext
from cenat_hub.integrations.whatsapp.client import GraphClient
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.models import Channel, User
from cenat_hub.security.crypto import TokenCipher

log = structlog.get_logger(__name__)

# Meta's quality rating of a phone number, as the Canais page names it.
QUALITY_RATING_LABELS = {
    "GREEN": "Alta",
    "YELLOW": "Média",
    "RED": "Baixa",
    "UNKNOWN": "Desconhecida",
    "NA": "Sem avaliação",
}


async def list_channels(
    session: AsyncSession,
    visible: set[int] | None = None,
    *,
    include_inactive: bool = False,
) -> list[Channel]:
    """List channels by id, limited to ``visible`` ids when given."""
    statement = select(Channel).where(channel_clause(Channel.id, visible))
    if not include_inactive:
        statement = statement.where(Channel.is_active.is_(True))
    return list((await session.execute(statement.order_by(Channel.id))).scalars())


async def list_active_channels(session: AsyncSession) -> list[Channel]:
    return await list_channels(session)


async def get_channel(session: AsyncSession, channel_id: int) -> Channel:
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise NotFoundError(f"Channel {channel_id} not found.")
    return channel


async def _audit(
    session: AsyncSession,
    actor: User | None,
    action: str,
    target_id: int,
    details: dict[str, Any] | None = None,
) -> None:
    await audit.record(
        session,
        actor=actor,
        action=action,
        target_type=audit.TARGET_CHANNEL,
        target_id=target_id,
        details=details,
    )


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
    await _audit(
        session,
        actor,
        audit.CHANNEL_CREATED,
        channel.id,
        {
            "name": channel.name,
            "phone_number": channel.phone_number,
            "phone_number_id": channel.phone_number_id,
        },
    )
    return channel


async def update_channel(
    session: AsyncSession,
    cipher: TokenCipher,
    channel_id: int,
    data: ChannelUpdate,
    actor: User,
) -> Channel:
    """Apply the fields present in ``data``; a new token replaces the stored one."""
    channel = await get_channel(session, channel_id)
    fields = data.model_fields_set
    changed = []
    if "name" in fields and data.name is not None and data.name != channel.name:
        channel.name = data.name
        changed.append("name")
    if (
        "phone_number" in fields
        and data.phone_number is not None
        and data.phone_number != channel.phone_number
    ):
        channel.phone_number = data.phone_number
        changed.append("phone_number")
    if "waba_id" in fields and data.waba_id != channel.waba_id:
        channel.waba_id = data.waba_id
        changed.append("waba_id")
    if "whatsapp_token" in fields and data.whatsapp_token is not None:
        channel.whatsapp_token = cipher.encrypt(data.whatsapp_token)
        changed.append("whatsapp_token")
    if changed:
        await session.flush()
        await _audit(
            session,
            actor,
            "channel.updated",
            channel.id,
            {"fields": changed},
        )
        log.info("channel.updated", channel_id=channel.id, fields=changed)
    return channel


async def set_channel_active(
    session: AsyncSession, channel_id: int, active: bool, actor: User
) -> Channel:
    """Activate or deactivate a channel; its conversations and messages stay."""
    channel = await get_channel(session, channel_id)
    if channel.is_active == active:
        return channel
    channel.is_active = active
    await session.flush()
    action = "channel.activated" if active else "channel.deactivated"
    await _audit(session, actor, action, channel.id)
    log.info(action, channel_id=channel.id)
    return channel


def read_token(cipher: TokenCipher, channel: Channel) -> str | None:
    """Decrypt a channel's token, or return None when ``ENCRYPTION_KEY`` changed."""
    try:
        return cipher.decrypt(channel.whatsapp_token)
    except ValueError:
        log.warning("channel.token_unreadable", channel_id=channel.id)
        return None


def unreadable_token_check(channel_id: int) -> ChannelCheck:
    return ChannelCheck(
        channel_id=channel_id,
        ok=False,
        error=ChannelCheckError(
            code=None,
            http_status=None,
            message=gettext(
                "The saved token cannot be read with the current encryption key. "
                "Save the channel's token again."
            ),
            meta_message="",
        ),
    )


async def check_channel(
    graph: GraphClient, channel_id: int, phone_number_id: str, token: str
) -> ChannelCheck:
    """Call the Graph API with the channel's token and report what Meta returns.

    Call it with no database transaction open: Meta can take seconds to answer.
    """
    try:
        body = await graph.get_phone_number(phone_number_id, token)
    except GraphAPIError as exc:
        log.info(
            "channel.check_failed",
            channel_id=channel_id,
            code=exc.code,
            http_status=exc.http_status,
        )
        return ChannelCheck(
            channel_id=channel_id,
            ok=False,
            error=ChannelCheckError(
                code=exc.code,
                http_status=exc.http_status,
                message=_check_error_text(exc),
                meta_message=exc.title,
            ),
        )
    rating = _short_text(body.get("quality_rating"))
    log.info("channel.check_succeeded", channel_id=channel_id)
    return ChannelCheck(
        channel_id=channel_id,
        ok=True,
        display_phone_number=_short_text(body.get("display_phone_number")),
        verified_name=_short_text(body.get("verified_name")),
        quality_rating=rating,
        quality_rating_label=QUALITY_RATING_LABELS.get(rating or "", rating),
    )


def _check_error_text(exc: GraphAPIError) -> str:
    if exc.code is None and exc.http_status in (503, 504):
        return gettext("Could not reach Meta right now. Try again in a moment.")
    if exc.code == 100:
        return gettext(
            "Meta did not find this Phone Number ID with the given token. "
            "Check the Phone Number ID and whether the token has access to this number."
        )
    return exc.portuguese


def _short_text(value: object, limit: int = 200) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]


async def limit_user_channels(
    session: AsyncSession, actor: User, user_id: int, channel_ids: list[int]
) -> list[int]:
    """Limit an agent to some channels, recording who did it."""
    stored = await set_user_channels(session, user_id, channel_ids)
    await audit.record(
        session,
        actor=actor,
        action="user.channels_set",
        target_type=audit.TARGET_USER,
        target_id=user_id,
        details={"channel_ids": stored},
    )
    log.info("user.channels_set", user_id=user_id, channel_count=len(stored))
    return stored


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
