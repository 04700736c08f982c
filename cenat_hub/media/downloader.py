"""Background download of the media files leads send.

A download is a ``media_files`` row in state ``pending``, written in the
transaction that stores its message. It starts in-process as soon as the
``media.pending`` event of that commit is published, and it is retried with
exponential backoff after a failure. A periodic sweep picks up rows that are
due, including those left by a stopped or crashed process. Each attempt
claims its row for a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two
workers never download the same file at once. Apart from a first try of the
URL some webhooks carry, each attempt requests a fresh URL from Meta, because
download URLs expire within minutes.
"""

import asyncio
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.config import Settings
from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.events.hub import Event, EventHub
from cenat_hub.integrations.whatsapp.client import GraphClient
from cenat_hub.integrations.whatsapp.errors import GraphAPIError
from cenat_hub.media import service
from cenat_hub.media.storage import (
    CHUNK_SIZE,
    FileTooLargeError,
    MediaStorage,
    StoredFile,
)
from cenat_hub.security.crypto import TokenCipher

log = structlog.get_logger(__name__)

SWEEP_BATCH = 200
# Graph error code of an object id Meta does not know (deleted or expired media).
UNKNOWN_OBJECT_CODE = 100


class DownloadError(Exception):
    """A failed attempt, with the error code stored in ``last_error``."""

    code = service.ERROR_DOWNLOAD


class PermanentDownloadError(DownloadError):
    """A failure that retrying cannot fix, such as a file over Meta's limit."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class IntegrityCheckError(DownloadError):
    """The downloaded bytes differ from the size or SHA-256 Meta announced."""

    code = service.ERROR_INTEGRITY


class MediaDownloader:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        graph: GraphClient,
        cipher: TokenCipher,
        storage: MediaStorage,
        events: EventHub,
        settings: Settings,
    ) -> None:
        self._session_factory = session_factory
        self._graph = graph
        self._cipher = cipher
        self._storage = storage
        self._events = events
        self._sweep_interval = settings.background_sweep_seconds
        self._lease = timedelta(seconds=settings.media_download_lease_seconds)
        self._retry_base = timedelta(seconds=settings.media_retry_base_seconds)
        self._retry_max = timedelta(seconds=settings.media_retry_max_seconds)
        self._slots = asyncio.Semaphore(settings.media_max_concurrent_downloads)
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._queue: asyncio.Queue[Event] | None = None
        self._background: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Listen for new downloads and start the periodic sweep."""
        self._queue = self._events.subscribe()
        self._background = [
            asyncio.create_task(self._listen(self._queue)),
            asyncio.create_task(self._sweep_forever()),
        ]

    async def stop(self) -> None:
        """Stop listening and sweeping, and cancel running downloads.

        A cancelled download releases its claim, so the next start retries it
        at once.
        """
        if self._queue is not None:
            self._events.unsubscribe(self._queue)
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in [*self._background, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._background, *self._tasks, return_exceptions=True)
        self._background = []

    def schedule(self, media_id: str) -> None:
        """Start a download attempt in the background if it is due."""
        task = asyncio.create_task(self._run(media_id, ignore_backoff=False))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def fetch_now(self, media_id: str) -> None:
        """Download a pending file now, ignoring its backoff.

        An attempt already running in this process is awaited instead of
        starting a second one.
        """
        await self._run(media_id, ignore_backoff=True)

    async def drain(self) -> None:
        """Wait until every announced, scheduled and due download attempt has run.

        With PostgreSQL's event hub an announcement reaches this process
        through NOTIFY some time after its commit, so a running downloader
        also sweeps the database for due downloads before it returns. A failed
        attempt is due again only after its backoff, so the loop ends.
        """
        while True:
            if self._queue is not None and not self._queue.empty():
                await asyncio.sleep(0.01)
            elif self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            elif not self._background or await self.sweep() == 0:
                return

    async def sweep(self) -> int:
        """Start every due download; return how many were due."""
        async with self._session_factory() as session:
            media_ids = await service.due_media_ids(session, SWEEP_BATCH)
        for media_id in media_ids:
            self.schedule(media_id)
        return len(media_ids)

    async def _listen(self, queue: asyncio.Queue[Event]) -> None:
        while True:
            event = await queue.get()
            if event.kind == service.PENDING_EVENT:
                self.schedule(str(event.data["media_id"]))

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("media.sweep_failed")
            await asyncio.sleep(self._sweep_interval)

    async def _run(self, media_id: str, ignore_backoff: bool) -> None:
        lock = self._locks.setdefault(media_id, asyncio.Lock())
        self._lock_users[media_id] = self._lock_users.get(media_id, 0) + 1
        try:
            async with lock, self._slots:
                await self._attempt(media_id, ignore_backoff)
        finally:
            self._lock_users[media_id] -= 1
            if self._lock_users[media_id] == 0:
                del self._lock_users[media_id]
                del self._locks[media_id]

    async def _attempt(self, media_id: str, ignore_backoff: bool) -> None:
        async with unit_of_work(self._session_factory) as session:
            job = await service.claim_download(
                session, self._cipher, media_id, self._lease, ignore_backoff
            )
        if job is None:
            return
        try:
            stored, mime_type = await self._fetch(job)
        except asyncio.CancelledError:
            await asyncio.shield(self._release(media_id))
            raise
        except PermanentDownloadError as exc:
            await self._record_failure(media_id, f"{exc.code}: {exc}", permanent=True)
        except (GraphAPIError, IntegrityCheckError) as exc:
            code = (
                exc.code if isinstance(exc, DownloadError) else service.ERROR_DOWNLOAD
            )
            await self._record_failure(media_id, f"{code}: {exc}", permanent=False)
        except Exception as exc:
            log.exception("media.download_crashed", media_id=media_id)
            error = f"{service.ERROR_DOWNLOAD}: {type(exc).__name__}: {exc}"
            await self._record_failure(media_id, error, permanent=False)
        else:
            async with unit_of_work(self._session_factory) as session:
                events = await service.mark_stored(session, media_id, stored, mime_type)
            log.info("media.stored", media_id=media_id, size=stored.size)
            await self._events.publish(events)

    async def _fetch(self, job: service.DownloadJob) -> tuple[StoredFile, str | None]:
        """Download the file, trying the webhook's URL first when it has one.

        Returns the stored file and the MIME type Meta reported.
        """
        if job.webhook_url:
            try:
                digests = [job.expected_sha256]
                return await self._download(job, job.webhook_url, None, digests), None
            except GraphAPIError as exc:
                log.info(
                    "media.webhook_url_failed",
                    media_id=job.media_id,
                    http_status=exc.http_status,
                )

        info = await self._look_up(job)
        declared_size = _as_int(info.get("file_size"))
        if declared_size is not None and declared_size > job.max_bytes:
            raise PermanentDownloadError(
                service.ERROR_TOO_LARGE,
                f"File of {declared_size} bytes exceeds the {job.max_bytes}-byte "
                "limit for its type; it was not downloaded.",
            )

        url = info.get("url")
        if not isinstance(url, str) or not url:
            raise GraphAPIError(502, None, "media lookup response without a URL")
        announced = info.get("sha256")
        digests = [
            job.expected_sha256,
            announced if isinstance(announced, str) else None,
        ]
        stored = await self._download(job, url, declared_size, digests)
        mime_type = info.get("mime_type")
        return stored, mime_type if isinstance(mime_type, str) else None

    async def _look_up(self, job: service.DownloadJob) -> dict[str, Any]:
        """Request a fresh download URL, size and SHA-256 of the media id."""
        try:
            return await self._graph.get_media_url(job.media_id, job.token)
        except GraphAPIError as exc:
            if exc.code == UNKNOWN_OBJECT_CODE and exc.http_status < 500:
                raise PermanentDownloadError(
                    service.ERROR_UNKNOWN_MEDIA,
                    f"Meta does not know media {job.media_id}: {exc.title}",
                ) from exc
            raise

    async def _download(
        self,
        job: service.DownloadJob,
        url: str,
        declared_size: int | None,
        expected_digests: list[str | None],
    ) -> StoredFile:
        """Stream a URL into the store, checking the size limit while reading and
        the announced size and SHA-256 values before the file is kept."""

        def check(digest: str, size: int) -> None:
            if declared_size is not None and size != declared_size:
                raise IntegrityCheckError(
                    f"Downloaded {size} bytes where Meta announced {declared_size}."
                )
            for expected in expected_digests:
                if not service.sha256_matches(expected, digest):
                    raise IntegrityCheckError(
                        "Downloaded bytes do not match the announced SHA-256."
                    )

        async with self._graph.open_download(url, job.token) as response:
            length = _as_int(response.headers.get("content-length"))
            if length is not None and length > job.max_bytes:
                raise PermanentDownloadError(
                    service.ERROR_TOO_LARGE,
                    f"File of {length} bytes exceeds the {job.max_bytes}-byte limit "
                    "for its type; it was not downloaded.",
                )
            try:
                return await self._storage.write_chunks(
                    response.aiter_bytes(CHUNK_SIZE), job.max_bytes, check
                )
            except FileTooLargeError as exc:
                raise PermanentDownloadError(
                    service.ERROR_TOO_LARGE,
                    f"File exceeds the {exc.limit}-byte limit for its type; the "
                    "download was stopped and nothing was stored.",
                ) from exc

    async def _record_failure(self, media_id: str, error: str, permanent: bool) -> None:
        async with unit_of_work(self._session_factory) as session:
            next_attempt, events = await service.mark_attempt_failed(
                session,
                media_id,
                error,
                permanent=permanent,
                retry_base=self._retry_base,
                retry_max=self._retry_max,
            )
        log.warning(
            "media.download_failed",
            media_id=media_id,
            error=error,
            permanent=permanent,
            will_retry=next_attempt is not None,
        )
        await self._events.publish(events)
        if next_attempt is not None:
            delay = (next_attempt - utcnow()).total_seconds()
            self._retry_later(media_id, max(delay, 0.0))

    def _retry_later(self, media_id: str, delay: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(timer)
            self.schedule(media_id)

        timer = loop.call_later(delay, fire)
        self._timers.add(timer)

    async def _release(self, media_id: str) -> None:
        async with unit_of_work(self._session_factory) as session:
            await service.release_claim(session, media_id)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
