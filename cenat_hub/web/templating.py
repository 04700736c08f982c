"""Jinja2 templates for the pages, with autoescaping and gettext on."""

from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

from cenat_hub.i18n import (
    LOCALE_NAMES,
    N_,
    SUPPORTED_LOCALES,
    current_locale,
    format_number,
    gettext,
    ngettext,
    pgettext,
)
from cenat_hub.media.convert import ffmpeg_available
from cenat_hub.media.filenames import document_label, sanitize_filename
from cenat_hub.media.limits import base_type, format_size

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Texts the shared page scripts (crm.js, media.js, attach.js) show, translated
# on the server and handed to them in the body's data-page-texts attribute.
PAGE_SCRIPT_TEXTS = {
    "networkError": N_("No connection to the server. Try again."),
    "moveFailed": N_("Could not move the lead."),
    "chooseFile": N_("Choose a file to send."),
    "fileSendFailed": N_("Could not send the file (HTTP {status})."),
    "image": N_("Image"),
    "close": N_("Close"),
}


def page_script_texts() -> dict[str, str]:
    return {key: gettext(text) for key, text in PAGE_SCRIPT_TEXTS.items()}


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
    )
    # newstyle: a translated string is escaped like any other value, and its
    # placeholders are filled after escaping the values put in them.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext
    )
    environment.globals.update(
        current_locale=current_locale,
        supported_locales=SUPPORTED_LOCALES,
        locale_names=LOCALE_NAMES,
        page_script_texts=page_script_texts,
    )
    environment.filters["number"] = format_number
    return environment


templates = Jinja2Templates(env=_environment())

templates.env.filters["media_size"] = format_size
templates.env.filters["media_filename"] = sanitize_filename
templates.env.filters["media_base_type"] = base_type
templates.env.filters["media_extension"] = document_label
templates.env.globals["media_conversion_available"] = ffmpeg_available
