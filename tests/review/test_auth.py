from datetime import timedelta

from sqlalchemy import func, select
from staff_client import PASSWORD, csrf_token, sign_in

from registry_admin.db import db, utcnow
from registry_admin.review.sessions import StaffSession


def test_login_page_has_the_documented_form(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert page.text.count('type="submit"') == 4  # sign in + three language buttons
    assert page.text.count("<form") == 2


def test_successful_sign_in_redirects_to_the_staff_pages(client, staff):
    response = sign_in(client, "viewer")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(client, staff):
    wrong = sign_in(client, "viewer", "not the password!")
    unknown = sign_in(client, "nobody", "not the password!")
    assert wrong.status_code == unknown.status_code == 401
    # Finnish unless the browser or the user asks otherwise.
    assert "Väärä käyttäjätunnus tai salasana" in wrong.text
    assert "Väärä käyttäjätunnus tai salasana" in unknown.text


def test_login_page_follows_the_browser_language(client):
    assert "Logga in" in client.get("/login", headers={"Accept-Language": "sv-FI,sv;q=0.9"}).text
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB"}).text


def test_sign_in_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert response.status_code == 400


def test_repeated_failures_throttle_the_account(client, staff):
    for _ in range(5):
        assert sign_in(client, "admin", "wrong password!!").status_code == 401
    # Even the right password is refused while throttled.
    assert sign_in(client, "admin").status_code == 429


def test_logout_invalidates_a_copied_cookie(app, signed_in):
    browser = signed_in("admin")
    stolen = browser.get_cookie("registry_admin_session").value
    assert (
        browser.post("/logout", data={"csrf_token": csrf_token(browser, "/registry")}).status_code
        == 302
    )
    thief = app.test_client()
    thief.set_cookie("registry_admin_session", stolen)
    response = thief.get("/registry")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_idle_session_expires(app, signed_in):
    browser = signed_in("viewer")
    with app.app_context():
        for row in db.session.query(StaffSession):
            row.seen_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    response = browser.get("/registry")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_next_parameter_never_leaves_the_site(client, staff):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        token = csrf_token(client, f"/login?next={target}")
        response = client.post(
            f"/login?next={target}",
            data={"username": "viewer", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/"), target
        assert not response.headers["Location"].startswith("//")
        client.post("/logout", data={"csrf_token": csrf_token(client, "/registry")})


def test_session_cookie_flags(client, staff):
    response = sign_in(client, "viewer")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
