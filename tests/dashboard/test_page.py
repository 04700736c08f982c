import re
import time

import httpx

from cenat_hub.dashboard.chart import build_chart, nice_step
from cenat_hub.dashboard.schemas import DailyActivity
from cenat_hub.dashboard.views import format_duration
from cenat_hub.web.security import SESSION_COOKIE
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    AGENT_PASSWORD,
    hidden_field,
    make_agent,
    make_channel,
    text_message_payload,
)


async def _login_page(client: httpx.AsyncClient, state: AppState) -> None:
    agent = await make_agent(state)
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": agent.email,
            "password": AGENT_PASSWORD,
            "login_csrf": hidden_field(form.text, "login_csrf"),
        },
    )
    assert response.status_code == 303
    assert SESSION_COOKIE in client.cookies


def _bars(html: str, kind: str) -> list[str]:
    return re.findall(rf'<rect class="bar bar-{kind}"', html)


async def test_dashboard_page_renders_chart(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    payload = text_message_payload(
        wamid="wamid.P1",
        name="<img src=x> Ana",
        timestamp=int(time.time()) - 300,
    )
    await post_webhook(client, payload, state)
    await _login_page(client, state)

    response = await client.get("/dashboard")

    assert response.status_code == 200
    assert len(_bars(response.text, "in")) == 7
    assert len(_bars(response.text, "out")) == 7
    assert 'data-day-count="7"' in response.text
    assert '<strong id="card-recebidas">1</strong>' in response.text
    assert "&lt;img src=x&gt; Ana" in response.text
    assert "<img src=x>" not in response.text
    assert "<script>" not in response.text
    assert " style=" not in response.text


async def test_dashboard_htmx_returns_body(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await _login_page(client, state)
    response = await client.get(
        "/dashboard", params={"days": 30}, headers={"HX-Request": "true"}
    )
    assert response.text.lstrip().startswith('<div id="dashboard-body"')
    assert len(_bars(response.text, "in")) == 30
    assert "<html" not in response.text


async def test_dashboard_invalid_days_page(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await _login_page(client, state)
    response = await client.get(
        "/dashboard", params={"days": 5}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 400
    assert "days=5 is invalid" in response.text


async def test_dashboard_page_needs_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_nice_step() -> None:
    assert nice_step(0) == 1
    assert nice_step(4) == 1
    assert nice_step(9) == 5
    assert nice_step(37) == 10
    assert nice_step(180) == 50


def test_chart_bar_heights_scale_to_peak() -> None:
    from datetime import date

    daily = [
        DailyActivity(
            date=date(2026, 3, 9), messages_in=10, messages_out=5, new_leads=0
        ),
        DailyActivity(
            date=date(2026, 3, 10), messages_in=0, messages_out=20, new_leads=2
        ),
    ]
    chart = build_chart(daily)
    assert chart.bars_out[1].height == 4 * chart.bars_out[0].height
    assert chart.bars_in[1].height == 0
    assert chart.bars_in[0].label == "09/03: 10 recebidas"
    assert [label.text for label in chart.y_labels] == ["0", "5", "10", "15", "20"]


def test_format_duration() -> None:
    assert format_duration(None) == "—"
    assert format_duration(45) == "45 s"
    assert format_duration(600) == "10 min"
    assert format_duration(2 * 3600 + 5 * 60) == "2 h 05 min"
    assert format_duration(36 * 3600 + 30 * 60) == "36 h 30 min"
    assert format_duration(3 * 86400 + 3600) == "3 d 1 h"


async def test_dashboard_impossible_channel_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await _login_page(client, state)

    for channel_id in ("²", "0", str(2**31), "9" * 20):
        response = await client.get(
            "/dashboard",
            params={"channel_id": channel_id},
            headers={"Accept": "text/html"},
        )
        assert response.status_code == 400, channel_id
        assert "is invalid; use a channel id" in response.text
