"""Translations: complete catalogs, the default language and switching it."""

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cenat_hub import i18n
from cenat_hub.web.state import AppState
from tests.inbox.helpers import lead_writes, setup_inbox

ROOT = Path(__file__).resolve().parent.parent
METHODS = [
    ("cenat_hub/**.py", "python"),
    ("cenat_hub/web/templates/**.html", "jinja2"),
]
OPTIONS = {"cenat_hub/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _source_message_ids() -> set[str]:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, OPTIONS, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(locale: str) -> dict[str, object]:
    path = i18n.TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    catalog = read_po(BytesIO(path.read_bytes()), locale=locale)
    return {
        (message.id[0] if isinstance(message.id, tuple) else message.id): message
        for message in catalog
        if message.id
    }


def test_portuguese_catalog_complete() -> None:
    catalog = _catalog("pt_BR")
    missing = sorted(
        message_id
        for message_id in _source_message_ids()
        if message_id not in catalog
        or not all(catalog[message_id].string)  # type: ignore[attr-defined]
        or catalog[message_id].fuzzy  # type: ignore[attr-defined]
    )
    assert missing == []


def test_english_catalog_complete() -> None:
    assert _source_message_ids() <= set(_catalog("en"))


def test_dates_follow_locale_and_zone() -> None:
    moment = datetime(2026, 12, 3, 17, 5, tzinfo=UTC)
    zone = ZoneInfo("America/Sao_Paulo")
    with i18n.locale_in_use("pt_BR"):
        assert i18n.format_time(moment, zone) == "14:05"
        assert i18n.format_date(moment.date()) == "3 de dezembro de 2026"
        assert i18n.day_label(moment, zone, moment) == "Hoje"
        assert i18n.format_number(12345) == "12.345"
    with i18n.locale_in_use("en"):
        assert i18n.format_time(moment, zone) == "2:05\u202fPM"
        assert i18n.day_label(moment, zone, moment) == "Today"
        assert i18n.format_number(12345) == "12,345"


async def test_locale_switch_to_english(
    client: httpx.AsyncClient, state: AppState
) -> None:
    login_page = await client.get("/login")
    assert "Senha" in login_page.text and 'lang="pt-BR"' in login_page.text
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.LOC1")
    page = await client.get("/conversas")
    assert "Conversas" in page.text and "Buscar nome, número ou mensagem" in page.text
    csrf = page.text.split('data-csrf-token="')[1].split('"')[0]

    switched = await client.post(
        "/preferencias/idioma",
        data={"locale": "en", "csrf_token": csrf},
        headers={"Referer": "http://hub.test/conversas"},
    )

    assert switched.status_code == 303
    english = await client.get("/conversas")
    assert 'lang="en"' in english.text
    assert "Search name, number or message" in english.text
    assert "Window open" in english.text
    client.cookies.delete("cenat_session")
    assert "Password" in (await client.get("/login")).text


async def test_locale_switch_needs_csrf(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await client.post("/preferencias/idioma", data={"locale": "en"})
    assert 'lang="pt-BR"' in (await client.get("/conversas")).text


def test_catalog_compiled_in_memory() -> None:
    folder = i18n.TRANSLATIONS_DIR / "pt_BR" / "LC_MESSAGES"
    assert not (folder / "messages.mo").exists()
    with i18n.locale_in_use("pt_BR"):
        assert i18n.gettext("Send template") == "Enviar template"
    with i18n.locale_in_use("xx"):
        assert i18n.current_locale() == "pt_BR"
