"""Media on the Conversas page in real Chromium: an image with its viewer, a
voice note played to its end (as OGG/Opus and converted to M4A), a video played
to its end, and files sent from the composer."""

import asyncio
import re
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from cenat_hub.models import MediaFile
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.simulator.sample_files import pdf_document
from tests.browser.media.conftest import ARTIFACTS, LiveSystem
from tests.factories import ADMIN_PASSWORD
from tests.media.support import LEAD, PHONE_NUMBER_ID

CHAT = f"/conversas?contact={LEAD}"
# Playback that neither ends nor fails within this time resolves with the
# element's state, so a stalled stream fails the test with its cause.
PLAY_TIMEOUT_MS = 30_000
PLAY_TO_END = """(element, options) => new Promise((resolve) => {
    const state = (ended) => ({
        ended,
        source: element.currentSrc,
        duration: element.duration,
        width: element.videoWidth,
        currentTime: element.currentTime,
        readyState: element.readyState,
        networkState: element.networkState,
        error: element.error ? element.error.code : null,
    });
    const timer = setTimeout(() => resolve(state(false)), options.timeoutMs);
    const finish = (ended) => { clearTimeout(timer); resolve(state(ended)); };
    element.muted = options.muted;
    element.addEventListener("ended", () => finish(true));
    element.addEventListener("error", () => finish(false));
    element.play().catch((error) => {
        clearTimeout(timer);
        resolve({...state(false), playError: String(error)});
    });
})"""
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def _lead_sends(live: LiveSystem, **fields: Any) -> None:
    message = LeadMessage(
        phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD, name="Ana Teste", **fields
    )
    await live.simulator_server.run(live.simulator.lead_sends(message))


async def _stored_count(live: LiveSystem) -> int:
    async def count() -> int:
        async with live.state.session_factory() as session:
            statement = select(MediaFile).where(MediaFile.state == "stored")
            return len(list((await session.execute(statement)).scalars()))

    return await live.hub.run(count())


async def _wait_for_stored(live: LiveSystem, expected: int) -> None:
    for _ in range(250):
        if await _stored_count(live) >= expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{expected} media files were not stored within 5 s")


async def _log_in(page: Any) -> None:
    await page.goto(f"/login?next={quote(CHAT, safe='')}")
    await page.fill("input[name=email]", "admin@teste.invalid")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(re.escape(CHAT) + "$"))
    await page.locator("#chat-pane").wait_for()


async def _choose_file(page: Any, name: str, mime_type: str, data: bytes) -> None:
    await page.set_input_files(
        "#composer-file", files=[{"name": name, "mimeType": mime_type, "buffer": data}]
    )
    await page.locator("#composer-attachment:not([hidden])").wait_for()


async def test_image_and_viewer(live: LiveSystem, page: Any) -> None:
    await _lead_sends(live, type="image", caption="Comprovante")
    await _wait_for_stored(live, 1)

    await _log_in(page)
    thumbnail = page.locator(".msg.inbound .media-thumb img")
    await thumbnail.wait_for()
    await page.wait_for_function(
        "() => document.querySelector('.media-thumb img').naturalWidth > 0"
    )
    width = await thumbnail.evaluate("image => image.naturalWidth")
    await page.screenshot(path=str(ARTIFACTS / "media-image.png"))
    await page.click(".media-thumb")
    viewer = page.locator("dialog.media-viewer[open] img")
    await viewer.wait_for()
    await page.wait_for_function(
        "() => document.querySelector('dialog.media-viewer img').naturalWidth > 0"
    )
    await page.screenshot(path=str(ARTIFACTS / "media-image-viewer.png"))
    await page.keyboard.press("Escape")

    assert width == 8
    assert await page.locator(".media-caption").inner_text() == "Comprovante"
    assert await page.locator("dialog.media-viewer[open]").count() == 0


async def test_voice_note_plays_to_end(
    live: LiveSystem, page: Any, ffmpeg: str
) -> None:
    await _lead_sends(live, type="voice")
    await _wait_for_stored(live, 1)

    await _log_in(page)
    audio = page.locator(".msg.inbound .media-audio-player audio")
    await audio.wait_for()
    played = await audio.evaluate(
        PLAY_TO_END, {"timeoutMs": PLAY_TIMEOUT_MS, "muted": False}
    )
    converted_url = await audio.locator("source[type='audio/mp4']").get_attribute("src")
    converted_audio = await page.evaluate_handle(
        """url => {
            const audio = new Audio(url);
            document.body.append(audio);
            return audio;
        }""",
        converted_url,
    )
    converted = await converted_audio.evaluate(
        PLAY_TO_END, {"timeoutMs": PLAY_TIMEOUT_MS, "muted": False}
    )
    await page.screenshot(path=str(ARTIFACTS / "media-voice-note.png"))

    assert played["ended"] is True, played
    assert "format=" not in played["source"]
    assert 0.5 < played["duration"] < 1.5
    assert converted["ended"] is True, converted
    assert 0.5 < converted["duration"] < 1.5


async def test_send_pdf_from_composer(live: LiveSystem, page: Any) -> None:
    await _lead_sends(live, text="Pode me mandar a proposta?")

    await _log_in(page)
    await _choose_file(
        page, "Proposta comercial.pdf", "application/pdf", pdf_document("Proposta")
    )
    chosen = await page.locator("#composer-attachment-name").inner_text()
    await page.fill("#composer-text", "Segue a proposta")
    await page.click("#composer-form .send-button")
    bubble = page.locator(".msg.outbound:not(.local)")
    document = bubble.locator(".media-document")
    await document.wait_for()
    await page.wait_for_function(
        """() => ["sent", "delivered", "read"].includes(
            document.querySelector(".msg.outbound").dataset.status)"""
    )
    await page.screenshot(path=str(ARTIFACTS / "media-send-pdf.png"))

    assert chosen == "Proposta comercial.pdf"
    assert await page.locator("#composer-attachment").is_hidden()
    assert await page.locator("#composer-text").input_value() == ""
    assert await page.locator(".msg.outbound").count() == 1
    assert await document.locator(".media-document-name").inner_text() == (
        "Proposta comercial.pdf"
    )
    assert await document.locator(".media-document-icon").inner_text() == "PDF"
    assert await bubble.locator(".media-caption").inner_text() == "Segue a proposta"
    sent = live.simulator.sent_messages[-1]["request"]
    assert sent["type"] == "document"
    assert sent["document"]["filename"] == "Proposta comercial.pdf"
    assert sent["document"]["caption"] == "Segue a proposta"
    download = await page.request.get(await document.get_attribute("href"))
    assert download.status == 200
    assert (await download.body()).startswith(b"%PDF-")


async def test_rejected_file_fails_bubble(live: LiveSystem, page: Any) -> None:
    await _lead_sends(live, text="Oi")

    await _log_in(page)
    await _choose_file(page, "logo.svg", "image/svg+xml", SVG)
    await page.click("#composer-form .send-button")
    failed = page.locator(".msg.outbound.local.failed")
    await failed.wait_for()
    await page.screenshot(path=str(ARTIFACTS / "media-send-svg-rejected.png"))

    assert await failed.get_attribute("data-status") == "failed"
    assert "logo.svg" in await failed.locator(".local-file").inner_text()
    error = await failed.locator(".msg-error").inner_text()
    assert error.endswith("Arquivos SVG não são aceitos pelo WhatsApp.")
    assert live.simulator.sent_messages == []


async def test_video_plays_to_end(live: LiveSystem, page: Any) -> None:
    await _lead_sends(live, type="video", caption="Aula inaugural")
    await _wait_for_stored(live, 1)

    await _log_in(page)
    video = page.locator(".msg.inbound video.media-video")
    await video.wait_for()
    played = await video.evaluate(
        PLAY_TO_END, {"timeoutMs": PLAY_TIMEOUT_MS, "muted": True}
    )
    await page.screenshot(path=str(ARTIFACTS / "media-video.png"))

    assert played["ended"] is True, played
    assert played["width"] == 16
    assert played["duration"] == 1


async def test_arriving_image_shows(live: LiveSystem, page: Any) -> None:
    await _lead_sends(live, text="Vou mandar o comprovante")
    await _log_in(page)

    await _lead_sends(live, type="image", caption="Comprovante novo")
    await page.wait_for_function(
        """() => {
            const image = document.querySelector(".msg.inbound .media-thumb img");
            return image !== null && image.complete && image.naturalWidth > 0;
        }""",
        timeout=10000,
    )

    assert await page.locator(".msg.inbound .media-pending").count() == 0
    assert await page.locator(".msg.inbound .media-caption").inner_text() == (
        "Comprovante novo"
    )
