"""Admins edit the notifications' wording with a preview; the outbox composes from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from jinja2.exceptions import SecurityError
from markupsafe import escape
from sqlalchemy import func, select
from staff_pages import post_form, text_of

from registry_admin.db import db, transaction
from registry_admin.notify.compose import default_source, render_part
from registry_admin.notify.models import WordingOverride
from registry_admin.notify.outbox import enqueue
from registry_admin.registry.models import AuditEvent

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PAGE = "/wording/{kind}/{language}/{part}"


def queue(app: Flask, kind: str = "rejected", language: str = "sv", **context: str):
    with app.app_context(), transaction() as session:
        row = enqueue(
            session,
            kind,
            to="hakija@example.org",
            language=language,
            context={"organization_name": "Esimerkki Oy", "reason": "Ingen grund.", **context},
            reference="RA-2026-000007",
            from_address="tekninentuki@kela.fi",
            now=T0,
        )
        assert row is not None
        return row.state, row.subject, row.body_text, row.body_html


def overrides(app: Flask) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(WordingOverride).order_by(WordingOverride.id))
        return [(r.kind, r.language, r.part, r.source) for r in rows]


def audit(app: Flask, prefix: str = "notify.wording") -> list[tuple[str, str, dict, dict]]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)
        )
        return [(e.actor, e.action, e.before, e.after) for e in rows]


def test_the_list_shows_every_kind_language_and_part(app: Flask, staff_clients) -> None:
    page = staff_clients("admin").get("/wording")
    assert page.status_code == 200
    for kind in ("receipt", "missing", "approved", "rejected", "removed"):
        for language in ("fi", "sv", "en"):
            for part in ("subject.txt", "body.txt", "body.html"):
                assert PAGE.format(kind=kind, language=language, part=part) in page.text
    assert staff_clients("reviewer").get("/wording").status_code == 403


def test_preview_saves_nothing_then_save_is_used_by_the_outbox_and_audited(
    app: Flask, staff_clients
) -> None:
    admin = staff_clients("admin")
    path = PAGE.format(kind="rejected", language="sv", part="subject.txt")
    page = admin.get(path)
    assert str(escape(default_source("rejected", "subject.txt"))) in page.text
    # The preview shows the shipped wording rendered on the sample before anything is edited.
    assert "Beslut om er ansökan" in text_of(page.text) and "RA-2026-000123" in page.text

    draft = "Beslut: {{ organization_name }} [{{ reference }}]"
    shown = post_form(admin, path, path, source=draft, intent="preview")
    assert shown.status_code == 200
    assert "Beslut: Hakalan Perheyhdistys ry [RA-2026-000123]" in text_of(shown.text)
    assert overrides(app) == [] and audit(app) == []
    assert queue(app)[1].startswith("Beslut om er ansökan")

    saved = post_form(admin, path, path, source=draft, intent="save")
    assert saved.status_code == 303
    assert overrides(app) == [("rejected", "sv", "subject.txt", draft)]
    ((who, action, before, after),) = audit(app)
    assert (who, action) == ("user:admin", "notify.wording_saved")
    assert before["source"] is None and after["source"] == draft
    assert after["part"] == "subject.txt" and after["language"] == "sv"

    state, subject, text, _ = queue(app)
    assert (state, subject) == ("queued", "Beslut: Esimerkki Oy [RA-2026-000007]")
    assert "Ingen grund." in text  # the other parts still come from the files
    assert queue(app, language="fi")[1].startswith("Päätös hakemukseenne")

    # Editing again audits the old and the new wording.
    post_form(admin, path, path, source="Nytt beslut [{{ reference }}]", intent="save")
    assert audit(app)[-1][2]["source"] == draft
    assert "Nytt beslut" in text_of(admin.get(path).text)


def test_reset_returns_to_the_file_and_is_audited(app: Flask, staff_clients) -> None:
    admin = staff_clients("admin")
    path = PAGE.format(kind="approved", language="en", part="body.txt")
    post_form(admin, path, path, source="Approved: {{ reference }}\n", intent="save")
    assert queue(app, kind="approved", language="en")[2] == "Approved: RA-2026-000007\n"

    response = post_form(admin, path, path + "/reset")
    assert response.status_code == 303
    assert overrides(app) == []
    assert audit(app)[-1][1] == "notify.wording_reset"
    assert audit(app)[-1][2]["source"] == "Approved: {{ reference }}\n"
    assert audit(app)[-1][3]["source"] is None
    assert "Kind regards" in queue(app, kind="approved", language="en")[2]


@pytest.mark.parametrize(
    ("part", "source", "error"),
    [
        ("body.txt", "Hei {% if reference %}", "TemplateSyntaxError"),
        ("body.txt", "{{ reference.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
        ("body.html", "{{ ''.format.__globals__['os'] }}", "unsafe"),
        ("body.html", "{{ cycler.__init__.__globals__.os }}", "Error"),
        ("body.txt", "{{ reference.nothing.at_all }}", "UndefinedError"),
        ("subject.txt", "Päätös {{ reference }}\nBcc: evil@example.org", "U+000A"),
        ("subject.txt", "Päätös {{ reference }}\u2028Bcc: evil@example.org", "U+2028"),
        ("subject.txt", "Päätös {{ reference }}\x85Bcc: evil@example.org", "U+0085"),
        ("subject.txt", "{{ '=?utf-8?q?a=0Ab?=' }}", "encoded word"),
        ("subject.txt", "{{ ' ' }}", "empty"),
    ],
)
def test_a_wording_that_fails_is_refused_with_its_error_and_never_saved(
    app: Flask, staff_clients, part: str, source: str, error: str
) -> None:
    admin = staff_clients("admin")
    path = PAGE.format(kind="missing", language="fi", part=part)
    response = post_form(admin, path, path, source=source, intent="save")
    assert response.status_code == 400
    assert "Not saved" in response.text and error in response.text
    assert overrides(app) == [] and audit(app) == []
    # The text stays in the form for the admin to correct.
    assert str(escape(source.splitlines()[0]))[:20] in response.text


def test_the_sandbox_keeps_templates_away_from_python_internals() -> None:
    context = {"reference": "RA-1"}
    for source in (
        "{{ ().__class__.__base__.__subclasses__() }}",
        "{{ reference.__class__.__mro__[1] }}",
    ):
        with pytest.raises(SecurityError):
            render_part("approved", "fi", "body.txt", context, source)
    # A format string or a bound method's internals give nothing of Python away.
    for source in ("{{ '{0.__class__}'.format(reference) }}", "{{ reference.format.__self__ }}"):
        assert render_part("approved", "fi", "body.txt", context, source) == ""


def test_html_wording_is_autoescaped_and_text_is_not(app: Flask, staff_clients) -> None:
    admin = staff_clients("admin")
    for part, source in (
        ("body.html", "<p>Hei {{ organization_name }}</p>"),
        ("body.txt", "Hei {{ organization_name }}"),
    ):
        path = PAGE.format(kind="approved", language="fi", part=part)
        assert post_form(admin, path, path, source=source, intent="save").status_code == 303
    _, _, text, body = queue(app, kind="approved", language="fi", organization_name="<b>A & B</b>")
    assert body == "<p>Hei &lt;b&gt;A &amp; B&lt;/b&gt;</p>"
    assert text == "Hei <b>A & B</b>"


def test_a_stored_wording_that_fails_later_falls_back_to_the_file(app: Flask) -> None:
    # Saved wording renders on the sample; a real context may still differ. Written directly
    # here, as only a change of the decisions' context could make it happen.
    with app.app_context(), transaction() as session:
        session.add(
            WordingOverride(
                kind="rejected",
                language="fi",
                part="body.txt",
                source="{{ reason.split()[0].nothing.more }}",
                updated_by="test",
            )
        )
    state, _, text, _ = queue(app, language="fi")
    assert state == "queued" and "Ystävällisin terveisin" in text


def test_the_html_preview_is_cleaned_and_isolated(app: Flask, staff_clients) -> None:
    admin = staff_clients("admin")
    draft = (
        '<p>Hei {{ organization_name }}</p><img src="https://tracker.example/x.png">'
        "<script>alert(1)</script><a href='https://evil.example'>x</a>"
    )
    frame = admin.get("/wording/receipt/en/preview.html", query_string={"draft": draft})
    assert frame.status_code == 200
    assert frame.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "<p>Hei Hakalan Perheyhdistys ry</p>" in frame.text
    for gone in ("<img", "tracker.example", "<script", "alert(1)", "evil.example"):
        assert gone not in frame.text
    # The edit page frames it in a sandbox with no allowances, the draft in its address.
    path = PAGE.format(kind="receipt", language="en", part="body.html")
    shown = post_form(admin, path, path, source=draft, intent="preview")
    assert '<iframe sandbox=""' in shown.text and "preview.html?draft=" in shown.text
    with app.app_context():
        assert db.session.scalar(select(func.count(WordingOverride.id))) == 0
