"""The Conversas page and its fragments, through real HTTP on the app."""

import httpx

from cenat_hub.web.state import AppState
from tests.inbox.helpers import (
    XSS_NAME,
    XSS_TEXT,
    lead_writes,
    setup_inbox,
)

HX = {"HX-Request": "true"}


async def test_conversas_page_escapes_what_the_lead_controls(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.XSS1", name=XSS_NAME, body=XSS_TEXT)

    page = await client.get("/conversas?contact=5511900000001")

    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert (
        '<a href="https://example.org/curso?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">' in html
    )
