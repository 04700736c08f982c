"""``GET /api/dashboard/stats``."""

from typing import Annotated

from fastapi import APIRouter, Query

from cenat_hub.channels.access import visible_channel_ids
from cenat_hub.dashboard import service
from cenat_hub.dashboard.schemas import DashboardStats
from cenat_hub.db.types import utcnow
from cenat_hub.web.dependencies import CurrentUser, OptionalIdQuery, Session, State

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])


@router.get("/stats")
async def dashboard_stats(
    session: Session,
    state: State,
    user: CurrentUser,
    channel_id: OptionalIdQuery = None,
    days: Annotated[int, Query(description="7, 30 or 90")] = 7,
) -> DashboardStats:
    """Return the dashboard figures for the channels the user may see."""
    return await service.dashboard_stats(
        session,
        visible=await visible_channel_ids(session, user),
        channel_id=channel_id,
        days=days,
        timezone=state.settings.timezone,
        now=utcnow(),
    )
