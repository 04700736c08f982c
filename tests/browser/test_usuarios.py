"""Usuários in Chromium: an admin adds an agent, who then cannot reach the page."""

from pathlib import Path

from playwright.async_api import Browser, ConsoleMessage, Page, expect

from cenat_hub.auth.service import create_admin, create_user
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import User
from tests.browser.conftest import LiveServer

ADMIN_EMAIL = "ana.admin@teste.invalid"
ADMIN_PASSWORD = "senha-da-ana-admin"
AGENT_EMAIL = "bia.atendente@teste.invalid"
AGENT_PASSWORD = "senha-da-bia-ção"


async def _seed_admin(server: LiveServer) -> User:
    async with unit_of_work(server.session_factory) as session:
        return await create_admin(
            session, name="Ana Admin Teste", email=ADMIN_EMAIL, password=ADMIN_PASSWORD
        )


async def _log_in(
    page: Page, server: LiveServer, email: str, password: str, next: str
) -> None:
    await page.goto(f"{server.url}/login?next={next}")
    await expect(page.get_by_role("heading", name="Cenat Hub")).to_be_visible()
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Senha").fill(password)
    await page.get_by_role("button", name="Entrar").click()


async def test_admin_creates_agent_who_cannot_open_usuarios(
    live_server: LiveServer, page: Page, artifacts_dir: Path
) -> None:
    console_errors: list[str] = []

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", keep_error)
    await _seed_admin(live_server)

    await _log_in(page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD, "/usuarios")
    await expect(page).to_have_url(f"{live_server.url}/usuarios")
    await expect(
        page.get_by_role("heading", name="Usuários", exact=True)
    ).to_be_visible()
    await expect(page.get_by_role("link", name="Usuários")).to_be_visible()

    form = page.locator("form[action='/usuarios']")
    await form.get_by_label("Nome").fill("Bia Atendente Teste")
    await form.get_by_label("E-mail").fill(AGENT_EMAIL)
    await form.get_by_label("Senha").fill(AGENT_PASSWORD)
    await form.get_by_label("Papel").select_option("atendente")
    await form.get_by_role("button", name="Criar usuário").click()

    # The notice exists only in the panel htmx swaps in; a full-page form post
    # would have been redirected without it.
    await expect(page.get_by_role("status")).to_have_text(
        "Usuário Bia Atendente Teste criado."
    )
    row = page.locator(f"tr[data-email='{AGENT_EMAIL}']")
    await expect(row).to_contain_text("Bia Atendente Teste")
    await expect(row).to_contain_text("Ativo")
    await expect(page.locator("#auditoria")).to_contain_text(
        f"Ana Admin Teste criou o usuário Bia Atendente Teste ({AGENT_EMAIL}) como Atendente"
    )
    await page.screenshot(path=str(artifacts_dir / "usuarios.png"), full_page=True)

    await page.get_by_role("button", name="Sair").click()
    await expect(page).to_have_url(f"{live_server.url}/login")

    await _log_in(page, live_server, AGENT_EMAIL, AGENT_PASSWORD, "/conta/senha")
    await expect(page).to_have_url(f"{live_server.url}/conta/senha")
    await expect(page.get_by_role("heading", name="Minha senha")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Principal")
    await expect(navigation).to_be_visible()
    await expect(navigation.get_by_role("link", name="Usuários")).to_have_count(0)

    # Scripts blocked by the Content-Security-Policy would show up here.
    assert console_errors == []

    response = await page.goto(f"{live_server.url}/usuarios")
    assert response is not None
    assert response.status == 403
    await expect(page.get_by_role("heading", name="Acesso negado")).to_be_visible()
    await expect(page.get_by_text("restrita a administradores")).to_be_visible()
    await expect(page.get_by_role("link", name="Usuários")).to_have_count(0)
    await page.screenshot(path=str(artifacts_dir / "usuarios-403.png"), full_page=True)


async def test_deactivated_agent_is_sent_to_login(
    live_server: LiveServer, browser: Browser, page: Page
) -> None:
    admin = await _seed_admin(live_server)
    async with unit_of_work(live_server.session_factory) as session:
        await create_user(
            session,
            name="Bia Atendente Teste",
            email=AGENT_EMAIL,
            password=AGENT_PASSWORD,
            role="atendente",
            actor=admin,
        )
    agent_context = await browser.new_context(locale="pt-BR")
    agent_page = await agent_context.new_page()
    await _log_in(agent_page, live_server, AGENT_EMAIL, AGENT_PASSWORD, "/conta/senha")
    await expect(agent_page).to_have_url(f"{live_server.url}/conta/senha")

    await _log_in(page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD, "/usuarios")
    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator(f"tr[data-email='{AGENT_EMAIL}']")
    await row.get_by_role("button", name="Desativar").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Usuário Bia Atendente Teste desativado."
    )
    await expect(row).to_contain_text("Inativo")
    await expect(row.get_by_role("button", name="Ativar")).to_be_visible()

    await agent_page.reload()
    await expect(agent_page).to_have_url(f"{live_server.url}/login?next=/conta/senha")
    await agent_page.get_by_label("E-mail").fill(AGENT_EMAIL)
    await agent_page.get_by_label("Senha").fill(AGENT_PASSWORD)
    await agent_page.get_by_role("button", name="Entrar").click()
    await expect(agent_page.get_by_role("alert")).to_have_text(
        "Usuário inativo. Peça a um administrador para reativar sua conta."
    )
    await agent_context.close()
