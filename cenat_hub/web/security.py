"""Browser security: the session cookie, CSRF tokens and response headers."""

import hashlib
import hmac
import secrets

from fastapi import FastAPI, Request, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "cenat_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
# Before login there is no session to derive a CSRF token from, so the login
# form carries a random token that must match the one in this cookie. This
# keeps other sites from logging a browser in to an account they control.
LOGIN_CSRF_COOKIE = "cenat_login_csrf"
LOGIN_CSRF_FIELD = "login_csrf"
LOGIN_CSRF_MAX_AGE_SECONDS = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)


def csrf_token_for(session_token: str, secret: str) -> str:
    """Derive the CSRF token of a session; it changes whenever the session does."""
    digest = hmac.new(
        secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256
    )
    return digest.hexdigest()


def is_valid_csrf(session_token: str, presented: str | None, secret: str) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token_for(session_token, secret), presented)


def is_tls(request: Request) -> bool:
    return request.url.scheme == "https" or (
        request.headers.get("x-forwarded-proto", "").lower() == "https"
    )


def set_session_cookie(
    response: Response, request: Request, token: str, max_age_seconds: int
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=is_tls(request),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def new_login_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_CSRF_MAX_AGE_SECONDS,
        httponly=True,
        samesite="strict",
        secure=is_tls(request),
        path="/login",
    )


def clear_login_csrf_cookie(response: Response) -> None:
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")


def is_valid_login_csrf(request: Request, presented: str | None) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


class SecurityHeadersMiddleware:
    """Middleware that adds the security headers to every HTTP response.

    A plain ASGI middleware: it touches only the response's start message, so
    streamed bodies (the event streams, media) pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")
        tls = scope.get("scheme") == "https" or (
            Headers(scope=scope).get("x-forwarded-proto", "").lower() == "https"
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_security_headers(MutableHeaders(scope=message), cacheable, tls)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add_security_headers(headers: MutableHeaders, cacheable: bool, tls: bool) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if headers.get("content-type", "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if not cacheable:
        # Pages and API responses contain leads' personal data; shared
        # computers and proxies must not keep copies.
        headers.setdefault("Cache-Control", "no-store")
    if tls:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def install_security_headers(app: FastAPI) -> None:
    app.add_middleware(SecurityHeadersMiddleware)
