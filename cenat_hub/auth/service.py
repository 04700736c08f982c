"""Account rules: creating users and checking credentials."""

from datetime import timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.config import Settings
from cenat_hub.errors import AuthenticationError, ConflictError, InvalidInputError
from cenat_hub.models import User
from cenat_hub.models.user import ROLES
from cenat_hub.security.passwords import dummy_verify, hash_password, verify_password
from cenat_hub.security.tokens import create_access_token

log = structlog.get_logger(__name__)

MIN_PASSWORD_CHARS = 8


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(func.lower(User.email) == normalize_email(email))
    return (await session.execute(statement)).scalar_one_or_none()


async def create_user(
    session: AsyncSession, *, name: str, email: str, password: str, role: str
) -> User:
    if role not in ROLES:
        raise InvalidInputError(
            f"Role {role!r} is invalid; use one of {', '.join(ROLES)}."
        )
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInputError(
            f"Password is too short; use at least {MIN_PASSWORD_CHARS} characters."
        )
    if "@" not in email:
        raise InvalidInputError(f"Email {email!r} is invalid.")
    if await find_user_by_email(session, email):
        raise ConflictError(
            f"A user with email {normalize_email(email)} already exists."
        )
    user = User(
        name=name.strip(),
        email=normalize_email(email),
        password_hash=hash_password(password),
        role=role,
        is_active=True,
        token_version=0,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(
    session: AsyncSession, settings: Settings, email: str, password: str
) -> tuple[str, User]:
    """Check credentials and issue an access token; raise on any failure."""
    user = await find_user_by_email(session, email)
    if user is None:
        dummy_verify()
        log.info("auth.login_failed", reason="unknown_email")
        raise AuthenticationError("Email or password is incorrect.")
    valid, new_hash = verify_password(password, user.password_hash)
    if not valid:
        log.info("auth.login_failed", reason="wrong_password", user_id=user.id)
        raise AuthenticationError("Email or password is incorrect.")
    if not user.is_active:
        log.info("auth.login_failed", reason="inactive", user_id=user.id)
        raise AuthenticationError(
            "This user is deactivated; ask an admin to activate it."
        )
    if new_hash:
        user.password_hash = new_hash
    token, _ = create_access_token(
        user.id,
        user.token_version,
        settings.jwt_secret.get_secret_value(),
        timedelta(hours=settings.jwt_expire_hours),
    )
    log.info("auth.login_succeeded", user_id=user.id)
    return token, user
