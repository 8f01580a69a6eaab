from sqlalchemy import select
from staff_client import csrf_token

from registry_admin.db import db
from registry_admin.registry.models import AuditEvent, Organization


def test_admin_adds_and_removes_an_organization(app, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/registry")
    added = admin.post(
        "/registry",
        data={
            "csrf_token": token,
            "business_id": "FI23319727",
            "name": "Testiyhdistys ry",
            "reason": "phone call",
        },
    )
    assert added.status_code == 303 and added.headers["Location"].endswith("/registry/2331972-7")
    page = admin.get("/registry/2331972-7")
    assert "Testiyhdistys ry" in page.text and "phone call" in page.text
    removed = admin.post(
        "/registry/2331972-7/remove", data={"csrf_token": token, "reason": "ceased"}
    )
    assert removed.status_code == 303
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.business_id == "2331972-7"))
        assert org.status == "removed" and org.removal_reason == "ceased"
        actors = {
            e.actor
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.business_id == "2331972-7")
            )
        }
        assert actors == {"user:admin"}
    assert "ceased" in admin.get("/registry/2331972-7").text


def test_invalid_business_id_is_refused_with_a_message(app, signed_in):
    admin = signed_in("admin")
    response = admin.post(
        "/registry",
        data={
            "csrf_token": csrf_token(admin, "/registry"),
            "business_id": "2331972-8",
            "name": "Wrong check digit",
        },
    )
    assert response.status_code == 400
    assert "check digit" in response.text
    with app.app_context():
        assert db.session.scalar(select(Organization)) is None


def test_search_and_filters(signed_in, add_org):
    add_org("0201256-6", "Helsinki", source="municipality")
    add_org("2331972-7", "Testiyhdistys ry", source="manual")
    viewer = signed_in("viewer")
    by_name = viewer.get("/registry?q=testi").text
    assert "Testiyhdistys ry" in by_name and "Helsinki" not in by_name
    by_id = viewer.get("/registry?q=02012566").text
    assert "Helsinki" in by_id and "Testiyhdistys" not in by_id
    municipalities = viewer.get("/registry?source=municipality").text
    assert "Helsinki" in municipalities and "Testiyhdistys" not in municipalities
    # LIKE wildcards in the search are taken literally.
    assert "Helsinki" not in viewer.get("/registry?q=%25").text


def test_names_are_escaped(signed_in, add_org):
    add_org("2331972-7", "<script>alert(1)</script> ry", source="manual")
    page = signed_in("viewer").get("/registry").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_pages_carry_a_strict_content_security_policy(signed_in):
    response = signed_in("viewer").get("/registry")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in response.text and "style=" not in response.text


def test_language_is_kept_on_the_account(app, signed_in):
    viewer = signed_in("viewer")
    token = csrf_token(viewer, "/registry")
    viewer.post("/language", data={"csrf_token": token, "language": "sv", "next": "/registry"})
    assert "Registret" in viewer.get("/registry").text
    # A new sign-in of the same account keeps Swedish.
    again = signed_in("viewer")
    assert "Registret" in again.get("/registry").text
