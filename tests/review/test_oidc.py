"""Sign-in through an OpenID Connect provider: a real one on loopback, over real HTTP."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from sqlalchemy import func, select
from staff_client import PASSWORD, csrf_token, sign_in
from testsupport import close_app, settings_for

from registry_admin import create_app
from registry_admin.db import db, transaction
from registry_admin.registry.models import AuditEvent
from registry_admin.review.accounts import create_user
from registry_admin.review.models import StaffUser
from registry_admin.review.sessions import StaffSession

BASE_URL = "http://127.0.0.1:8000"
CALLBACK = f"{BASE_URL}/login/oidc/callback"


@pytest.fixture(scope="module")
def running() -> Iterator[Provider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def provider(running: Provider) -> Provider:
    running.reset()
    return running


@pytest.fixture
def make_app(database_url: str, tmp_path, provider: Provider):
    """make_app(**auth) -> an application signing in through `provider`, with these [auth] keys."""
    apps: list[Flask] = []

    def make(**auth) -> Flask:
        overrides = settings_for(tmp_path / str(len(apps)), database_url)
        overrides["auth"] = {
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_display_name": "Kela ID",
            **auth,
        }
        app = create_app(overrides)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        close_app(app)


@pytest.fixture
def app(make_app) -> Flask:
    app = make_app()
    with app.app_context(), transaction() as session:
        for role in ("viewer", "reviewer", "admin"):
            create_user(session, role, role=role, password=PASSWORD, actor="test", language="en")
    return app


def browser(app: Flask) -> FlaskClient:
    """A browser that asks for English pages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def session_of(client: FlaskClient) -> dict:
    """What the signed session cookie holds (readable, not secret: only signed)."""
    with client.session_transaction() as session:
        return dict(session)


def start(client: FlaskClient, path: str = "/login/oidc") -> str:
    """Follow "Sign in with Kela ID": the URL of the provider's authorization endpoint."""
    response = client.get(path)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def through_provider(authorize_url: str) -> str:
    """The browser at the provider (over HTTP): the callback path it is sent back to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    return location.removeprefix(BASE_URL)


def sign_in_oidc(client: FlaskClient):
    return client.get(through_provider(start(client)))


def failures(app: Flask) -> list[str]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")
        ).all()
        return [event.after["reason"] for event in events]


def session_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffSession)) or 0


def account(app: Flask, username: str) -> StaffUser:
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        assert user is not None
        db.session.expunge(user)
        return user


def refused(app: Flask, response, reason: str | None, says: str, status: int = 401) -> None:
    """The login page again, saying why, audited (unless reason is None), no session opened."""
    assert response.status_code == status, response.text
    assert says in response.text
    # The password form on it posts to /login, wherever the page answered.
    assert re.search(r'<form method="post" action="/login(\?next=[^"]*)?"', response.text)
    assert 'name="username"' in response.text
    assert failures(app) == ([reason] if reason else [])
    assert session_count(app) == 0


# --- the login page and the request to the provider ------------------------------------------


def test_login_page_keeps_the_password_form_and_offers_the_provider(app):
    page = browser(app).get("/login", headers={"Accept-Language": "en"})
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert "Sign in with Kela ID" in page.text
    assert 'href="/login/oidc"' in page.text
    # Following the link only redirects, keeping the OAuth state in the session cookie.
    client = browser(app)
    assert client.get("/login/oidc").status_code == 302
    assert any(key.startswith("_state_oidc_") for key in session_of(client))
    assert session_count(app) == 0 and failures(app) == []


def test_authorization_request_carries_pkce_state_nonce_and_the_redirect_uri(app):
    query = parse_qs(urlsplit(start(browser(app))).query)
    assert query["redirect_uri"] == [CALLBACK]
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert "openid" in query["scope"][0].split()
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


# --- success ---------------------------------------------------------------------------------


def test_sign_in_opens_a_session_with_the_accounts_role(app, provider):
    provider.user = {"sub": "subject-7", "preferred_username": "reviewer"}
    client = browser(app)
    response = client.get(through_provider(start(client, "/login/oidc?next=/registry")))
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/registry"
    assert client.get("/registry").status_code == 200
    assert client.get("/requests").status_code == 200
    assert client.get("/audit").status_code == 403  # a reviewer, as the account says
    assert session_count(app) == 1
    assert account(app, "reviewer").oidc_subject == "subject-7"
    # The code was exchanged with the PKCE verifier and the same redirect URI.
    exchange = provider.token_requests[-1]
    assert exchange["code_verifier"] and exchange["redirect_uri"] == CALLBACK
    assert failures(app) == []


def test_a_linked_account_is_found_by_subject_after_a_rename_at_the_provider(app, provider):
    provider.user = {"sub": "subject-7", "preferred_username": "admin"}
    assert sign_in_oidc(browser(app)).status_code == 302
    provider.user = {"sub": "subject-7", "preferred_username": "a.new.name"}
    client = browser(app)
    assert sign_in_oidc(client).status_code == 302
    assert client.get("/audit").status_code == 200


def test_someone_else_with_a_linked_accounts_username_is_refused(app, provider):
    provider.user = {"sub": "subject-7", "preferred_username": "admin"}
    assert sign_in_oidc(browser(app)).status_code == 302
    with app.app_context(), transaction() as session:
        session.query(StaffSession).delete()
    # The provider gave the username to another person: same name, another subject.
    provider.user = {"sub": "subject-8", "preferred_username": "admin"}
    response = sign_in_oidc(browser(app))
    refused(app, response, "linked_to_another_subject", "no active staff account")
    assert account(app, "admin").oidc_subject == "subject-7"


def test_a_new_signing_key_of_the_provider_is_fetched(app, provider):
    assert sign_in_oidc(browser(app)).status_code == 302  # the published keys are now cached
    provider.rotate_key()
    assert sign_in_oidc(browser(app)).status_code == 302
    assert failures(app) == []


def test_logout_ends_a_session_opened_through_the_provider(app):
    victim = browser(app)
    assert sign_in_oidc(victim).status_code == 302
    stolen = victim.get_cookie("registry_admin_session").value
    logout = victim.post("/logout", data={"csrf_token": csrf_token(victim, "/registry")})
    assert logout.status_code == 302
    assert session_count(app) == 0
    thief = browser(app)
    thief.set_cookie("registry_admin_session", stolen)
    response = thief.get("/registry")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- refusals --------------------------------------------------------------------------------


def test_unknown_user_is_refused(app, provider):
    provider.user = {"sub": "subject-9", "preferred_username": "nobody"}
    response = sign_in_oidc(browser(app))
    refused(app, response, "unknown_user", "no active staff account may sign in as you")
    admin = browser(app)
    assert sign_in(admin, "admin").status_code == 302
    trail = admin.get("/audit").text
    assert "oidc:nobody" in trail and "failed sign-in" in trail


def test_inactive_account_is_refused(app, provider):
    with app.app_context(), transaction() as session:
        session.scalar(select(StaffUser).where(StaffUser.username == "admin")).active = False
    response = sign_in_oidc(browser(app))
    refused(app, response, "inactive_account", "no active staff account")


def test_a_token_signed_with_another_key_is_refused(app, provider):
    provider.forge_signature = True
    response = sign_in_oidc(browser(app))
    refused(app, response, "bad_signature", "could not be verified")
    assert account(app, "admin").oidc_subject is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-client"}, "invalid_claim:aud"),
        # An audience of someone else, even naming this client as the authorized party.
        ({"aud": ["another-client"], "azp": CLIENT_ID}, "invalid_claim:aud"),
        ({"iss": "http://127.0.0.1:9/other-issuer"}, "invalid_claim:iss"),
        ({"nonce": "a nonce of another sign-in"}, "invalid_claim:nonce"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
    ],
    ids=["audience", "audience-with-azp", "issuer", "nonce", "expired"],
)
def test_an_id_token_failing_a_check_is_refused(app, provider, overrides, reason):
    provider.claim_overrides = overrides
    response = sign_in_oidc(browser(app))
    refused(app, response, reason, "could not be verified")


def test_an_answer_from_a_sign_in_begun_in_another_browser_is_refused(app):
    # Login CSRF: an attacker's callback URL, with their code, opened in the victim's browser.
    callback = through_provider(start(browser(app)))
    response = browser(app).get(callback)
    refused(app, response, "state_mismatch", "does not belong to a sign-in started")


def test_a_tampered_or_replayed_state_is_refused(app):
    client = browser(app)
    callback = through_provider(start(client))
    other = urlsplit(callback)._replace(query="code=x&state=forged").geturl()
    assert client.get(other).status_code == 401
    assert client.get(callback).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/registry")})
    assert client.get(callback).status_code == 401  # the state was used up
    assert failures(app) == ["state_mismatch", "state_mismatch"]


def test_an_error_from_the_provider_is_shown(app, provider):
    provider.authorize_error = "access_denied"
    response = sign_in_oidc(browser(app))
    refused(app, response, "provider_error:access_denied", "could not be reached or refused")


def test_a_code_the_token_endpoint_refuses(app, provider):
    callback = through_provider(start(client := browser(app)))
    provider.codes.clear()  # the code expired at the provider
    refused(app, client.get(callback), "provider_error:invalid_grant", "or refused")


def test_a_provider_that_names_another_issuer_in_discovery_is_refused(app, provider):
    provider.discovery_issuer = "https://impostor.example"
    response = browser(app).get("/login/oidc")
    # Not yet a sign-in attempt: nothing is written on a GET.
    refused(app, response, None, "could not be reached or refused", status=502)


def test_a_provider_that_is_down_gives_a_clear_message(make_app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before anyone connects: nothing listens
    app = make_app(oidc_issuer=f"http://127.0.0.1:{port}")
    refused(app, browser(app).get("/login/oidc"), None, "could not be reached", status=502)


def test_an_unverified_address_does_not_pick_the_account(make_app, provider):
    app = make_app(oidc_username_claim="email")
    with app.app_context(), transaction() as session:
        create_user(session, "boss@kela.fi", role="admin", password=PASSWORD, actor="test")
    provider.user = {"sub": "s-2", "email": "boss@kela.fi", "email_verified": False}
    refused(app, sign_in_oidc(browser(app)), "email_not_verified", "no active staff account")
    provider.user["email_verified"] = True
    assert sign_in_oidc(browser(app)).status_code == 302
    assert account(app, "boss@kela.fi").oidc_subject == "s-2"


def test_failed_callbacks_from_one_address_are_throttled(app):
    client = browser(app)
    for _ in range(20):
        assert client.get("/login/oidc/callback?code=x&state=forged").status_code == 401
    response = client.get("/login/oidc/callback?code=x&state=forged")
    assert response.status_code == 429
    assert len(failures(app)) == 20  # a throttled answer writes nothing more


def test_a_provider_gone_before_the_code_is_exchanged(make_app):
    with running_provider() as gone:
        app = make_app(oidc_issuer=gone.issuer)
        client = browser(app)
        callback = through_provider(start(client))
    response = client.get(callback)
    refused(app, response, "provider_unreachable", "could not be reached", status=502)


# --- configuration switches ------------------------------------------------------------------


def test_password_sign_in_can_be_turned_off(make_app):
    app = make_app(password_login=False)
    with app.app_context(), transaction() as session:
        create_user(session, "admin", role="admin", password=PASSWORD, actor="test")
    client = browser(app)
    page = client.get("/login", headers={"Accept-Language": "en"})
    assert 'name="password"' not in page.text and "Sign in with Kela ID" in page.text
    response = sign_in(client, "admin")
    assert response.status_code == 403
    assert session_count(app) == 0
    assert sign_in_oidc(client).status_code == 302


def test_roles_from_a_claim_create_and_update_accounts(make_app, provider):
    app = make_app(
        oidc_role_claim="groups",
        oidc_role_map={"registry-readers": "viewer", "registry-admins": "admin"},
        oidc_create_accounts=True,
    )
    provider.user = {
        "sub": "s-1",
        "preferred_username": "new.person",
        "groups": ["x", "registry-readers"],
    }
    client = browser(app)
    assert sign_in_oidc(client).status_code == 302
    created = account(app, "new.person")
    assert (created.role, created.oidc_subject) == ("viewer", "s-1")
    assert client.get("/audit").status_code == 403

    provider.user["groups"] = ["registry-readers", "registry-admins"]
    client = browser(app)
    assert sign_in_oidc(client).status_code == 302
    assert account(app, "new.person").role == "admin"
    assert client.get("/audit").status_code == 200

    provider.user["groups"] = ["somewhere-else"]
    response = sign_in_oidc(browser(app))
    assert response.status_code == 401
    assert failures(app) == ["no_role"]
    assert account(app, "new.person").role == "admin"  # unchanged by a refused sign-in
