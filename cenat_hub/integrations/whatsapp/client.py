"""A thin client of the Graph API endpoints the hub uses."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, BinaryIO

import httpx
import structlog

from cenat_hub.integrations.whatsapp.errors import GraphAPIError

log = structlog.get_logger(__name__)

RETRY_DELAYS_SECONDS = (0.5, 1.0, 2.0)


class GraphClient:
    """Calls ``GRAPH_API_URL`` with a per-channel bearer token.

    Requests are retried only when Meta throttled them or failed with a 5xx,
    and when the connection failed before the request was sent; a timeout after
    sending is not retried because the message may have gone out.
    """

    def __init__(
        self,
        base_url: str,
        http_client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 15.0,
        retry_delays: tuple[float, ...] = RETRY_DELAYS_SECONDS,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._http = http_client or httpx.AsyncClient(timeout=timeout_seconds)
        self._owns_http = http_client is None
        self._retry_delays = retry_delays

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def send_message(
        self, phone_number_id: str, token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        body = {"messaging_product": "whatsapp", **payload}
        return await self._request(
            "POST", f"/{phone_number_id}/messages", token, json=body
        )

    async def mark_as_read(
        self, phone_number_id: str, token: str, wa_message_id: str
    ) -> None:
        body = {"status": "read", "message_id": wa_message_id}
        await self.send_message(phone_number_id, token, body)

    async def get_phone_number(
        self, phone_number_id: str, token: str
    ) -> dict[str, Any]:
        params = {"fields": "display_phone_number,verified_name,quality_rating"}
        return await self._request("GET", f"/{phone_number_id}", token, params=params)

    async def get_media_url(self, media_id: str, token: str) -> dict[str, Any]:
        return await self._request("GET", f"/{media_id}", token)

    async def upload_media(
        self,
        phone_number_id: str,
        token: str,
        file: BinaryIO | bytes,
        mime_type: str,
        filename: str,
    ) -> str:
        """Upload a file with ``POST /<PHONE_NUMBER_ID>/media``; return its media id.

        ``file`` is read from its start on every attempt, so a retried upload
        sends the whole file again.
        """
        data = {"messaging_product": "whatsapp", "type": mime_type}
        files = {"file": (filename, file, mime_type)}
        body = await self._request(
            "POST", f"/{phone_number_id}/media", token, data=data, files=files
        )
        media_id = body.get("id")
        if not isinstance(media_id, str | int) or isinstance(media_id, bool):
            raise GraphAPIError(502, None, "upload response without a media id")
        return str(media_id)

    @asynccontextmanager
    async def open_download(
        self, url: str, token: str
    ) -> AsyncIterator[httpx.Response]:
        """Open a media URL with the bearer token and yield the streaming response.

        A non-200 answer raises ``GraphAPIError`` with the HTTP status; so does a
        connection that fails or times out while the body is read.
        """
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._http.stream(
                "GET", url, headers=headers, follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise GraphAPIError.from_response(
                        response.status_code, _json_or_none(response)
                    )
                yield response
        except httpx.TimeoutException as exc:
            raise GraphAPIError(504, None, "the media download timed out") from exc
        except httpx.TransportError as exc:
            raise GraphAPIError(503, None, f"the media download failed: {exc}") from exc

    async def list_templates_page(
        self,
        waba_id: str,
        token: str,
        after: str | None = None,
        limit: int = 100,
        fields: str | None = None,
    ) -> dict[str, Any]:
        """Return one page of ``GET /<WABA_ID>/message_templates``.

        ``after`` is the ``paging.cursors.after`` of the previous page.
        """
        params: dict[str, Any] = {"limit": limit}
        if fields:
            params["fields"] = fields
        if after:
            params["after"] = after
        return await self._request(
            "GET", f"/{waba_id}/message_templates", token, params=params
        )

    async def download(
        self, url: str, token: str, max_bytes: int
    ) -> tuple[bytes, str | None]:
        """Download a media URL with the bearer token, refusing bodies over ``max_bytes``."""
        headers = {"Authorization": f"Bearer {token}"}
        async with self._http.stream(
            "GET", url, headers=headers, follow_redirects=True
        ) as resp:
            if resp.status_code != 200:
                await resp.aread()
                raise GraphAPIError.from_response(resp.status_code, _json_or_none(resp))
            chunks = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise GraphAPIError(
                        413, None, f"media larger than {max_bytes} bytes"
                    )
                chunks.append(chunk)
            return b"".join(chunks), resp.headers.get("content-type")

    async def _request(
        self, method: str, path: str, token: str, **kwargs: Any
    ) -> dict[str, Any]:
        url = self._base_url + path
        headers = {"Authorization": f"Bearer {token}"}
        for attempt, delay in enumerate((*self._retry_delays, None)):
            try:
                response = await self._http.request(
                    method, url, headers=headers, **kwargs
                )
            except httpx.ConnectError as exc:
                if delay is None:
                    raise GraphAPIError(
                        503, None, f"cannot connect to the Graph API: {exc}"
                    ) from exc
                log.warning("graph.connect_failed", path=path, attempt=attempt + 1)
                await asyncio.sleep(delay)
                continue
            except httpx.TimeoutException as exc:
                raise GraphAPIError(
                    504, None, "the Graph API did not answer in time"
                ) from exc
            body = _json_or_none(response)
            if response.status_code < 400 and isinstance(body, dict):
                return body
            error = GraphAPIError.from_response(response.status_code, body)
            if not error.is_retryable or delay is None:
                raise error
            log.warning(
                "graph.retrying",
                path=path,
                attempt=attempt + 1,
                code=error.code,
                http_status=error.http_status,
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
