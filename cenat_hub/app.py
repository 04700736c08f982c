"""The application factory and its start-up and shutdown."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cenat_hub import __version__
from cenat_hub.auth.api import audit_router
from cenat_hub.auth.api import router as auth_router
from cenat_hub.auth.pages import router as auth_pages_router
from cenat_hub.channels.api import router as channels_router
from cenat_hub.channels.api import users_router as user_channels_router
from cenat_hub.channels.service import upsert_configured_channel
from cenat_hub.channels.views import router as channels_pages_router
from cenat_hub.config import Settings, get_settings
from cenat_hub.contacts.api import router as contacts_router
from cenat_hub.conversations.api import router as conversations_router
from cenat_hub.crm.api import router as crm_router
from cenat_hub.crm.lost_reasons_page import router as lost_reasons_page_router
from cenat_hub.crm.pages import router as crm_pages_router
from cenat_hub.dashboard.api import router as dashboard_router
from cenat_hub.dashboard.views import router as dashboard_pages_router
from cenat_hub.db.migrate import upgrade_in_thread
from cenat_hub.db.session import create_engine, create_session_factory, unit_of_work
from cenat_hub.errors import install_error_handler
from cenat_hub.events.hub import EventHub
from cenat_hub.events.postgres import PostgresEventHub
from cenat_hub.events.stream import router as events_router
from cenat_hub.i18n import LocaleMiddleware
from cenat_hub.inbox.assignment import router as inbox_assignment_router
from cenat_hub.inbox.pages import router as inbox_router
from cenat_hub.integrations.whatsapp.client import GraphClient
from cenat_hub.logging import configure_logging
from cenat_hub.media.api import router as media_router
from cenat_hub.media.downloader import MediaDownloader
from cenat_hub.media.storage import MediaStorage
from cenat_hub.media.upload_limit import SendMediaSizeLimitMiddleware
from cenat_hub.messages.api import router as messages_router
from cenat_hub.ops.api import router as ops_router
from cenat_hub.ops.metrics import RequestMetricsMiddleware
from cenat_hub.security.crypto import TokenCipher
from cenat_hub.templates.api import router as templates_router
from cenat_hub.templates.pages import router as templates_pages_router
from cenat_hub.web.api_docs import router as api_docs_router
from cenat_hub.web.pages import router as pages_router
from cenat_hub.web.request_id import RequestIdMiddleware
from cenat_hub.web.security import install_security_headers
from cenat_hub.web.state import AppState
from cenat_hub.web.templating import STATIC_DIR
from cenat_hub.web.url_guard import NulInAddressMiddleware
from cenat_hub.webhook.api import router as webhook_router
from cenat_hub.webhook.worker import WebhookWorker

log = structlog.get_logger(__name__)


class StartupError(RuntimeError):
    """The configuration does not allow the service to start."""


def check_startup_settings(settings: Settings) -> None:
    if settings.is_production:
        problems = settings.secret_problems()
        if problems:
            raise StartupError("Refusing to start in production: " + " ".join(problems))


def build_state(
    settings: Settings, graph_http: httpx.AsyncClient | None = None
) -> AppState:
    database_url = settings.resolved_database_url
    engine = create_engine(database_url)
    session_factory = create_session_factory(engine)
    events = (
        PostgresEventHub(engine, database_url)
        if database_url.startswith("postgresql")
        else EventHub()
    )
    graph = GraphClient(
        settings.graph_api_url,
        http_client=graph_http,
        timeout_seconds=settings.graph_api_timeout_seconds,
        retry_delays=settings.graph_retry_delays_seconds,
    )
    cipher = TokenCipher(settings.encryption_key.get_secret_value())
    media_storage = MediaStorage(settings.media_dir)
    return AppState(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        events=events,
        graph=graph,
        cipher=cipher,
        webhook_worker=WebhookWorker(
            session_factory,
            events.publish,
            settings.background_sweep_seconds,
            settings.background_first_sweep_delay_seconds,
        ),
        media_storage=media_storage,
        media_downloader=MediaDownloader(
            session_factory, graph, cipher, media_storage, events, settings
        ),
    )


async def _bootstrap_configured_channel(state: AppState) -> None:
    settings = state.settings
    if not (settings.whatsapp_token and settings.whatsapp_phone_id):
        return
    async with unit_of_work(state.session_factory) as session:
        await upsert_configured_channel(
            session,
            state.cipher,
            phone_number_id=settings.whatsapp_phone_id,
            token=settings.whatsapp_token.get_secret_value(),
            waba_id=settings.whatsapp_waba_id,
            phone_number=settings.whatsapp_phone_number,
        )


def create_app(
    settings: Settings | None = None, graph_http: httpx.AsyncClient | None = None
) -> FastAPI:
    """Build the application; ``graph_http`` lets tests route Graph calls in-process."""
    settings = settings or get_settings()
    check_startup_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings, graph_http)
        app.state.cenat = state
        if settings.resolved_database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.run_migrations_on_start:
            await upgrade_in_thread(settings.resolved_database_url)
        await _bootstrap_configured_channel(state)
        await state.events.start()
        state.media_downloader.start()
        state.webhook_worker.start()
        log.info("app.started", version=__version__, environment=settings.environment)
        try:
            yield
        finally:
            await state.webhook_worker.stop()
            await state.events.stop()
            await state.media_downloader.stop()
            await state.graph.aclose()
            await state.engine.dispose()
            log.info("app.stopped")

    app = FastAPI(
        title="Cenat Hub",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handler(app)
    # Innermost, so that their responses still get the security headers.
    app.add_middleware(SendMediaSizeLimitMiddleware)
    app.add_middleware(NulInAddressMiddleware)
    install_security_headers(app)
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(LocaleMiddleware)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # The CRM router comes before the contacts router so that
    # /api/contacts/export.csv is not taken for a contact's wa_id.
    for router in (
        webhook_router,
        auth_router,
        audit_router,
        channels_router,
        user_channels_router,
        crm_router,
        contacts_router,
        conversations_router,
        dashboard_router,
        messages_router,
        templates_router,
        events_router,
        inbox_assignment_router,
        inbox_router,
        media_router,
        pages_router,
        ops_router,
        channels_pages_router,
        dashboard_pages_router,
        auth_pages_router,
        templates_pages_router,
        crm_pages_router,
        lost_reasons_page_router,
        api_docs_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def create_default_app() -> FastAPI:
    """Entry point for ``uvicorn --factory cenat_hub.app:create_default_app``."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.json_logs)
    return create_app(settings)
