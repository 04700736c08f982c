"""The API reference page in Chromium: Swagger UI runs under the panel's CSP."""

from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer


async def test_api_reference_renders_under_csp(
    live_server: LiveServer, page: Page
) -> None:
    # The ``page`` fixture fails the test on any console error, so a script or
    # stylesheet blocked by the Content-Security-Policy fails it too.
    await page.goto(f"{live_server.url}/docs")
    await expect(page.get_by_role("heading", name="Cenat Hub")).to_be_visible()
    login = page.locator(".opblock-post").filter(has_text="/api/auth/login").first
    await expect(login).to_be_visible()
    await login.locator(".opblock-summary").click()
    await expect(login.get_by_text("Request body")).to_be_visible()
