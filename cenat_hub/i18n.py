"""Interface languages: gettext catalogs, the current locale, dates and numbers.

Catalogs live as ``.po`` files under ``translations/``. A compiled ``.mo`` is
used when it is present and newer. Otherwise the ``.po`` is compiled in memory
at first use, so no generated file has to be committed or written.
Message ids are English; Brazilian Portuguese is the default language.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_LOCALE = "pt_BR"
SUPPORTED_LOCALES = ("pt_BR", "en")
LOCALE_NAMES = {"pt_BR": "Português (Brasil)", "en": "English"}
LOCALE_COOKIE = "cenat_locale"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"

_current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def supported(locale: str | None) -> str:
    """Return ``locale`` when it is supported, else the default."""
    return locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translations(locale: str) -> NullTranslations:
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    po_path = folder / f"{DOMAIN}.po"
    mo_path = folder / f"{DOMAIN}.mo"
    if mo_path.is_file() and (
        not po_path.is_file() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as mo_file:
            return Translations(fp=mo_file, domain=DOMAIN)
    if not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def current_locale() -> str:
    return _current_locale.get()


def set_locale(locale: str | None) -> None:
    """Use ``locale`` for the rest of the current request or task."""
    _current_locale.set(supported(locale))


@contextmanager
def locale_in_use(locale: str | None) -> Iterator[None]:
    token = _current_locale.set(supported(locale))
    try:
        yield
    finally:
        _current_locale.reset(token)


def gettext(message: str) -> str:
    return translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    return translations(current_locale()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def _babel_locale() -> Locale:
    return Locale.parse(current_locale())


def format_time(value: datetime, zone: tzinfo) -> str:
    return dates.format_time(value, "short", tzinfo=zone, locale=_babel_locale())


def format_datetime(value: datetime, zone: tzinfo) -> str:
    return dates.format_datetime(value, "short", tzinfo=zone, locale=_babel_locale())


def format_date(value: date, style: str = "long") -> str:
    return dates.format_date(value, style, locale=_babel_locale())


def format_number(value: int | float) -> str:
    return numbers.format_decimal(value, locale=_babel_locale())


def day_label(value: datetime, zone: tzinfo, now: datetime) -> str:
    """Name the day of ``value`` as a chat separator: today, yesterday, a weekday, a date."""
    day = value.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if day == today:
        return gettext("Today")
    if day == today - timedelta(days=1):
        return gettext("Yesterday")
    if today - timedelta(days=6) <= day < today:
        return dates.format_date(day, "EEEE", locale=_babel_locale()).capitalize()
    return format_date(day, "long")


def short_when(value: datetime, zone: tzinfo, now: datetime) -> str:
    """Format the time of a conversation's last message as the list shows it."""
    day = value.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if day == today:
        return format_time(value, zone)
    if day == today - timedelta(days=1):
        return gettext("Yesterday")
    if today - timedelta(days=6) <= day < today:
        return dates.format_date(day, "EEEE", locale=_babel_locale()).capitalize()
    return format_date(day, "short")


class LocaleMiddleware:
    """Take the locale of a request from its cookie until a user is known."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            set_locale(_cookie(scope, LOCALE_COOKIE))
        await self.app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = part.strip().partition("=")
                if cookie_name == name:
                    return cookie_value
    return None
