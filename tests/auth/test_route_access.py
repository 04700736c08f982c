"""Every route of the app, called by every kind of caller, against a table of access.

The routes are read from ``app.routes``, so a route added without an entry in
``ACCESS`` fails ``test_every_route_is_classified``. Each route is then called
with no credentials, with broken ones, with an expired token, with the token
of a deactivated user, as an agent and as an admin, by bearer token and by
session cookie, and the response is checked against its access level.
"""

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select
from starlette.routing import Mount

from cenat_hub.auth.service import issue_token
from cenat_hub.models import Channel, User
from cenat_hub.security.tokens import create_access_token
from cenat_hub.web.security import CSRF_HEADER, SESSION_COOKIE, csrf_token_for
from cenat_hub.web.state import AppState
from tests.factories import CHANNEL_1, make_user

PUBLIC = "public"  # anyone, no credentials
USER = "user"  # any active user, admin or agent
ADMIN = "admin"  # admins only

# Mounts are listed with the method "MOUNT" and walked with a GET of a file.
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/webhook"): PUBLIC,
    ("POST", "/webhook"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("GET", "/funil/motivos"): ADMIN,
    ("GET", "/conversas/{conversation_id}/responsavel"): USER,
    ("POST", "/conversas/{conversation_id}/responsavel"): USER,
    ("POST", "/funil/motivos"): ADMIN,
    ("POST", "/funil/motivos/{reason_id}"): ADMIN,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/static/vendor/{name}"): PUBLIC,
    ("MOUNT", "/static"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("GET", "/api/auth/me"): USER,
    ("POST", "/api/auth/password"): USER,
    ("POST", "/api/auth/register"): ADMIN,
    ("GET", "/api/auth/users"): ADMIN,
    ("PATCH", "/api/auth/users/{user_id}"): ADMIN,
    ("GET", "/api/audit"): ADMIN,
    ("GET", "/api/channels"): USER,
    ("POST", "/api/channels"): ADMIN,
    ("GET", "/api/contacts"): USER,
    ("GET", "/api/contacts/{wa_id}"): USER,
    ("GET", "/api/messages/{wa_id}"): USER,
    ("POST", "/api/send/text"): USER,
    ("GET", "/usuarios"): ADMIN,
    ("POST", "/usuarios"): ADMIN,
    ("POST", "/usuarios/{user_id}/status"): ADMIN,
    ("POST", "/usuarios/{user_id}/papel"): ADMIN,
    ("POST", "/usuarios/{user_id}/senha"): ADMIN,
    ("GET", "/conta/senha"): USER,
    ("POST", "/conta/senha"): USER,
    ("GET", "/api/channels/{channel_id}/templates"): USER,
    ("POST", "/api/send/template"): USER,
    ("GET", "/nova-conversa"): USER,
    ("POST", "/nova-conversa"): USER,
    ("GET", "/nova-conversa/campos"): USER,
    ("GET", "/nova-conversa/modelos"): USER,
    ("GET", "/nova-conversa/previa"): USER,
    ("GET", "/api/events"): USER,
    ("GET", "/conversas"): USER,
    ("GET", "/conversas/lista"): USER,
    ("GET", "/conversas/{conversation_id}"): USER,
    ("GET", "/conversas/{conversation_id}/mensagens"): USER,
    ("GET", "/conversas/{conversation_id}/mensagens/{message_id}"): USER,
    ("POST", "/conversas/{conversation_id}/lida"): USER,
    ("POST", "/preferencias/idioma"): USER,
    ("DELETE", "/api/contacts/{wa_id}/tags/{tag_id}"): USER,
    ("DELETE", "/crm/panel/{wa_id}/tags/{tag_id}"): USER,
    ("GET", "/api/contacts/export.csv"): USER,
    ("GET", "/api/contacts/{wa_id}/history"): USER,
    ("GET", "/api/lost-reasons"): USER,
    ("GET", "/api/tags"): USER,
    ("GET", "/crm/panel/{wa_id}"): USER,
    ("GET", "/funil"): USER,
    ("GET", "/funil/cards/{wa_id}"): USER,
    ("GET", "/funil/colunas/{status}"): USER,
    ("PATCH", "/api/contacts/{wa_id}/notes"): USER,
    ("PATCH", "/api/contacts/{wa_id}/status"): USER,
    ("POST", "/api/contacts/import"): USER,
    ("POST", "/api/contacts/{wa_id}/tags/{tag_id}"): USER,
    ("POST", "/api/tags"): USER,
    ("POST", "/crm/panel/{wa_id}/notes"): USER,
    ("POST", "/crm/panel/{wa_id}/status"): USER,
    ("POST", "/crm/panel/{wa_id}/tags"): USER,
    ("POST", "/crm/panel/{wa_id}/tags/new"): USER,
    ("POST", "/funil/cards/{wa_id}/status"): USER,
    ("POST", "/funil/importar"): USER,
    ("PATCH", "/api/lost-reasons/{reason_id}"): ADMIN,
    ("POST", "/api/lost-reasons"): ADMIN,
    ("GET", "/api/media/{media_id}"): USER,
    ("POST", "/api/send/media"): USER,
    ("GET", "/ready"): PUBLIC,
    # Served to loopback clients only; the walk's client is 127.0.0.1.
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/api/conversations"): USER,
    ("POST", "/api/conversations/{conversation_id}/assign"): USER,
    ("GET", "/api/dashboard/stats"): USER,
    ("GET", "/dashboard"): USER,
    # Agents may read only their own limits; the walk asks for user 1, the admin.
    ("GET", "/api/users/{user_id}/channels"): ADMIN,
    ("PUT", "/api/users/{user_id}/channels"): ADMIN,
    ("PATCH", "/api/channels/{channel_id}"): ADMIN,
    ("POST", "/api/channels/{channel_id}/activate"): ADMIN,
    ("POST", "/api/channels/{channel_id}/deactivate"): ADMIN,
    ("POST", "/api/channels/{channel_id}/check"): ADMIN,
    ("GET", "/canais"): ADMIN,
    ("POST", "/canais"): ADMIN,
    ("GET", "/canais/{channel_id}/editar"): ADMIN,
    ("POST", "/canais/{channel_id}"): ADMIN,
    ("POST", "/canais/{channel_id}/ativar"): ADMIN,
    ("POST", "/canais/{channel_id}/desativar"): ADMIN,
    ("POST", "/canais/{channel_id}/verificar"): ADMIN,
    ("POST", "/canais/atendentes/{user_id}"): ADMIN,
}

# Values put into path parameters; any other parameter gets "1".
PATH_SAMPLES = {"wa_id": "5511900000001", "name": "htmx.min.js"}
MOUNT_SAMPLES = {"/static": "/static/app.css"}

# A streamed response (server-sent events) is judged by its status line; the
# walk stops reading after this long.
STREAM_GRACE_SECONDS = 0.5


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Yield (method, path) of every route; HEAD is left out where GET exists."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            yield "MOUNT", route.path
            continue
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")
        for method in sorted(methods):
            yield method, str(context.path)


def unclassified_routes(app: FastAPI) -> set[tuple[str, str]]:
    return set(app_routes(app)) - ACCESS.keys()


def test_every_route_is_classified(app: FastAPI) -> None:
    missing = unclassified_routes(app)
    assert not missing, (
        f"Routes without an access level: {sorted(missing)}. "
        "Add each to ACCESS in this file as PUBLIC, USER or ADMIN."
    )
    stale = ACCESS.keys() - set(app_routes(app))
    assert not stale, f"ACCESS lists routes the app no longer has: {sorted(stale)}."


def test_new_route_fails_classification(app: FastAPI) -> None:
    async def new_endpoint() -> dict[str, str]:
        return {}

    app.add_api_route("/api/unlisted", new_endpoint, methods=["DELETE"])
    assert unclassified_routes(app) == {("DELETE", "/api/unlisted")}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    complete: bool = False

    @property
    def json_code(self) -> str | None:
        match = re.search(rb'"code":"([a-z_]+)"', self.body)
        return match.group(1).decode() if match else None

    @property
    def is_login_redirect(self) -> bool:
        return self.status == 303 and self.headers.get("location", "").startswith(
            "/login?next="
        )

    @property
    def is_auth_rejection(self) -> bool:
        unauthenticated = self.status == 401 and self.json_code == "not_authenticated"
        return unauthenticated or self.is_login_redirect


async def call_app(
    app: FastAPI, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> Answer:
    """Call the app over ASGI and return once the response is complete.

    Unlike a buffering test client, this returns after the status line of a
    stream that never ends, and then tells the app the client went away.
    """
    answer: Answer | None = None
    started = asyncio.Event()
    finished = asyncio.Event()
    request_sent = False

    async def receive() -> dict[str, object]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        nonlocal answer
        if message["type"] == "http.response.start":
            raw_headers = message.get("headers") or []
            answer = Answer(
                status=int(message["status"]),  # type: ignore[call-overload]
                headers={
                    key.decode().lower(): value.decode()
                    for key, value in raw_headers  # type: ignore[attr-defined]
                },
            )
            started.set()
        elif message["type"] == "http.response.body" and answer is not None:
            answer.body += message.get("body", b"")  # type: ignore[operator]
            if not message.get("more_body", False):
                answer.complete = True
                finished.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("hub.test", 80),
    }
    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(started.wait(), timeout=30)
    try:
        await asyncio.wait_for(finished.wait(), timeout=STREAM_GRACE_SECONDS)
    except TimeoutError:
        finished.set()
    try:
        await asyncio.wait_for(task, timeout=5)
    except TimeoutError:
        task.cancel()
    assert answer is not None
    return answer


def concrete_path(method: str, path: str) -> str:
    if method == "MOUNT":
        return MOUNT_SAMPLES[path]

    def sample(match: re.Match[str]) -> str:
        return PATH_SAMPLES.get(match.group(1), "1")

    return re.sub(r"\{(\w+)(?::[^}]*)?\}", sample, path)


@dataclass
class Caller:
    name: str
    token: str | None
    # The access levels this caller must be let through.
    allowed: set[str] = field(default_factory=set)


async def _callers(state: AppState) -> list[Caller]:
    settings = state.settings
    secret = settings.jwt_secret.get_secret_value()
    admin = await make_user(state)
    agent = await make_user(
        state, email="bia@teste.invalid", role="atendente", name="Bia Teste"
    )
    gone = await make_user(
        state, email="ex@teste.invalid", role="admin", name="Ex Admin Teste"
    )
    gone_token, _ = issue_token(settings, gone)
    async with state.session_factory() as session:
        stored = await session.get(User, gone.id)
        assert stored is not None
        stored.is_active = False
        stored.token_version += 1
        await session.commit()

    expired, _ = create_access_token(admin.id, 0, secret, timedelta(seconds=-30))
    wrong_key, _ = create_access_token(
        admin.id, 0, "another-signing-secret-0123456789abcdef", timedelta(hours=1)
    )
    unsigned = jwt.encode(
        {"sub": str(admin.id), "ver": 0, "exp": 4102444800}, None, algorithm="none"
    )
    missing_user, _ = create_access_token(999_999, 0, secret, timedelta(hours=1))
    return [
        Caller("anonymous", None),
        Caller("garbage token", "not-a-jwt"),
        Caller("wrong signing key", wrong_key),
        Caller("alg none", unsigned),
        Caller("expired token", expired),
        Caller("user that does not exist", missing_user),
        Caller("deactivated admin", gone_token),
        Caller("agent", issue_token(settings, agent)[0], {PUBLIC, USER}),
        Caller("admin", issue_token(settings, admin)[0], {PUBLIC, USER, ADMIN}),
    ]


def _headers(caller: Caller, transport: str, secret: str) -> dict[str, str]:
    if caller.token is None:
        return {}
    if transport == "bearer":
        return {"Authorization": f"Bearer {caller.token}"}
    return {
        "Cookie": f"{SESSION_COOKIE}={caller.token}",
        CSRF_HEADER: csrf_token_for(caller.token, secret),
    }


def _problem(level: str, caller: Caller, answer: Answer) -> str | None:
    """Describe how the answer breaks the rule for ``level``, or return None."""
    if answer.status >= 500:
        return f"server error {answer.status}"
    if level == PUBLIC:
        return "public route rejected the caller" if answer.is_auth_rejection else None
    if caller.token is None or not caller.allowed:
        if not answer.is_auth_rejection:
            return f"expected 401 or a login redirect, got {answer.status}"
        return None
    if level in caller.allowed:
        if answer.is_auth_rejection or answer.status == 403:
            return f"allowed caller was rejected with {answer.status}"
        return None
    if answer.status != 403 or answer.json_code != "permission_denied":
        return f"expected 403 permission_denied, got {answer.status}"
    return None


@pytest.mark.parametrize("transport", ["bearer", "cookie"])
async def test_route_access(app: FastAPI, state: AppState, transport: str) -> None:
    secret = state.settings.jwt_secret.get_secret_value()
    callers = await _callers(state)
    problems = []
    walked = 0
    for method, path in sorted(app_routes(app)):
        level = ACCESS[(method, path)]
        is_page = not path.startswith("/api/")
        if transport == "bearer" and is_page and level != PUBLIC:
            # Pages read only the session cookie; the cookie walk covers them.
            continue
        request_method = "GET" if method == "MOUNT" else method
        url = concrete_path(method, path)
        for caller in callers:
            headers = _headers(caller, transport, secret)
            answer = await call_app(app, request_method, url, headers)
            walked += 1
            problem = _problem(level, caller, answer)
            if problem:
                problems.append(f"{method} {path} as {caller.name}: {problem}")
    assert walked > 100
    assert not problems, "\n".join(problems)


async def test_agent_cannot_create_channel(app: FastAPI, state: AppState) -> None:
    """The brief case by name: POST /api/channels by an agent is 403 and stores nothing."""
    agent = await make_user(
        state, email="bia@teste.invalid", role="atendente", name="Bia Teste"
    )
    token, _ = issue_token(state.settings, agent)
    answer = await call_app(
        app,
        "POST",
        "/api/channels",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        json.dumps(CHANNEL_1).encode(),
    )
    assert answer.status == 403
    assert answer.json_code == "permission_denied"
    async with state.session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(Channel))
    assert count == 0
