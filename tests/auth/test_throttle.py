"""Login throttling: 5 failures per account and 20 per address in 15 minutes."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from cenat_hub.config import Settings
from cenat_hub.models import LoginAttempt, User
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, login


async def _fail(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"email": email, "password": "palpite-errado"}
    )


async def _age_attempts(state: AppState, by: timedelta) -> None:
    """Move every stored attempt back in time, as if ``by`` had passed."""
    async with state.session_factory() as session:
        for attempt in (await session.execute(select(LoginAttempt))).scalars():
            attempt.attempted_at -= by
        await session.commit()


async def test_sixth_attempt_on_account_is_429(
    client: httpx.AsyncClient, admin: User
) -> None:
    for _ in range(5):
        assert (await _fail(client, admin.email)).status_code == 401

    response = await client.post(
        "/api/auth/login", json={"email": admin.email, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 429
    assert response.json()["detail"] == (
        "Too many failed logins for this account; try again in 15 minutes."
    )
    retry_after = int(response.headers["Retry-After"])
    assert 14 * 60 < retry_after <= 15 * 60
    assert response.json()["details"]["retry_after_seconds"] == retry_after


async def test_lockout_ends_when_failures_leave_window(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    for _ in range(5):
        await _fail(client, admin.email)
    await _age_attempts(state, timedelta(minutes=10))
    assert (await _fail(client, admin.email)).status_code == 429

    await _age_attempts(state, timedelta(minutes=5, seconds=1))
    await login(client, admin.email, ADMIN_PASSWORD)


async def test_retry_time_follows_oldest_counted_failure(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    await _fail(client, admin.email)
    await _age_attempts(state, timedelta(minutes=12))
    for _ in range(4):
        await _fail(client, admin.email)
    response = await _fail(client, admin.email)
    assert response.status_code == 429
    assert 2 * 60 < int(response.headers["Retry-After"]) <= 3 * 60
    assert response.json()["detail"].endswith("try again in 3 minutes.")


async def test_success_clears_account_count(
    client: httpx.AsyncClient, admin: User
) -> None:
    for _ in range(4):
        await _fail(client, admin.email)
    await login(client, admin.email, ADMIN_PASSWORD)
    for _ in range(4):
        assert (await _fail(client, admin.email)).status_code == 401
    await login(client, admin.email, ADMIN_PASSWORD)


async def test_unknown_email_is_throttled_too(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await _fail(client, "ninguem@teste.invalid")).status_code == 401
    assert (await _fail(client, "ninguem@teste.invalid")).status_code == 429


async def test_other_accounts_unaffected_by_lockout(
    client: httpx.AsyncClient, admin: User
) -> None:
    for _ in range(5):
        await _fail(client, "ninguem@teste.invalid")
    await login(client, admin.email, ADMIN_PASSWORD)


async def test_throttled_attempt_skips_password_check(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    for _ in range(5):
        await _fail(client, admin.email)
    await _fail(client, admin.email)
    async with state.session_factory() as session:
        count = (
            await session.execute(select(func.count()).select_from(LoginAttempt))
        ).scalar_one()
    assert count == 5


class TestAddressLimit:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"login_max_failures_per_address": 4})

    async def test_address_limit_spans_accounts(
        self, client: httpx.AsyncClient, admin: User
    ) -> None:
        for number in range(4):
            email = f"alvo{number}@teste.invalid"
            assert (await _fail(client, email)).status_code == 401
        response = await client.post(
            "/api/auth/login", json={"email": admin.email, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 429
        assert "for this address" in response.json()["detail"]

    async def test_success_does_not_clear_address_count(
        self, client: httpx.AsyncClient, admin: User
    ) -> None:
        for number in range(3):
            await _fail(client, f"alvo{number}@teste.invalid")
        await login(client, admin.email, ADMIN_PASSWORD)
        assert (await _fail(client, "alvo9@teste.invalid")).status_code == 401
        assert (await _fail(client, "alvo8@teste.invalid")).status_code == 429


def test_default_limits() -> None:
    settings = Settings(_env_file=None)
    assert settings.login_throttle_window_minutes == 15
    assert settings.login_max_failures_per_account == 5
    assert settings.login_max_failures_per_address == 20


async def test_wrong_current_password_counts_as_failure(
    client: httpx.AsyncClient, agent: User, agent_headers: dict[str, str]
) -> None:
    body = {"current_password": "palpite-errado", "new_password": "nova-senha-123"}
    for _ in range(5):
        response = await client.post(
            "/api/auth/password", json=body, headers=agent_headers
        )
        assert response.status_code == 400
    response = await client.post("/api/auth/password", json=body, headers=agent_headers)
    assert response.status_code == 429
    assert (await _fail(client, agent.email)).status_code == 429
