"""Routes of channels (the company's WhatsApp numbers) and of agents' channel limits."""

from fastapi import APIRouter, status

from cenat_hub.channels import service
from cenat_hub.channels.access import user_channel_ids, visible_channel_ids
from cenat_hub.channels.schemas import (
    ChannelCheck,
    ChannelCreate,
    ChannelOut,
    ChannelUpdate,
    UserChannelsOut,
    UserChannelsUpdate,
)
from cenat_hub.errors import NotFoundError, PermissionDeniedError
from cenat_hub.models import User
from cenat_hub.web.dependencies import CurrentAdmin, CurrentUser, IdPath, Session, State

router = APIRouter(prefix="/api/channels", tags=["channels"])
users_router = APIRouter(prefix="/api/users", tags=["channels"])


@router.get("")
async def list_channels(
    session: Session, user: CurrentUser, include_inactive: bool = False
) -> list[ChannelOut]:
    """List the active channels the user may see; admins may add deactivated ones."""
    if include_inactive and not user.is_admin:
        raise PermissionDeniedError(
            "Listing deactivated channels needs the admin role."
        )
    visible = await visible_channel_ids(session, user)
    channels = await service.list_channels(
        session, visible, include_inactive=include_inactive
    )
    return [ChannelOut.model_validate(channel) for channel in channels]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_channel(
    body: ChannelCreate, session: Session, state: State, admin: CurrentAdmin
) -> ChannelOut:
    channel = await service.create_channel(session, state.cipher, body, admin)
    return ChannelOut.model_validate(channel)


@router.patch("/{channel_id}")
async def update_channel(
    channel_id: IdPath,
    body: ChannelUpdate,
    session: Session,
    state: State,
    admin: CurrentAdmin,
) -> ChannelOut:
    channel = await service.update_channel(
        session, state.cipher, channel_id, body, admin
    )
    return ChannelOut.model_validate(channel)


@router.post("/{channel_id}/deactivate")
async def deactivate_channel(
    channel_id: IdPath, session: Session, admin: CurrentAdmin
) -> ChannelOut:
    """Stop using a number; its history stays and its webhooks are only archived."""
    channel = await service.set_channel_active(session, channel_id, False, admin)
    return ChannelOut.model_validate(channel)


@router.post("/{channel_id}/activate")
async def activate_channel(
    channel_id: IdPath, session: Session, admin: CurrentAdmin
) -> ChannelOut:
    channel = await service.set_channel_active(session, channel_id, True, admin)
    return ChannelOut.model_validate(channel)


@router.post("/{channel_id}/check")
async def check_channel(
    channel_id: IdPath, session: Session, state: State, _admin: CurrentAdmin
) -> ChannelCheck:
    """Ask Meta for the number behind the channel with the channel's own token."""
    channel = await service.get_channel(session, channel_id)
    token = service.read_token(state.cipher, channel)
    phone_number_id = channel.phone_number_id
    # End the transaction before Meta is called: on SQLite it holds the write lock.
    await session.commit()
    if token is None:
        return service.unreadable_token_check(channel_id)
    return await service.check_channel(state.graph, channel_id, phone_number_id, token)


async def _user_channels_out(session: Session, user: User) -> UserChannelsOut:
    return UserChannelsOut(
        user_id=user.id,
        channel_ids=await user_channel_ids(session, user.id),
        all_channels=await visible_channel_ids(session, user) is None,
    )


@users_router.get("/{user_id}/channels")
async def get_user_channels(
    user_id: IdPath, session: Session, user: CurrentUser
) -> UserChannelsOut:
    """Show which channels a user is limited to (admins, or the user themself)."""
    if not user.is_admin and user.id != user_id:
        raise PermissionDeniedError("Only admins can see another user's channels.")
    target = await session.get(User, user_id)
    if target is None:
        raise NotFoundError(f"User {user_id} not found.")
    return await _user_channels_out(session, target)


@users_router.put("/{user_id}/channels")
async def put_user_channels(
    user_id: IdPath, body: UserChannelsUpdate, session: Session, admin: CurrentAdmin
) -> UserChannelsOut:
    """Limit a user to the listed channels; an empty list lets them see every channel."""
    await service.limit_user_channels(session, admin, user_id, body.channel_ids)
    target = await session.get(User, user_id)
    assert target is not None
    return await _user_channels_out(session, target)
