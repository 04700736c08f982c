from datetime import UTC, datetime, timedelta

from fastapi import APIRouter

from cenat_hub.auth import service
from cenat_hub.auth.schemas import LoginRequest, TokenResponse, UserOut
from cenat_hub.web.dependencies import CurrentUser, Session, State

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login")
async def login(body: LoginRequest, session: Session, state: State) -> TokenResponse:
    token, user = await service.authenticate(
        session, state.settings, body.email, body.password
    )
    expires_at = datetime.now(UTC) + timedelta(hours=state.settings.jwt_expire_hours)
    return TokenResponse(
        access_token=token, expires_at=expires_at, user=UserOut.model_validate(user)
    )


@router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)
