"""A reviewer works through the queue in a real browser; hostile mail stays inert."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from e2e_support import screenshot
from sqlalchemy import select

from registry_admin.db import db, transaction
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.notify.models import Notification
from registry_admin.review.accounts import create_user

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"
HOSTILE = (
    '<p onmouseover="alert(1)">Hei<script>alert(2)</script><img src="http://tracker.example/p.gif">'
    "<svg><script>alert(3)</script></svg><math><mtext><script>alert(4)</script></mtext></math>"
    '<a href="javascript:alert(5)">klikkaa</a><iframe src="http://evil.example/"></iframe>'
    '<link rel="stylesheet" href="http://evil.example/x.css"><style>@import "http://evil.example/y.css";</style>'
    '<base href="http://evil.example/"><form action="http://evil.example/"><button>Lähetä</button></form>'
    '<meta http-equiv="refresh" content="0;url=http://evil.example/"></p>'
)


def _store(
    app,
    *,
    subject: str,
    organization: str,
    business_id: str | None,
    valid: bool | None,
    missing: list[str],
    state: str,
) -> int:
    message = EmailMessage()
    message["From"] = (
        f'"<img src=x onerror=alert(6)>" <hakija@{organization.split()[0].lower()}.example.fi>'
    )
    message["To"] = "tekninentuki@kela.fi"
    message["Subject"] = subject
    message["Message-ID"] = f"<{hashlib.md5(subject.encode()).hexdigest()}@example.fi>"
    message.set_content(f"Y-tunnus: {business_id or ''}\nOrganisaatio: {organization}\n")
    message.add_alternative(HOSTILE, subtype="html")
    message.add_attachment(
        b"<html><script>alert(7)</script></html>",
        maintype="text",
        subtype="html",
        filename="lasku.html",
    )
    raw = message.as_bytes()
    with app.app_context(), transaction() as session:
        request = RegistrationRequest(
            state=state,
            business_id=business_id,
            business_id_valid=valid,
            business_id_as_written=business_id,
            organization_name=organization,
            justification="Asiakkaidemme neuvonta <script>alert(8)</script>",
            contact_name="Liisa Laine",
            contact_email=f"liisa@{organization.split()[0].lower()}.example.fi",
            language="fi",
            missing=missing,
            evidence={},
            applicant_address=str(message["From"]),
        )
        session.add(request)
        session.flush()
        request.reference = f"RA-2026-{request.id:06d}"
        session.add(
            MailMessage(
                source="test",
                folder="INBOX",
                sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw),
                raw=raw,
                state="parsed",
                kind="request",
                request_id=request.id,
                message_id=str(message["Message-ID"]),
            )
        )
        return request.id


@pytest.fixture
def reviewer(app):
    with app.app_context(), transaction() as session:
        create_user(
            session, "risto", role="reviewer", password=PASSWORD, actor="test", language="fi"
        )
    return "risto"


def _sign_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(f"{live_server}/requests")


def test_reviewer_corrects_approves_rejects_and_asks(
    app, live_server, page, reviewer, client, api_headers
):
    first = _store(
        app,
        subject="Rekisteri 1",
        organization="Alfa ry",
        business_id="2331972-7",
        valid=True,
        missing=["organization_name"],
        state="incomplete",
    )
    second = _store(
        app,
        subject="Rekisteri 2",
        organization="Beeta ry",
        business_id="0201256-7",
        valid=False,
        missing=[],
        state="incomplete",
    )
    third = _store(
        app,
        subject="Rekisteri 3",
        organization="Gamma ry",
        business_id="1572860-0",
        valid=True,
        missing=[],
        state="ready",
    )
    requests_seen: list[str] = []
    page.on("request", lambda r: requests_seen.append(r.url))

    _sign_in(page, live_server, reviewer)
    screenshot(page, "queue")
    # The oldest request comes first.
    page.click("table a >> nth=0")
    page.wait_for_url(f"{live_server}/requests/{first}")
    page.click("details summary >> nth=0")
    page.select_option("#item", "organization_name")
    page.fill("#value", "Alfa Yhdistys ry")
    # The form posts back to the page it is on: wait for that navigation itself.
    with page.expect_navigation(url=f"{live_server}/requests/{first}"):
        page.click("form[action$='/correct'] button")
    screenshot(page, "request")
    with page.expect_navigation(url=f"{live_server}/requests/{first}"):
        page.click("form[action$='/approve'] button")
    assert "hyväksytty" in page.content()
    page.goto(f"{live_server}/registry")
    assert "Alfa Yhdistys ry" in page.content()
    screenshot(page, "registry-after-approval")
    assert (
        client.get("/api/v1/organizations/2331972-7", headers=api_headers).json["registered"]
        is True
    )

    page.goto(f"{live_server}/requests/{second}")
    page.click("form[action$='/missing'] button")
    page.wait_for_url(f"{live_server}/requests/{second}")

    page.goto(f"{live_server}/requests/{third}")
    page.fill("#reason", "Organisaatio ei ole kumppani.")
    page.click("form[action$='/reject'] button")
    page.wait_for_url(f"{live_server}/requests/{third}")

    with app.app_context():
        kinds = {(n.request_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert kinds == {(first, "approved"), (second, "missing"), (third, "rejected")}
    assert page.dialogs == []
    foreign = {urlsplit(u).hostname for u in requests_seen} - {"127.0.0.1"}
    assert foreign == set()


def test_hostile_mail_opened_in_the_browser_runs_nothing_and_fetches_nothing(
    app, live_server, page, reviewer
):
    request_id = _store(
        app,
        subject="<script>alert(9)</script>",
        organization="Delta ry",
        business_id="2331972-7",
        valid=True,
        missing=[],
        state="ready",
    )
    requests_seen: list[str] = []
    page.on("request", lambda r: requests_seen.append(r.url))
    _sign_in(page, live_server, reviewer)
    page.goto(f"{live_server}/requests/{request_id}")
    page.click("details >> text=HTML")
    frame = page.frame_locator("iframe.mail-html")
    frame.locator("body").wait_for()
    page.hover("iframe.mail-html")
    page.wait_for_timeout(500)
    screenshot(page, "request-hostile-html")
    assert page.dialogs == []
    foreign = {urlsplit(u).hostname for u in requests_seen} - {"127.0.0.1"}
    assert foreign == set(), foreign
