"""Login throttling: failed logins counted per account and per client address.

Failures are rows in ``login_attempts``, so every worker counts the same
failures and a restart keeps them. Within a sliding window (15 minutes by default) an account
accepts 5 failures and a client address 20. Once a limit is reached, further
logins are rejected without checking the password until the oldest counted
failure leaves the window. A successful login clears the account's count but
not the address's, so logging in to one's own account cannot reset the
count of an address that is guessing other passwords.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.config import Settings
from cenat_hub.models import LoginAttempt

# Attempts older than this, or than the window when it is longer, are deleted.
MIN_ATTEMPT_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta
    max_failures_per_account: int
    max_failures_per_address: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "ThrottlePolicy":
        return cls(
            window=timedelta(minutes=settings.login_throttle_window_minutes),
            max_failures_per_account=settings.login_max_failures_per_account,
            max_failures_per_address=settings.login_max_failures_per_address,
        )


@dataclass(frozen=True)
class Lockout:
    """A rejected login: which limit was reached and when to try again."""

    scope: str  # "account" or "address"
    retry_at: datetime

    def retry_after_seconds(self, now: datetime) -> int:
        return max(1, math.ceil((self.retry_at - now).total_seconds()))


def _retry_at(
    failure_times: list[datetime], limit: int, window: timedelta
) -> datetime | None:
    """Return when the count drops below ``limit``, or None when it is below now.

    ``failure_times`` are the failures inside the window, oldest first. After
    the oldest ``count - limit + 1`` of them leave the window, one more attempt
    is allowed.
    """
    if len(failure_times) < limit:
        return None
    return failure_times[len(failure_times) - limit] + window


async def _last_success(
    session: AsyncSession, email: str, since: datetime
) -> datetime | None:
    statement = select(func.max(LoginAttempt.attempted_at)).where(
        LoginAttempt.email == email,
        LoginAttempt.succeeded.is_(True),
        LoginAttempt.attempted_at > since,
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _failure_times(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> list[datetime]:
    statement = (
        select(LoginAttempt.attempted_at)
        .where(LoginAttempt.succeeded.is_(False), *conditions)
        .order_by(LoginAttempt.attempted_at)
    )
    return list((await session.execute(statement)).scalars())


async def find_lockout(
    session: AsyncSession,
    policy: ThrottlePolicy,
    *,
    email: str,
    client_address: str,
    now: datetime,
) -> Lockout | None:
    """Return the lockout that applies to this email and address, if any."""
    since = now - policy.window
    account_since = await _last_success(session, email, since) or since
    account_failures = await _failure_times(
        session,
        LoginAttempt.email == email,
        LoginAttempt.attempted_at > account_since,
    )
    address_failures = await _failure_times(
        session,
        LoginAttempt.client_address == client_address,
        LoginAttempt.attempted_at > since,
    )
    lockouts = []
    account_retry = _retry_at(
        account_failures, policy.max_failures_per_account, policy.window
    )
    if account_retry is not None:
        lockouts.append(Lockout("account", account_retry))
    address_retry = _retry_at(
        address_failures, policy.max_failures_per_address, policy.window
    )
    if address_retry is not None:
        lockouts.append(Lockout("address", address_retry))
    return max(lockouts, key=lambda lockout: lockout.retry_at, default=None)


async def record_attempt(
    session: AsyncSession,
    policy: ThrottlePolicy,
    *,
    email: str,
    client_address: str,
    succeeded: bool,
    now: datetime,
) -> None:
    """Store one attempt and delete the attempts too old to count."""
    retention = max(MIN_ATTEMPT_RETENTION, policy.window)
    await session.execute(
        delete(LoginAttempt).where(LoginAttempt.attempted_at < now - retention)
    )
    session.add(
        LoginAttempt(
            email=email[:255],
            client_address=client_address[:64],
            succeeded=succeeded,
            attempted_at=now,
        )
    )
    await session.flush()
