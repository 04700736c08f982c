"""A live hub and simulator on 127.0.0.1, and Debian's Chromium driven by
Playwright.

The hub and the simulator each run under uvicorn in their own thread and
reach each other over real sockets. The chat page is not part of this
package's pages, so the hub gets a test-only page, ``/_test/chat/{wa_id}``,
that renders messages with the ``render_media`` macro and sends files with
``attach.js``, as the inbox does.
"""

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.messages import queries
from cenat_hub.messages.schemas import message_to_dict
from cenat_hub.simulator import SimulatorState, create_simulator_app, demo_config
from cenat_hub.web.dependencies import Session
from cenat_hub.web.pages import PageUser, page_context
from cenat_hub.web.state import AppState
from cenat_hub.web.templating import TEMPLATES_DIR, templates
from tests.conftest import APP_SECRET, empty_all_tables
from tests.factories import make_channel, make_user
from tests.live_server import ServerThread, free_port

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent.parent.parent / "test-artifacts"


def _test_templates() -> Jinja2Templates:
    environment = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(HERE / "templates"), FileSystemLoader(TEMPLATES_DIR)]
        ),
        autoescape=select_autoescape(),
    )
    environment.filters.update(templates.env.filters)
    environment.globals.update(templates.env.globals)
    return Jinja2Templates(env=environment)


def add_test_chat_page(app: FastAPI) -> None:
    page_templates = _test_templates()

    @app.get("/_test/chat/{wa_id}")
    async def chat_page(
        wa_id: str, request: Request, session: Session, user: PageUser
    ) -> Response:
        messages: list[dict[str, Any]] = []
        contact = await find_contact_by_any_id(session, wa_id)
        if contact is not None:
            conversations = await queries.conversations_of_contact(session, contact.id)
            if conversations:
                history = await queries.conversation_history(
                    session, conversations[0].id, None, 100
                )
                messages = [message_to_dict(message) for message in history]
        context = page_context(request, user, messages=messages, wa_id=wa_id)
        return page_templates.TemplateResponse(request, "chat_test.html", context)

    @app.get("/_test/chat_test.js")
    async def chat_script() -> FileResponse:
        return FileResponse(
            HERE / "static" / "chat_test.js", media_type="text/javascript"
        )


@dataclass
class LiveSystem:
    hub: ServerThread
    simulator_server: ServerThread
    state: AppState
    simulator: SimulatorState

    @property
    def url(self) -> str:
        return self.hub.url


@pytest.fixture
def live_system(settings: Settings) -> Iterator[LiveSystem]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    hub_port, simulator_port = free_port(), free_port()
    config = demo_config(
        hub_webhook_url=f"http://127.0.0.1:{hub_port}/webhook",
        app_secret=APP_SECRET,
        public_base_url=f"http://127.0.0.1:{simulator_port}",
    )
    config.status_delay_seconds = 0.01
    simulator_app = create_simulator_app(config)
    hub_settings = settings.model_copy(
        update={
            "graph_api_url": f"http://127.0.0.1:{simulator_port}/v23.0",
            "background_sweep_seconds": 0.5,
        }
    )
    hub_app = create_app(hub_settings)
    add_test_chat_page(hub_app)
    simulator_server = ServerThread(simulator_app, simulator_port)
    hub = ServerThread(hub_app, hub_port)
    simulator_server.start()
    hub.start()
    try:
        yield LiveSystem(
            hub, simulator_server, hub_app.state.cenat, simulator_app.state.simulator
        )
    finally:
        hub.stop()
        simulator_server.stop()


@pytest.fixture
async def live(live_system: LiveSystem) -> LiveSystem:
    """The live system with empty tables, one channel and an admin."""
    state = live_system.state
    await live_system.hub.run(empty_all_tables(state.engine))
    await live_system.hub.run(make_channel(state))
    await live_system.hub.run(make_user(state))
    return live_system


@pytest.fixture
async def page(live: LiveSystem) -> AsyncIterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(base_url=live.url)
        browser_page = await context.new_page()
        yield browser_page
        await browser.close()


@pytest.fixture
def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        pytest.skip("ffmpeg is not installed on this machine")
    return path
