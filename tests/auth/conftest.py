import httpx
import pytest

from cenat_hub.models import User
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, AGENT_PASSWORD, login, make_user

AGENT_EMAIL = "bia.atendente@teste.invalid"


@pytest.fixture
async def admin(state: AppState) -> User:
    return await make_user(state)


@pytest.fixture
async def agent(state: AppState) -> User:
    return await make_user(
        state,
        email=AGENT_EMAIL,
        password=AGENT_PASSWORD,
        role="atendente",
        name="Bia Atendente Teste",
    )


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient, admin: User) -> dict[str, str]:
    return await login(client, admin.email, ADMIN_PASSWORD)


@pytest.fixture
async def agent_headers(client: httpx.AsyncClient, agent: User) -> dict[str, str]:
    return await login(client, agent.email, AGENT_PASSWORD)
