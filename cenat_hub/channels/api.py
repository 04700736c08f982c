from fastapi import APIRouter, status

from cenat_hub.channels import service
from cenat_hub.channels.schemas import ChannelCreate, ChannelOut
from cenat_hub.web.dependencies import CurrentAdmin, CurrentUser, Session, State

router = APIRouter(prefix="/api/channels", tags=["channels"])


@router.get("")
async def list_channels(session: Session, _user: CurrentUser) -> list[ChannelOut]:
    channels = await service.list_active_channels(session)
    return [ChannelOut.model_validate(channel) for channel in channels]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_channel(
    body: ChannelCreate, session: Session, state: State, admin: CurrentAdmin
) -> ChannelOut:
    channel = await service.create_channel(session, state.cipher, body, actor=admin)
    return ChannelOut.model_validate(channel)
