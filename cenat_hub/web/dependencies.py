"""Request dependencies: the session of a request and the logged-in user."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.errors import AuthenticationError, PermissionDeniedError
from cenat_hub.models import User
from cenat_hub.security.tokens import decode_access_token
from cenat_hub.web.security import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    is_valid_csrf,
)
from cenat_hub.web.state import AppState, app_state

_bearer = HTTPBearer(auto_error=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield the request's session; commit when the route returns normally."""
    async with app_state(request).session_factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


Session = Annotated[AsyncSession, Depends(get_session)]
State = Annotated[AppState, Depends(app_state)]


async def current_user(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Return the user of the bearer token or session cookie, or raise 401."""
    token = (
        credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    )
    if not token:
        raise AuthenticationError(
            "Not authenticated; log in and send the bearer token."
        )
    secret = app_state(request).settings.jwt_secret.get_secret_value()
    if credentials is None:
        _check_csrf(request, token, secret)
    claims = decode_access_token(token, secret)
    if claims is None:
        raise AuthenticationError("Token is invalid or expired; log in again.")
    user = await session.get(User, int(claims["sub"]))
    if user is None or not user.is_active or user.token_version != claims["ver"]:
        raise AuthenticationError("Token is no longer valid; log in again.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def _check_csrf(request: Request, session_token: str, secret: str) -> None:
    """Reject an unsafe request that relies on the session cookie without the token.

    Browsers attach the cookie to requests other sites trigger; only pages of
    this service know the token derived from it.
    """
    if request.method in SAFE_METHODS:
        return
    if not is_valid_csrf(session_token, request.headers.get(CSRF_HEADER), secret):
        raise PermissionDeniedError(
            f"The {CSRF_HEADER} header is missing or invalid; reload the page "
            "and try again."
        )


async def current_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise PermissionDeniedError("This action needs the admin role.")
    return user


CurrentAdmin = Annotated[User, Depends(current_admin)]
