"""Account rules: logging in, creating users, and what admins may change.

Deactivation, a password reset and a password change raise
``User.token_version``. Tokens carry the version they were issued with, so
every older token of that user is rejected on its next request.
"""

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.auth import audit, throttle
from cenat_hub.auth.schemas import UserUpdate
from cenat_hub.config import Settings
from cenat_hub.db.types import utcnow
from cenat_hub.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TooManyRequestsError,
)
from cenat_hub.models import User
from cenat_hub.models.user import ROLE_ADMIN, ROLES
from cenat_hub.security.passwords import dummy_verify, hash_password, verify_password
from cenat_hub.security.tokens import create_access_token

log = structlog.get_logger(__name__)

MIN_PASSWORD_CHARS = 8
_EMAIL_PATTERN = re.compile(
    r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class LoginFailedError(AuthenticationError):
    """Wrong email or password, or a deactivated user; details carry the reason."""


class WrongCurrentPasswordError(InvalidInputError):
    """The current password given to change a password is wrong."""


class LoginThrottledError(TooManyRequestsError):
    """Too many failed logins; ``details["retry_after_seconds"]`` is the wait."""


@dataclass(frozen=True)
class LoginResult:
    user: User
    access_token: str
    expires_at: datetime


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(func.lower(User.email) == normalize_email(email))
    return (await session.execute(statement)).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} not found.", reason="user_not_found")
    return user


async def list_users(session: AsyncSession) -> list[User]:
    statement = select(User).order_by(User.is_active.desc(), func.lower(User.name))
    return list((await session.execute(statement)).scalars())


def issue_token(settings: Settings, user: User) -> tuple[str, datetime]:
    return create_access_token(
        user.id,
        user.token_version,
        settings.jwt_secret.get_secret_value(),
        timedelta(hours=settings.jwt_expire_hours),
    )


def _check_email(email: str) -> str:
    normalized = normalize_email(email)
    if not _EMAIL_PATTERN.match(normalized):
        raise InvalidInputError(
            f"Email {normalized!r} is invalid; use an address like name@example.com.",
            reason="invalid_email",
        )
    return normalized


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS or not password.strip():
        raise InvalidInputError(
            f"Password is too short; use at least {MIN_PASSWORD_CHARS} characters.",
            reason="password_too_short",
            min_chars=MIN_PASSWORD_CHARS,
        )


def _check_name(name: str) -> str:
    stripped = _CONTROL_CHARACTERS.sub(" ", name).strip()
    if not stripped:
        raise InvalidInputError(
            "Name is empty; enter the person's name.", reason="empty_name"
        )
    return stripped


async def _check_email_free(
    session: AsyncSession, email: str, except_user_id: int | None = None
) -> None:
    existing = await find_user_by_email(session, email)
    if existing is not None and existing.id != except_user_id:
        raise ConflictError(
            f"A user with email {email} already exists.",
            reason="email_taken",
            email=email,
        )


async def create_user(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    password: str,
    role: str,
    actor: User | None = None,
) -> User:
    """Create an active user and record who created it."""
    if role not in ROLES:
        raise InvalidInputError(
            f"Role {role!r} is invalid; use one of {', '.join(ROLES)}.",
            reason="invalid_role",
        )
    name = _check_name(name)
    email = _check_email(email)
    _check_new_password(password)
    await _check_email_free(session, email)

    user = User(
        name=name,
        email=email,
        password_hash=await asyncio.to_thread(hash_password, password),
        role=role,
        is_active=True,
        token_version=0,
    )
    session.add(user)
    await session.flush()

    await audit.record(
        session,
        actor=actor,
        action=audit.USER_CREATED,
        target_type=audit.TARGET_USER,
        target_id=user.id,
        details={"email": user.email, "name": user.name, "role": user.role},
    )
    return user


async def create_admin(
    session: AsyncSession, *, name: str, email: str, password: str
) -> User:
    """Create an admin from the command line, where no user is logged in."""
    return await create_user(
        session, name=name, email=email, password=password, role=ROLE_ADMIN
    )


async def _serialize_attempts(session: AsyncSession, *keys: str) -> None:
    """Make concurrent logins for the same email or address wait for each other.

    Without this, a burst of parallel guesses on PostgreSQL would all be
    checked against the count from before the burst. The locks end with the
    transaction. SQLite needs nothing here because every transaction of the
    service takes the database's write lock when it begins.
    """
    if session.bind.dialect.name != "postgresql":
        return
    for key in sorted(keys):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": key},
        )


async def _check_not_throttled(
    session: AsyncSession,
    policy: throttle.ThrottlePolicy,
    email: str,
    client_address: str,
    now: datetime,
) -> None:
    lockout = await throttle.find_lockout(
        session, policy, email=email, client_address=client_address, now=now
    )
    if lockout is None:
        return
    seconds = lockout.retry_after_seconds(now)
    minutes = -(-seconds // 60)
    log.warning(
        "auth.login_throttled",
        scope=lockout.scope,
        client_address=client_address,
        retry_after_seconds=seconds,
    )
    raise LoginThrottledError(
        f"Too many failed logins for this {lockout.scope}; "
        f"try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        scope=lockout.scope,
        retry_after_seconds=seconds,
    )


async def authenticate(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    client_address: str,
) -> LoginResult:
    """Check credentials and issue an access token; raise on any failure.

    The attempt is stored in ``session`` whether it succeeds or not, so the
    caller must commit even when this raises ``LoginFailedError``.
    ``client_address`` is the address the attempt is throttled under.
    """
    # PostgreSQL text cannot hold NUL, and no stored address contains one, so
    # the attempt is checked and recorded under an address that matches nobody.
    email = normalize_email(email).replace("\x00", "\ufffd")
    policy = throttle.ThrottlePolicy.from_settings(settings)
    await _serialize_attempts(session, f"login:{email}", f"login:{client_address}")
    now = utcnow()
    await _check_not_throttled(session, policy, email, client_address, now)

    user = await find_user_by_email(session, email)
    reason = None
    if user is None:
        await asyncio.to_thread(dummy_verify)
        reason = "unknown_email"
    else:
        valid, new_hash = await asyncio.to_thread(
            verify_password, password, user.password_hash
        )
        if not valid:
            reason = "wrong_password"
        elif not user.is_active:
            reason = "inactive"
        elif new_hash:
            user.password_hash = new_hash
            log.info("auth.password_rehashed", user_id=user.id)

    await throttle.record_attempt(
        session,
        policy,
        email=email,
        client_address=client_address,
        succeeded=reason is None,
        now=now,
    )
    user_id = user.id if user else None
    if reason is not None:
        log.info(
            "auth.login_failed",
            reason=reason,
            user_id=user_id,
            client_address=client_address,
        )
        raise _login_failure(reason)
    assert user is not None

    token, expires_at = issue_token(settings, user)
    log.info("auth.login_succeeded", user_id=user_id, client_address=client_address)
    return LoginResult(user=user, access_token=token, expires_at=expires_at)


def _login_failure(reason: str) -> LoginFailedError:
    if reason == "inactive":
        return LoginFailedError(
            "This user is deactivated; ask an admin to activate it.",
            reason="inactive",
        )
    # Unknown email and wrong password look the same to the caller.
    return LoginFailedError(
        "Email or password is incorrect.", reason="invalid_credentials"
    )


async def change_own_password(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    current_password: str,
    new_password: str,
    client_address: str,
) -> LoginResult:
    """Replace a user's password after checking the current one.

    Every session of the user ends, including the one making the request, so
    a new token is returned. A wrong current password counts as a failed
    login, so a stolen session cannot be used to guess the password. The
    caller must commit even when this raises ``WrongCurrentPasswordError``.
    """
    policy = throttle.ThrottlePolicy.from_settings(settings)
    await _serialize_attempts(session, f"login:{user.email}", f"login:{client_address}")
    now = utcnow()
    await _check_not_throttled(session, policy, user.email, client_address, now)
    _check_new_password(new_password)
    valid, _ = await asyncio.to_thread(
        verify_password, current_password, user.password_hash
    )
    if not valid:
        await throttle.record_attempt(
            session,
            policy,
            email=user.email,
            client_address=client_address,
            succeeded=False,
            now=now,
        )
        log.info("auth.password_change_failed", user_id=user.id)
        raise WrongCurrentPasswordError(
            "Current password is incorrect.", reason="wrong_current_password"
        )

    user.password_hash = await asyncio.to_thread(hash_password, new_password)
    user.token_version += 1
    await audit.record(
        session,
        actor=user,
        action=audit.USER_PASSWORD_CHANGED,
        target_type=audit.TARGET_USER,
        target_id=user.id,
        details={"email": user.email},
    )
    token, expires_at = issue_token(settings, user)
    return LoginResult(user=user, access_token=token, expires_at=expires_at)


async def _lock_users(session: AsyncSession, *user_ids: int) -> None:
    """Lock the rows of the admin and the target user, in id order.

    Two admins deactivating each other at once would otherwise both succeed
    and leave no admin. With the locks, one request waits, then finds its
    admin deactivated and is rejected. SQLite serialises writers already and ignores this.
    """
    statement = (
        select(User.id)
        .where(User.id.in_(sorted(set(user_ids))))
        .order_by(User.id)
        .with_for_update()
    )
    await session.execute(statement)


async def update_user(
    session: AsyncSession, admin: User, user_id: int, changes: UserUpdate
) -> User:
    """Apply an admin's changes to a user and record each kind of change."""
    await _lock_users(session, admin.id, user_id)
    await session.refresh(admin)
    if not (admin.is_active and admin.is_admin):
        raise AuthenticationError("Token is no longer valid; log in again.")
    user = await get_user(session, user_id)
    await session.refresh(user)
    _check_self_change(admin, user, changes)
    if changes.password is not None:
        _check_new_password(changes.password)

    edits = await _apply_profile_changes(session, user, changes)
    if edits:
        await _audit_user(session, admin, user, audit.USER_UPDATED, changes=edits)

    if changes.is_active is not None and changes.is_active != user.is_active:
        user.is_active = changes.is_active
        if not user.is_active:
            user.token_version += 1
        action = audit.USER_ACTIVATED if user.is_active else audit.USER_DEACTIVATED
        await _audit_user(session, admin, user, action)

    if changes.password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, changes.password)
        user.token_version += 1
        await _audit_user(session, admin, user, audit.USER_PASSWORD_RESET)

    await session.flush()
    return user


def _check_self_change(admin: User, user: User, changes: UserUpdate) -> None:
    """Keep an admin from locking themselves out; another admin must do that."""
    if user.id != admin.id:
        return
    if changes.is_active is False:
        raise InvalidInputError(
            "You cannot deactivate your own user; ask another admin.",
            reason="self_deactivation",
        )
    if changes.role is not None and changes.role != user.role:
        raise InvalidInputError(
            "You cannot change your own role; ask another admin.",
            reason="self_role_change",
        )
    if changes.password is not None:
        raise InvalidInputError(
            "Change your own password with POST /api/auth/password, "
            "which asks for the current one.",
            reason="self_password_reset",
        )


async def _apply_profile_changes(
    session: AsyncSession, user: User, changes: UserUpdate
) -> dict[str, dict[str, Any]]:
    """Set name, email and role; return each changed field with its old and new value.

    Every value is checked before the first one is set, so a rejected change
    leaves the user as it was.
    """
    wanted: dict[str, str] = {}
    if changes.name is not None:
        wanted["name"] = _check_name(changes.name)
    if changes.email is not None:
        wanted["email"] = _check_email(changes.email)
        if wanted["email"] != user.email:
            await _check_email_free(session, wanted["email"], except_user_id=user.id)
    if changes.role is not None:
        wanted["role"] = changes.role

    edits: dict[str, dict[str, Any]] = {}
    for field, value in wanted.items():
        old_value = getattr(user, field)
        if value != old_value:
            edits[field] = {"from": old_value, "to": value}
            setattr(user, field, value)
    return edits


async def _audit_user(
    session: AsyncSession,
    admin: User,
    user: User,
    action: str,
    **details: Any,
) -> None:
    await audit.record(
        session,
        actor=admin,
        action=action,
        target_type=audit.TARGET_USER,
        target_id=user.id,
        details={"email": user.email, "name": user.name, **details},
    )
