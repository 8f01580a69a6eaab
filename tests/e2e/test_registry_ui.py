"""Staff keep the registry in a real browser; the lookup API follows."""

from __future__ import annotations

import pytest
from e2e_support import screenshot

from registry_admin.db import transaction
from registry_admin.review.accounts import create_user

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


@pytest.fixture
def admin(app):
    with app.app_context(), transaction() as session:
        create_user(session, "anna", role="admin", password=PASSWORD, actor="test")
    return "anna"


def test_admin_adds_an_organization_and_the_api_says_registered(
    app, live_server, page, admin, api_headers, add_org
):
    add_org("0201256-6", "Helsinki", source="municipality")
    page.goto(f"{live_server}/registry")
    assert "/login" in page.url
    page.fill("input[name=username]", admin)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(f"{live_server}/registry")
    assert page.locator("h1").inner_text() == "Rekisteri"

    page.fill("#business_id", "FI23319727")
    page.fill("#name", "Testiyhdistys ry")
    page.fill("#reason", "Puhelinsoitto")
    page.click("form[action='/registry'] button[type=submit]")
    page.wait_for_url(f"{live_server}/registry/2331972-7")
    assert "Testiyhdistys ry" in page.locator("h1").inner_text()
    screenshot(page, "registry-organization")

    page.goto(f"{live_server}/registry")
    assert "Testiyhdistys ry" in page.content()
    screenshot(page, "registry")

    answer = app.test_client().get("/api/v1/organizations/2331972-7", headers=api_headers)
    assert answer.status_code == 200 and answer.json["source"] == "manual"

    # The language switch works from the page itself, and sticks to the account.
    with page.expect_navigation():
        page.click("button[value=sv]")
    assert page.locator("h1").inner_text() == "Registret"
    assert page.dialogs == []
