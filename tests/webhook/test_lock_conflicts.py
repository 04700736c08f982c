"""A deadlock inside one body gives up the whole batch transaction."""

import asyncio
import os
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from cenat_hub.models import WebhookDelivery
from cenat_hub.web.state import AppState
from cenat_hub.webhook import batch
from cenat_hub.webhook.batch import _apply_body, _BatchResult, _is_lock_conflict

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="deadlock detection needs PostgreSQL",
)


async def _deadlock(state: AppState) -> DBAPIError:
    """Make two transactions wait for each other; return the victim's error."""
    first_locked, second_locked = asyncio.Event(), asyncio.Event()

    async def take(
        own: int, other: int, mine: asyncio.Event, theirs: asyncio.Event
    ) -> None:
        async with state.session_factory() as session, session.begin():
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": own}
            )
            mine.set()
            await theirs.wait()
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": other}
            )

    results = await asyncio.gather(
        take(7001, 7002, first_locked, second_locked),
        take(7002, 7001, second_locked, first_locked),
        return_exceptions=True,
    )
    errors = [result for result in results if isinstance(result, DBAPIError)]
    assert len(errors) == 1
    return errors[0]


async def test_deadlock_is_a_lock_conflict(state: AppState) -> None:
    error = await _deadlock(state)

    assert _is_lock_conflict(error)


def test_other_database_errors_are_not_lock_conflicts() -> None:
    error = IntegrityError("INSERT", {}, Exception("duplicate key"))

    assert not _is_lock_conflict(error)
    assert not _is_lock_conflict(ValueError("no database error"))


async def test_body_deadlock_fails_the_batch(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = await _deadlock(state)

    async def deadlocked(*_args: Any) -> list[Any]:
        raise error

    monkeypatch.setattr(batch, "apply_items", deadlocked)
    delivery = WebhookDelivery(id=1, body=b"{}", attempts=0)
    result = _BatchResult()

    async with state.session_factory() as session:
        with pytest.raises(DBAPIError):
            await _apply_body(session, delivery, [], {}, result)

    assert result.item_by_item == []


async def test_body_error_is_retried_alone(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any) -> list[Any]:
        raise ValueError("unexpected field")

    monkeypatch.setattr(batch, "apply_items", broken)
    delivery = WebhookDelivery(id=1, body=b"{}", attempts=0)
    result = _BatchResult()

    async with state.session_factory() as session:
        await _apply_body(session, delivery, [], {}, result)

    assert result.item_by_item == [(1, [])]
