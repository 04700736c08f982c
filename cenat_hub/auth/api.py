"""Accounts: login, the current user, user administration and the audit log."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from cenat_hub.auth import audit, service
from cenat_hub.auth.schemas import (
    AuditActorOut,
    AuditEntryOut,
    LoginRequest,
    PasswordChange,
    TokenResponse,
    UserCreate,
    UserOut,
    UserUpdate,
)
from cenat_hub.web.dependencies import (
    CurrentAdmin,
    CurrentUser,
    IdPath,
    OptionalIdQuery,
    Session,
    State,
    client_address,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])
audit_router = APIRouter(prefix="/api/audit", tags=["audit"])

MAX_AUDIT_PAGE = 200


def _token_response(result: service.LoginResult) -> TokenResponse:
    return TokenResponse(
        access_token=result.access_token,
        expires_at=result.expires_at,
        user=UserOut.model_validate(result.user),
    )


@router.post("/login")
async def login(
    body: LoginRequest, request: Request, session: Session, state: State
) -> TokenResponse:
    try:
        result = await service.authenticate(
            session, state.settings, body.email, body.password, client_address(request)
        )
    except service.LoginFailedError:
        # The failed attempt must be stored although the request fails.
        await session.commit()
        raise
    return _token_response(result)


@router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post("/password")
async def change_password(
    body: PasswordChange,
    request: Request,
    session: Session,
    state: State,
    user: CurrentUser,
) -> TokenResponse:
    """Change the caller's password; every older token of theirs stops working."""
    try:
        result = await service.change_own_password(
            session,
            state.settings,
            user,
            current_password=body.current_password,
            new_password=body.new_password,
            client_address=client_address(request),
        )
    except service.WrongCurrentPasswordError:
        # The failed attempt must be stored although the request fails.
        await session.commit()
        raise
    return _token_response(result)


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(body: UserCreate, session: Session, admin: CurrentAdmin) -> UserOut:
    user = await service.create_user(
        session,
        name=body.name,
        email=body.email,
        password=body.password,
        role=body.role,
        actor=admin,
    )
    return UserOut.model_validate(user)


@router.get("/users")
async def list_users(session: Session, _admin: CurrentAdmin) -> list[UserOut]:
    return [UserOut.model_validate(user) for user in await service.list_users(session)]


@router.patch("/users/{user_id}")
async def update_user(
    user_id: IdPath, body: UserUpdate, session: Session, admin: CurrentAdmin
) -> UserOut:
    user = await service.update_user(session, admin, user_id, body)
    return UserOut.model_validate(user)


@audit_router.get("")
async def list_audit_entries(
    session: Session,
    _admin: CurrentAdmin,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 50,
    before_id: OptionalIdQuery = None,
    target_type: Annotated[str | None, Query(max_length=30)] = None,
    target_id: OptionalIdQuery = None,
) -> list[AuditEntryOut]:
    """Return administrative actions, newest first; page with ``before_id``."""
    rows = await audit.list_entries(
        session,
        limit=limit,
        before_id=before_id,
        target_type=target_type,
        target_id=target_id,
    )
    return [
        AuditEntryOut(
            id=entry.id,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            details=entry.details,
            created_at=entry.created_at,
            actor=AuditActorOut.model_validate(actor) if actor else None,
        )
        for entry, actor in rows
    ]
