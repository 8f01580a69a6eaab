"""Sign-in through the OpenID Connect provider in a real browser, with the real security headers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import screenshot
from flask import Flask
from review.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from testsupport import close_app, settings_for
from waitress.server import create_server

from registry_admin import create_app
from registry_admin.db import transaction
from registry_admin.review.accounts import create_user

pytestmark = pytest.mark.browser


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def oidc_server(database_url: str, tmp_path: Path, provider: Provider) -> Iterator[str]:
    """The application, its base URL on the port it is served on, signing in via `provider`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    overrides = settings_for(tmp_path, database_url)
    overrides["app"]["base_url"] = base_url
    overrides["auth"] = {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_display_name": "Kela ID",
    }
    app: Flask = create_app(overrides)
    with app.app_context(), transaction() as session:
        create_user(session, "anna", role="admin", password="a long enough password", actor="t")
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield base_url
    server.close()
    thread.join(timeout=5)
    close_app(app)


def test_staff_sign_in_through_the_provider_and_out_again(oidc_server, provider, page):
    provider.user = {"sub": "subject-of-anna", "preferred_username": "anna"}
    page.goto(f"{oidc_server}/audit")
    assert "/login" in page.url
    screenshot(page, "oidc-login")
    page.click("text=Kirjaudu palvelulla Kela ID")
    page.wait_for_url(f"{oidc_server}/audit")
    assert page.locator("h1").first.is_visible()
    screenshot(page, "oidc-signed-in")
    page.click("form[action='/logout'] button[type=submit]")
    page.wait_for_url("**/login")
    page.goto(f"{oidc_server}/audit")
    assert "/login" in page.url


def test_a_refusal_is_explained_on_the_login_page(oidc_server, provider, page):
    provider.user = {"sub": "subject-9", "preferred_username": "nobody"}
    page.goto(f"{oidc_server}/login")
    page.click("text=Kirjaudu palvelulla Kela ID")
    page.wait_for_selector("text=Ota yhteyttä ylläpitäjään")
    screenshot(page, "oidc-refused")
    # The password form still works from the page that explained the refusal.
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "a long enough password")
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(f"{oidc_server}/requests**")
