"""Objects that live as long as the application, reachable from a request."""

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cenat_hub.config import Settings
from cenat_hub.events.hub import EventHub
from cenat_hub.integrations.whatsapp.client import GraphClient
from cenat_hub.media.downloader import MediaDownloader
from cenat_hub.media.storage import MediaStorage
from cenat_hub.security.crypto import TokenCipher
from cenat_hub.webhook.worker import WebhookWorker


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    events: EventHub
    graph: GraphClient
    cipher: TokenCipher
    webhook_worker: WebhookWorker
    media_storage: MediaStorage
    media_downloader: MediaDownloader


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.cenat
    return state
