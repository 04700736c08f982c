"""Media upload, URL retrieval, download, expiry, deletion and injected failures."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from cenat_hub.simulator.sample_files import png_image
from tests.simulator.support import (
    LEAD_WA_ID,
    OTHER_WABA_TOKEN,
    PHONE_NUMBER_ID,
    SECOND_PHONE_NUMBER_ID,
    SECOND_TOKEN,
    Simulator,
    auth,
)

MEDIA_PATH = f"/v23.0/{PHONE_NUMBER_ID}/media"


async def upload_png(simulator: Simulator) -> tuple[str, bytes]:
    data = png_image()
    response = await simulator.client.post(
        MEDIA_PATH,
        headers=auth(),
        data={"messaging_product": "whatsapp", "type": "image/png"},
        files={"file": ("foto.png", data, "image/png")},
    )
    assert response.status_code == 200, response.text
    return response.json()["id"], data


async def media_url(simulator: Simulator, media_id: str) -> str:
    response = await simulator.client.get(f"/v23.0/{media_id}", headers=auth())
    assert response.status_code == 200, response.text
    return str(response.json()["url"])


async def test_upload_returns_numeric_id(simulator: Simulator) -> None:
    media_id, data = await upload_png(simulator)

    assert media_id.isdigit()
    item = simulator.state.media.items[media_id]
    assert item.data == data
    assert item.owner_phone_number_id == PHONE_NUMBER_ID
    assert item.filename == "foto.png"


async def test_media_url_fields(simulator: Simulator) -> None:
    media_id, data = await upload_png(simulator)

    response = await simulator.client.get(f"/v23.0/{media_id}", headers=auth())

    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["id"] == media_id
    assert body["mime_type"] == "image/png"
    assert body["file_size"] == len(data)
    assert body["sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    url = urlsplit(body["url"])
    assert f"{url.scheme}://{url.netloc}" == "http://127.0.0.1:8100"
    assert url.path == f"/_media/{media_id}"
    assert set(parse_qs(url.query)) == {"expires", "sig"}


async def test_download_serves_bytes(simulator: Simulator) -> None:
    media_id, data = await upload_png(simulator)
    url = await media_url(simulator, media_id)

    response = await simulator.client.get(url, headers=auth())

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"


async def test_download_with_token_of_same_waba(simulator: Simulator) -> None:
    media_id, _ = await upload_png(simulator)
    url = await media_url(simulator, media_id)

    response = await simulator.client.get(url, headers=auth(SECOND_TOKEN))

    assert response.status_code == 200


@pytest.mark.parametrize("headers", [{}, auth(OTHER_WABA_TOKEN)], ids=["none", "other"])
async def test_download_bad_token_gives_401(
    simulator: Simulator, headers: dict[str, str]
) -> None:
    media_id, _ = await upload_png(simulator)
    url = await media_url(simulator, media_id)

    response = await simulator.client.get(url, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190


async def test_expired_link_gives_404(simulator: Simulator) -> None:
    media_id, _ = await upload_png(simulator)
    url = await media_url(simulator, media_id)
    real_clock = simulator.state.clock
    simulator.state.clock = lambda: real_clock() + 301

    response = await simulator.client.get(url, headers=auth())

    assert response.status_code == 404
    assert "expired" in response.json()["error"]["message"]


async def test_new_url_after_expiry_works(simulator: Simulator) -> None:
    media_id, data = await upload_png(simulator)
    real_clock = simulator.state.clock
    simulator.state.clock = lambda: real_clock() + 3600

    url = await media_url(simulator, media_id)
    response = await simulator.client.get(url, headers=auth())

    assert response.content == data


async def test_tampered_link_gives_404(simulator: Simulator) -> None:
    media_id, _ = await upload_png(simulator)
    url = await media_url(simulator, media_id)
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    tampered = url.replace(f"expires={expires}", f"expires={expires + 3600}")

    response = await simulator.client.get(tampered, headers=auth())

    assert response.status_code == 404


async def test_injected_download_failures(simulator: Simulator) -> None:
    media_id, _ = await upload_png(simulator)
    url = await media_url(simulator, media_id)
    simulator.state.fail_downloads(media_id, 2)

    statuses = [
        (await simulator.client.get(url, headers=auth())).status_code for _ in range(3)
    ]

    assert statuses == [500, 500, 200]


async def test_delete_media(simulator: Simulator) -> None:
    media_id, _ = await upload_png(simulator)

    deleted = await simulator.client.delete(f"/v23.0/{media_id}", headers=auth())
    lookup = await simulator.client.get(f"/v23.0/{media_id}", headers=auth())

    assert deleted.json() == {"success": True}
    assert lookup.status_code == 400
    assert lookup.json()["error"]["code"] == 100
    assert lookup.json()["error"]["error_subcode"] == 33


async def test_media_lookup_checks_phone_number_id(simulator: Simulator) -> None:
    media_id, _ = await upload_png(simulator)

    owner = await simulator.client.get(
        f"/v23.0/{media_id}",
        params={"phone_number_id": PHONE_NUMBER_ID},
        headers=auth(),
    )
    other = await simulator.client.get(
        f"/v23.0/{media_id}",
        params={"phone_number_id": SECOND_PHONE_NUMBER_ID},
        headers=auth(),
    )

    assert owner.status_code == 200
    assert other.status_code == 400
    assert other.json()["error"]["code"] == 100


async def test_unknown_media_id_gives_100(simulator: Simulator) -> None:
    response = await simulator.client.get("/v23.0/123456789", headers=auth())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100
    assert response.json()["error"]["message"].startswith("(#100) Unsupported get")


@pytest.mark.parametrize(
    ("data", "files"),
    [
        ({"type": "image/png"}, {"file": ("a.png", b"x", "image/png")}),
        ({"messaging_product": "whatsapp"}, {"file": ("a.png", b"x", "image/png")}),
        ({"messaging_product": "whatsapp", "type": "image/png"}, None),
        (
            {"messaging_product": "whatsapp", "type": "image/gif"},
            {"file": ("a.gif", b"GIF89a", "image/gif")},
        ),
        (
            {"messaging_product": "whatsapp", "type": "image/png"},
            {"file": ("a.png", b"", "image/png")},
        ),
    ],
    ids=["no-product", "no-type", "no-file", "unsupported-type", "empty-file"],
)
async def test_bad_upload_gives_100(
    simulator: Simulator,
    data: dict[str, str],
    files: dict[str, tuple[str, bytes, str]] | None,
) -> None:
    response = await simulator.client.post(
        MEDIA_PATH, headers=auth(), data=data, files=files
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100
    assert simulator.state.media.items == {}


async def test_oversized_sticker_gives_131053(simulator: Simulator) -> None:
    response = await simulator.client.post(
        MEDIA_PATH,
        headers=auth(),
        data={"messaging_product": "whatsapp", "type": "image/webp"},
        files={"file": ("s.webp", b"RIFF" + bytes(600 * 1024), "image/webp")},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 131053


async def test_voice_upload_with_codec_parameter(simulator: Simulator) -> None:
    response = await simulator.client.post(
        MEDIA_PATH,
        headers=auth(),
        data={"messaging_product": "whatsapp", "type": "audio/ogg; codecs=opus"},
        files={"file": ("voz.ogg", b"OggS" + bytes(20), "audio/ogg")},
    )

    assert response.status_code == 200
    item = simulator.state.media.items[response.json()["id"]]
    assert item.mime_type == "audio/ogg; codecs=opus"


async def test_send_with_uploaded_media_id(simulator: Simulator) -> None:
    media_id, _ = await upload_png(simulator)
    body = {
        "messaging_product": "whatsapp",
        "to": LEAD_WA_ID,
        "type": "image",
        "image": {"id": media_id, "caption": "Folder do curso"},
    }

    response = await simulator.client.post(
        f"/v23.0/{PHONE_NUMBER_ID}/messages", headers=auth(), json=body
    )

    assert response.status_code == 200
