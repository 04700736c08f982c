"""The Conversas page in Chromium: live messages, replies, ticks and catch-up."""

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from cenat_hub.web.state import AppState
from tests.browser.inbox.conftest import (
    ARTIFACTS,
    FakeGraph,
    LiveServer,
    eventually,
    log_in,
    post_signed,
    status_payload,
)
from tests.factories import make_channel, make_user, text_message_payload
from tests.inbox.helpers import XSS_NAME, XSS_TEXT, now_ts

LEAD = "5511900000001"


async def _seed(state: AppState) -> None:
    await make_channel(state)
    await make_user(state)


async def _lead_writes(
    http: httpx.AsyncClient, wamid: str, body: str, **kwargs: object
) -> None:
    kwargs.setdefault("timestamp", now_ts())
    payload = text_message_payload(wamid=wamid, body=body, **kwargs)
    await post_signed(http, payload)


async def _open_conversation(page: Page, name: str) -> None:
    await page.locator(".conv-row", has_text=name).click()
    await expect(page.locator("#chat-pane")).to_be_visible()


async def test_live_message_and_reply_ticks(
    page: Page,
    context: BrowserContext,
    http: httpx.AsyncClient,
    seed_state: AppState,
    fake_graph: FakeGraph,
) -> None:
    await _seed(seed_state)
    await _lead_writes(http, "wamid.IN1", "Olá, quero saber da pós")
    await log_in(page)
    await _open_conversation(page, "Ana Teste")
    await expect(page.locator(".msg.inbound .msg-text")).to_have_text(
        "Olá, quero saber da pós"
    )
    watcher = await context.new_page()
    await watcher.goto(f"/conversas?contact={LEAD}")
    await expect(watcher.locator("#inbox")).to_have_attribute("data-stream", "open")

    await _lead_writes(http, "wamid.IN2", "Tem bolsa de estudos?")
    await expect(page.locator(".msg.inbound .msg-text").last).to_have_text(
        "Tem bolsa de estudos?"
    )
    await expect(watcher.locator(".msg.inbound .msg-text").last).to_have_text(
        "Tem bolsa de estudos?"
    )

    await page.fill("#composer-text", "Temos sim!\nVeja o site")
    await page.press("#composer-text", "Enter")
    mine = page.locator(".msg.outbound").last
    await expect(mine.locator(".msg-text")).to_have_text("Temos sim!\nVeja o site")
    await expect(mine).to_have_attribute("data-status", "sent")
    await expect(mine.locator(".msg-sender")).to_have_text("Ana Admin Teste")
    theirs = watcher.locator(".msg.outbound").last
    await expect(theirs).to_have_attribute("data-status", "sent")
    assert len(fake_graph.sends()) == 1
    wamid = await mine.get_attribute("data-wa-message-id")
    assert wamid

    for status in ("delivered", "read"):
        await post_signed(http, status_payload(wamid, status, now_ts()))
        await expect(mine).to_have_attribute("data-status", status)
        await expect(theirs).to_have_attribute("data-status", status)
    await expect(mine.locator(".ticks")).to_have_text("✓✓")


async def test_shift_enter_and_reply_quote(
    page: Page, http: httpx.AsyncClient, seed_state: AppState, fake_graph: FakeGraph
) -> None:
    await _seed(seed_state)
    await _lead_writes(http, "wamid.Q1", "Qual o valor da mensalidade?")
    await log_in(page)
    await _open_conversation(page, "Ana Teste")

    await page.locator(".msg.inbound").hover()
    await page.click(".msg.inbound .reply-button")
    await expect(page.locator("#reply-preview")).to_be_visible()
    await page.fill("#composer-text", "Linha 1")
    await page.press("#composer-text", "Shift+Enter")
    await page.type("#composer-text", "Linha 2")
    await page.press("#composer-text", "Enter")

    mine = page.locator(".msg.outbound").last
    await expect(mine).to_have_attribute("data-status", "sent")
    await expect(mine.locator(".msg-text")).to_have_text("Linha 1\nLinha 2")
    await expect(mine.locator(".quote-text")).to_have_text(
        "Qual o valor da mensalidade?"
    )
    sent = fake_graph.sends()[-1]
    assert sent["text"]["body"] == "Linha 1\nLinha 2"
    assert sent["context"] == {"message_id": "wamid.Q1"}


async def test_failed_send_shows_reason(
    page: Page, http: httpx.AsyncClient, seed_state: AppState, fake_graph: FakeGraph
) -> None:
    await _seed(seed_state)
    await _lead_writes(http, "wamid.F1", "Oi")
    await log_in(page)
    await _open_conversation(page, "Ana Teste")
    fake_graph.fail_next_sends = 1

    await page.fill("#composer-text", "Vai falhar")
    await page.press("#composer-text", "Enter")

    mine = page.locator(".msg.outbound").last
    await expect(mine).to_have_attribute("data-status", "failed")
    await expect(mine.locator(".msg-error")).to_contain_text("não tem WhatsApp")


async def test_dropped_stream_catches_up_without_reload(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await _seed(seed_state)
    await _lead_writes(http, "wamid.D1", "Primeira")
    await log_in(page)
    await _open_conversation(page, "Ana Teste")
    await expect(page.locator("#inbox")).to_have_attribute("data-stream", "open")
    await page.evaluate("window.marker = 'same page'")

    await page.evaluate("window.cenatInbox.disconnect()")
    await _lead_writes(
        http, "wamid.D2", "Segunda, enquanto desconectado", timestamp=now_ts(1)
    )
    await _lead_writes(
        http, "wamid.D3", "Terceira, enquanto desconectado", timestamp=now_ts(2)
    )
    await _lead_writes(
        http, "wamid.OTHER1", "Outro lead", wa_id="5511900000002", name="Bruno Teste"
    )
    await page.wait_for_timeout(500)
    await expect(page.locator(".msg.inbound")).to_have_count(1)

    await page.evaluate("window.cenatInbox.connect()")
    await expect(page.locator(".msg.inbound")).to_have_count(3)
    texts = await page.locator(".msg.inbound .msg-text").all_inner_texts()
    assert texts == [
        "Primeira",
        "Segunda, enquanto desconectado",
        "Terceira, enquanto desconectado",
    ]
    await expect(page.locator(".conv-row", has_text="Bruno Teste")).to_be_visible()
    assert await page.evaluate("window.marker") == "same page"

    await _lead_writes(http, "wamid.D4", "Quarta, ao vivo", timestamp=now_ts(3))
    await expect(page.locator(".msg.inbound")).to_have_count(4)


async def test_composer_closed_window(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await _seed(seed_state)
    payload = text_message_payload(
        wamid="wamid.OLD1", body="Mensagem antiga", timestamp=now_ts(-25 * 3600)
    )
    await post_signed(http, payload)
    await log_in(page)
    await _open_conversation(page, "Ana Teste")

    await expect(page.locator("#composer-form")).to_be_hidden()
    closed = page.locator("#window-closed")
    await expect(closed).to_be_visible()
    await expect(closed).to_contain_text("janela de 24 horas fechou")
    link = closed.locator("a", has_text="Enviar template")
    assert (
        await link.get_attribute("href") == f"/nova-conversa?wa_id={LEAD}&channel_id=1"
    )

    await _lead_writes(http, "wamid.NEW1", "Voltei!")
    await expect(page.locator("#composer-form")).to_be_visible()
    await expect(page.locator("#window-state")).to_contain_text(
        "Janela aberta: faltam 23 h"
    )


async def test_search_with_and_without_accents(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await _seed(seed_state)
    leads = [
        ("wamid.S1", "Bom dia", "5511900000011", "João Teste"),
        ("wamid.S2", "Oi", "5511900000012", "Joao Sem Acento"),
        ("wamid.S3", "Quero a pós em psicologia", "5511900000013", "Maria Teste"),
    ]
    for offset, (wamid, body, wa_id, name) in enumerate(leads):
        await _lead_writes(
            http, wamid, body, wa_id=wa_id, name=name, timestamp=now_ts(offset)
        )
    await log_in(page)
    rows = page.locator(".conv-row .conv-name")
    await expect(rows).to_have_count(3)

    await page.fill("#search-input", "joao")
    await expect(rows).to_have_text(["Joao Sem Acento", "João Teste"])
    await page.fill("#search-input", "JOÃO")
    await expect(rows).to_have_text(["Joao Sem Acento", "João Teste"])
    await page.fill("#search-input", "psicologia pos")
    await expect(rows).to_have_count(0)
    await page.fill("#search-input", "pos em psicologia")
    await expect(rows).to_have_text(["Maria Teste"])
    await page.fill("#search-input", "900000011")
    await expect(rows).to_have_text(["João Teste"])
    await page.fill("#search-input", "")
    await expect(rows).to_have_count(3)


async def test_hostile_names_and_text_stay_text(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await _seed(seed_state)
    await page.add_init_script(
        "window.alerted = false; window.alert = () => { window.alerted = true; };"
    )
    await _lead_writes(http, "wamid.X1", XSS_TEXT, name=XSS_NAME)
    await log_in(page)
    await _open_conversation(page, "<script>")
    await _lead_writes(
        http, "wamid.X2", '<img src=y onerror="alert(2)">', name=XSS_NAME
    )

    await expect(page.locator(".msg.inbound")).to_have_count(2)
    await expect(page.locator(".chat-name")).to_have_text(XSS_NAME)
    await expect(page.locator(".msg.inbound .msg-text").last).to_have_text(
        '<img src=y onerror="alert(2)">'
    )
    assert await page.locator(".bubble img").count() == 0
    assert await page.evaluate("window.alerted") is False
    link = page.locator(".msg-text a").first
    assert await link.get_attribute("href") == "https://example.org/curso?a=1&b=2"


async def test_screenshots_at_desktop_and_phone_widths(
    browser: Browser,
    live_server: LiveServer,
    http: httpx.AsyncClient,
    seed_state: AppState,
) -> None:
    await _seed(seed_state)
    leads = [
        (
            "5511900000021",
            "Carla Teste",
            "Bom dia! Vi o anúncio da pós em saúde mental.",
        ),
        ("5511900000022", "Diego Teste", "Qual o valor?"),
        ("5511900000023", "Elisa Teste", "Pode me mandar o link da inscrição?"),
    ]
    for number, (wa_id, name, body) in enumerate(leads):
        await _lead_writes(
            http,
            f"wamid.SHOT{number}",
            body,
            wa_id=wa_id,
            name=name,
            timestamp=now_ts(number),
        )
    ARTIFACTS.mkdir(exist_ok=True)

    for label, width, height in (("desktop", 1280, 800), ("phone", 390, 844)):
        ctx = await browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        page = await ctx.new_page()
        await log_in(page)
        await page.screenshot(path=str(ARTIFACTS / f"conversas-{label}-list.png"))
        await page.locator(".conv-row", has_text="Carla Teste").click()
        await expect(page.locator("#composer-text")).to_be_visible()
        await page.fill("#composer-text", f"Olá Carla! Posso ajudar? ({label})")
        await page.press("#composer-text", "Enter")
        await expect(page.locator(".msg.outbound").last).to_have_attribute(
            "data-status", "sent"
        )
        await page.screenshot(path=str(ARTIFACTS / f"conversas-{label}-chat.png"))
        if label == "phone":
            await expect(page.locator(".inbox-list")).to_be_hidden()
            await page.click(".back-link")
            await expect(page.locator(".inbox-list")).to_be_visible()
        await ctx.close()


async def test_list_order_and_read_badges(
    page: Page,
    context: BrowserContext,
    http: httpx.AsyncClient,
    seed_state: AppState,
    fake_graph: FakeGraph,
) -> None:
    await _seed(seed_state)
    await _lead_writes(
        http,
        "wamid.L1",
        "Oi",
        wa_id="5511900000051",
        name="Fabio Teste",
        timestamp=now_ts(-2),
    )
    await _lead_writes(
        http,
        "wamid.L2",
        "Olá",
        wa_id="5511900000052",
        name="Gabi Teste",
        timestamp=now_ts(-1),
    )
    await log_in(page)
    other = await context.new_page()
    await other.goto("/conversas")
    names = page.locator(".conv-row .conv-name")
    await expect(names).to_have_text(["Gabi Teste", "Fabio Teste"])
    await expect(other.locator("#inbox")).to_have_attribute("data-stream", "open")

    await _lead_writes(
        http, "wamid.L3", "Ainda aí?", wa_id="5511900000051", name="Fabio Teste"
    )
    await expect(names).to_have_text(["Fabio Teste", "Gabi Teste"])
    fabio_there = other.locator(".conv-row", has_text="Fabio Teste")
    await expect(fabio_there.locator(".badge")).to_have_text("2")
    await expect(fabio_there.locator(".conv-preview")).to_have_text("Ainda aí?")

    await _open_conversation(page, "Fabio Teste")
    await expect(fabio_there.locator(".badge")).to_have_count(0)
    await expect(page.locator(".conv-row.active .conv-name")).to_have_text(
        "Fabio Teste"
    )
    await eventually(lambda: fake_graph.read_receipts() == ["wamid.L3"])

    await _lead_writes(
        http, "wamid.L4", "Oi de novo", wa_id="5511900000051", name="Fabio Teste"
    )
    await expect(page.locator(".msg.inbound .msg-text").last).to_have_text("Oi de novo")
    await expect(fabio_there.locator(".conv-preview")).to_have_text("Oi de novo")
    await expect(fabio_there.locator(".badge")).to_have_count(0)


async def test_older_history_on_scroll(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await _seed(seed_state)
    start = now_ts(-3600)
    for number in range(60):
        payload = text_message_payload(
            wamid=f"wamid.OLDER{number}",
            body=f"Mensagem {number}",
            timestamp=start + number,
        )
        await post_signed(http, payload)
    await log_in(page)
    await _open_conversation(page, "Ana Teste")
    bubbles = page.locator(".msg.inbound .msg-text")
    await expect(bubbles).to_have_count(40)
    await expect(bubbles.last).to_have_text("Mensagem 59")

    await page.locator("#messages").evaluate("box => { box.scrollTop = 0; }")

    await expect(bubbles).to_have_count(60)
    await expect(bubbles.first).to_have_text("Mensagem 0")
    await expect(page.locator(".history-start")).to_be_visible()
    await expect(page.locator(".day-separator")).to_have_count(1)


async def test_notification_when_tab_hidden(
    page: Page, context: BrowserContext, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await _seed(seed_state)
    await context.grant_permissions(["notifications"])
    await page.add_init_script(
        """
        window.shown = [];
        window.Notification = class {
          static permission = "granted";
          static requestPermission() { return Promise.resolve("granted"); }
          constructor(title, options) { window.shown.push([title, options.body]); }
        };
        Object.defineProperty(document, "hidden", { get: () => window.pretendHidden === true });
        """
    )
    await _lead_writes(http, "wamid.N1", "Oi")
    await log_in(page)
    await page.click("#notify-toggle")
    await expect(page.locator("#notify-toggle")).to_have_text("Desativar notificações")
    await expect(page.locator("#inbox")).to_have_attribute("data-stream", "open")

    await _lead_writes(http, "wamid.N2", "Visível: sem aviso")
    await expect(page.locator(".conv-preview")).to_have_text("Visível: sem aviso")
    await page.evaluate("window.pretendHidden = true")
    await _lead_writes(
        http, "wamid.N3", "<b>Escondida</b>: com aviso", name="Ana <Teste>"
    )
    await expect(page.locator(".conv-preview")).to_contain_text("Escondida")

    shown = await page.evaluate("window.shown")
    assert shown == [["Ana Teste", "<b>Escondida</b>: com aviso"]]
