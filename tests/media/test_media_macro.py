"""The render_media macro for every media kind and download state."""

from typing import Any

import pytest

from cenat_hub.media import convert
from cenat_hub.web.templating import templates

PAGE = '{% from "media/_media.html" import render_media %}{{ render_media(m) }}'


def _render(message: dict[str, Any]) -> str:
    return templates.env.from_string(PAGE).render(m=message)


def _message(kind: str, **media: Any) -> dict[str, Any]:
    values = {
        "id": "123",
        "mime_type": "image/jpeg",
        "filename": None,
        "voice": False,
        "animated": False,
        "download_url": "/api/media/123",
        "state": "stored",
        "file_size": 2048,
        "failure_reason": None,
    }
    values.update(media)
    return {"message_type": kind, "content": None, "error": None, "media": values}


def test_image_has_viewer_trigger() -> None:
    message = _message("image")
    message["content"] = "<b>legenda</b>"

    html = _render(message)

    assert 'data-media-viewer="/api/media/123"' in html
    assert '<img src="/api/media/123"' in html
    assert "&lt;b&gt;legenda&lt;/b&gt;" in html
    assert "<b>" not in html


def test_animated_sticker() -> None:
    html = _render(_message("sticker", mime_type="image/webp", animated=True))

    assert 'class="media-sticker media-sticker-animated"' in html


def test_voice_note_with_m4a_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "ffmpeg_path", lambda: "/usr/bin/ffmpeg")
    message = _message("audio", mime_type="audio/ogg; codecs=opus", voice=True)

    html = _render(message)

    assert "Mensagem de voz" in html
    assert '<source src="/api/media/123" type="audio/ogg">' in html
    assert '<source src="/api/media/123?format=m4a" type="audio/mp4">' in html
    assert 'href="/api/media/123?download=true"' in html


def test_voice_note_without_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "ffmpeg_path", lambda: None)

    html = _render(_message("audio", mime_type="audio/ogg; codecs=opus", voice=True))

    assert "format=m4a" not in html
    assert "Baixar áudio" in html


def test_video_player() -> None:
    html = _render(_message("video", mime_type="video/mp4"))

    assert '<video class="media-video" controls' in html
    assert 'type="video/mp4"' in html


def test_document_name_is_sanitised_and_escaped() -> None:
    message = _message(
        "document",
        mime_type="application/pdf",
        filename='../../<img src=x onerror="alert(1)">.pdf',
        file_size=1572864,
    )

    html = _render(message)

    assert "<img src=x" not in html
    assert "onerror=&#34;alert(1)&#34;&gt;.pdf" in html
    assert "../" not in html
    assert ">PDF<" in html
    assert "1,5 MB" in html


def test_pending_and_failed_states() -> None:
    pending = _render(_message("video", state="pending"))
    failed = _render(
        _message("image", state="failed", failure_reason="O arquivo passa do limite.")
    )

    assert "Baixando o vídeo…" in pending
    assert "<video" not in pending
    assert "Não foi possível baixar a imagem." in failed
    assert "O arquivo passa do limite." in failed
    assert "<img" not in failed


def test_media_error_without_file() -> None:
    message = _message("image", id=None, download_url=None, state=None)
    message["error"] = {"code": 131052, "message": "Não foi possível baixar a mídia."}

    html = _render(message)

    assert "Não foi possível receber a imagem." in html
    assert "Não foi possível baixar a mídia." in html
    assert "/api/media" not in html
