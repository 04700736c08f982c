"""Request dependencies: the session of a request and the logged-in user."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.errors import AuthenticationError, PermissionDeniedError
from cenat_hub.i18n import N_
from cenat_hub.models import User
from cenat_hub.models.user import ROLE_ADMIN
from cenat_hub.security.tokens import decode_access_token
from cenat_hub.web.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    is_valid_csrf,
)
from cenat_hub.web.state import AppState, app_state

_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class SignedInUser:
    """The user of a request, kept apart from the ORM object.

    The error page is rendered after the request's session has rolled back
    and closed, when the ``User`` object can no longer load its attributes.
    """

    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


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

# Row ids are 32-bit integers on PostgreSQL; larger values cannot name a row.
MAX_DATABASE_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_DATABASE_ID)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_DATABASE_ID)]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=MAX_DATABASE_ID)]
State = Annotated[AppState, Depends(app_state)]


def client_address(request: Request) -> str:
    """Return the client's IP address as uvicorn resolved it.

    Behind a reverse proxy, uvicorn replaces the proxy's address with the one
    in ``X-Forwarded-For`` only when the proxy is listed in
    ``--forwarded-allow-ips`` (127.0.0.1 by default), so clients cannot
    choose the address they are throttled under.
    """
    return request.client.host if request.client else "unknown"


async def current_user(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Return the user of the bearer token or session cookie, or raise 401.

    A request authenticated by the cookie with an unsafe method must also
    carry the session's CSRF token, or it is rejected with 403, because
    browsers attach the cookie to requests that other sites start. Only our
    pages know the token. Browsers never attach a bearer token on their own,
    so a bearer request needs no CSRF token.
    """
    if credentials is not None:
        token, from_cookie = credentials.credentials, False
    else:
        token, from_cookie = request.cookies.get(SESSION_COOKIE), True
    if not token:
        raise AuthenticationError(
            "Not authenticated; log in and send the bearer token."
        )
    secret = app_state(request).settings.jwt_secret.get_secret_value()
    claims = decode_access_token(token, secret)
    if claims is None:
        raise AuthenticationError("Token is invalid or expired; log in again.")
    user = await session.get(User, int(claims["sub"]))
    if user is None or not user.is_active or user.token_version != claims["ver"]:
        raise AuthenticationError("Token is no longer valid; log in again.")
    if from_cookie and request.method not in SAFE_METHODS:
        await _check_csrf(request, token, secret)
    request.state.signed_in = SignedInUser(user.id, user.name, user.role)
    return user


async def _check_csrf(request: Request, session_token: str, secret: str) -> None:
    presented = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if presented is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FORM_FIELD)
        presented = field if isinstance(field, str) else None
    if not is_valid_csrf(session_token, presented, secret):
        raise PermissionDeniedError(
            f"CSRF token is missing or invalid; send the {CSRF_HEADER} header "
            "of the page, or use a bearer token.",
            page_message=N_("The form expired. Reload the page and try again."),
            reason="csrf",
        )


CurrentUser = Annotated[User, Depends(current_user)]


async def current_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise PermissionDeniedError(
            "This action needs the admin role.",
            page_message=N_("This action is restricted to administrators."),
        )
    return user


CurrentAdmin = Annotated[User, Depends(current_admin)]
