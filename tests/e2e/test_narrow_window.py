"""The staff pages in half of a laptop's screen (640 px wide): nothing wider than the window."""

from __future__ import annotations

import re

import pytest
from e2e_support import screenshot
from test_review_ui import _store

from registry_admin.db import transaction
from registry_admin.review.accounts import create_user

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"
PAGES = [
    "/requests",
    "/requests?state=quarantined",
    "/requests?state=removals",
    "/requests/{id}",
    "/registry",
    "/registry/2331972-7",
    "/audit",
    "/outbox",
    "/webhooks",
    "/wording",
    "/rejection-reasons",
]


@pytest.fixture
def narrow_page(browser):
    context = browser.new_context(viewport={"width": 640, "height": 800}, locale="fi-FI")
    page = context.new_page()
    yield page
    context.close()


def test_every_page_fits_a_half_screen_window(app, live_server, narrow_page, add_org):
    with app.app_context(), transaction() as session:
        create_user(session, "anna", role="admin", password=PASSWORD, actor="test", language="fi")
    add_org("2331972-7", "Testiyhdistys, jolla on hyvin pitkä virallinen nimi ry", source="manual")
    request_id = _store(
        app,
        subject="Rekisteri " + "pitkä " * 40,
        organization="Alfa " + "Pitkänimisyhdistys" * 6 + " ry",
        business_id="2331972-7",
        valid=True,
        missing=[],
        state="ready",
    )
    page = narrow_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(f"{live_server}/requests")
    too_wide = {}
    for path in PAGES:
        page.goto(live_server + path.format(id=request_id))
        assert page.locator("h1").count() == 1, path
        screenshot(page, "narrow" + re.sub(r"[^a-z0-9]+", "-", path.replace("{id}", "request")))
        extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if extra > 0:
            too_wide[path] = extra
    assert too_wide == {}, "pages wider than the window (px)"
