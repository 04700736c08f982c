"""Jinja2 templates for the pages, with autoescaping on."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

from cenat_hub.media.convert import ffmpeg_available
from cenat_hub.media.filenames import document_label, sanitize_filename
from cenat_hub.media.limits import base_type, format_size

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)

templates.env.filters["media_size"] = format_size
templates.env.filters["media_filename"] = sanitize_filename
templates.env.filters["media_base_type"] = base_type
templates.env.filters["media_extension"] = document_label
templates.env.globals["media_conversion_available"] = ffmpeg_available
