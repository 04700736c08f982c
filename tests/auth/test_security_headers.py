import re

import httpx
from fastapi import FastAPI

from cenat_hub.models import User
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, page_login


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def _assert_only_own_scripts(html: str) -> None:
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "page has no scripts at all"
    for tag in scripts:
        source = re.search(r'\ssrc="([^"]+)"', tag)
        assert source, f"inline script: {tag}"
        assert source.group(1).startswith("/static/"), tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "javascript:" not in html
    assert not re.search(r"\sstyle=", html), "inline style"


async def test_page_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers


async def test_pages_load_only_own_scripts(
    client: httpx.AsyncClient, state: AppState, admin: User, agent: User
) -> None:
    _assert_only_own_scripts((await client.get("/login")).text)
    await page_login(client, state, admin.email, ADMIN_PASSWORD)
    for path in ("/usuarios", "/conta/senha"):
        response = await client.get(path)
        assert response.status_code == 200, path
        _assert_only_own_scripts(response.text)
    client.cookies.clear()
    await page_login(client, state, agent.email, "senha-de-teste-agente")
    forbidden = await client.get("/usuarios", headers={"Accept": "text/html"})
    assert forbidden.status_code == 403
    assert "Content-Security-Policy" in forbidden.headers
    _assert_only_own_scripts(forbidden.text)


async def test_api_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


async def test_static_files_may_be_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/app.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")


async def test_session_cookie_flags(
    client: httpx.AsyncClient, state: AppState, admin: User
) -> None:
    form = await client.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert login_csrf
    response = await client.post(
        "/login",
        data={
            "email": admin.email,
            "password": ADMIN_PASSWORD,
            "login_csrf": login_csrf.group(1),
        },
    )
    cookie = next(
        header
        for header in response.headers.get_list("set-cookie")
        if header.startswith("cenat_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=86400" in cookie
    assert "Secure" not in cookie


async def test_cookie_is_secure_behind_tls(app: FastAPI, admin: User) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://hub.test"
    ) as client:
        form = await client.get("/login")
        assert form.headers["Strict-Transport-Security"] == "max-age=31536000"
        login_cookie = form.headers["set-cookie"]
        assert "Secure" in login_cookie
        assert "SameSite=strict" in login_cookie
        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert login_csrf
        response = await client.post(
            "/login",
            data={
                "email": admin.email,
                "password": ADMIN_PASSWORD,
                "login_csrf": login_csrf.group(1),
            },
        )
    assert response.status_code == 303
    session_cookie = next(
        header
        for header in response.headers.get_list("set-cookie")
        if header.startswith("cenat_session=")
    )
    assert "Secure" in session_cookie


async def test_forwarded_proto_marks_cookie_secure(client: httpx.AsyncClient) -> None:
    """Behind a TLS-terminating proxy the app receives http and X-Forwarded-Proto."""
    form = await client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in form.headers["set-cookie"]
    assert "Strict-Transport-Security" in form.headers
