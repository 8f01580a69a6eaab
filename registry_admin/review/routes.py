"""Staff pages of the registry: the organizations, one organization's history, the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from registry_admin import businessid
from registry_admin.db import db, transaction
from registry_admin.errors import Conflict, DomainError, NotFound
from registry_admin.registry import services
from registry_admin.registry.csv_io import export_csv
from registry_admin.registry.models import SOURCES, STATUSES, AuditEvent, Organization
from registry_admin.review.auth import _safe_next, role_required
from registry_admin.review.forms import AddOrganizationForm, LanguageForm, RemoveOrganizationForm
from registry_admin.review.models import LANGUAGES

bp = Blueprint("registry_ui", __name__)

PAGE_SIZE = 50


def actor() -> str:
    return f"user:{current_user.username}"


def _page() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


def _status_for(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 400


@bp.get("/registry")
@role_required("viewer")
def registry() -> str:
    """The registry: search, filter by source and status, page through."""
    return _registry_page(AddOrganizationForm())


def _registry_page(form: AddOrganizationForm, status: int = 200) -> Any:
    q = request.args.get("q", "").strip()[:200]
    source = request.args.get("source", "")
    state = request.args.get("status", "active")
    query = select(Organization)
    if q:
        checked = businessid.check(q)
        query = query.where(
            or_(
                Organization.business_id == checked.normalized,
                Organization.name.ilike(f"%{_like(q)}%", escape="\\"),
            )
        )
    if source in SOURCES:
        query = query.where(Organization.source == source)
    if state in STATUSES:
        query = query.where(Organization.status == state)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = _page()
    rows = db.session.scalars(
        query.order_by(Organization.name, Organization.business_id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return (
        render_template(
            "registry/list.html",
            organizations=rows,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            q=q,
            source=source,
            status=state,
            sources=SOURCES,
            statuses=STATUSES,
            form=form,
        ),
        status,
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@bp.post("/registry")
@role_required("admin")
def add_organization() -> Any:
    """Add an organization by hand."""
    form = AddOrganizationForm()
    if not form.validate_on_submit():
        return _registry_page(form, 400)
    try:
        with transaction() as s:
            org = services.add_organization(
                s,
                form.business_id.data or "",
                form.name.data or "",
                source="manual",
                actor=actor(),
                reason=form.reason.data,
                remote_addr=request.remote_addr,
            )
            bid = org.business_id
    except DomainError as exc:
        flash(str(exc), "error")
        return _registry_page(form, _status_for(exc))
    flash(_("%(business_id)s added to the registry.", business_id=bid), "success")
    return redirect(url_for("registry_ui.organization", business_id=bid), 303)


@bp.get("/registry/<business_id>")
@role_required("viewer")
def organization(business_id: str) -> Any:
    """One organization and its history."""
    try:
        org = services.find_organization(db.session(), business_id)
    except DomainError:
        org = None
    if org is None:
        return render_template(
            "errors/error.html",
            code=404,
            name=_("Not found"),
            description=_("No such organization in the registry."),
        ), 404
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.business_id == org.business_id)
        .order_by(AuditEvent.at.desc())
    ).all()
    return render_template(
        "registry/detail.html", org=org, history=history, form=RemoveOrganizationForm()
    )


@bp.post("/registry/<business_id>/remove")
@role_required("admin")
def remove_organization(business_id: str) -> Any:
    """Remove an organization, with a reason."""
    form = RemoveOrganizationForm()
    if not form.validate_on_submit():
        flash(_("A reason is required."), "error")
        return redirect(url_for("registry_ui.organization", business_id=business_id), 303)
    try:
        with transaction() as s:
            org = services.remove_organization(
                s,
                business_id,
                actor=actor(),
                reason=form.reason.data or "",
                remote_addr=request.remote_addr,
            )
            bid = org.business_id
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("registry_ui.registry"), 303)
    flash(_("%(business_id)s removed from the registry.", business_id=bid), "success")
    return redirect(url_for("registry_ui.organization", business_id=bid), 303)


@bp.get("/registry.csv")
@role_required("viewer")
def export() -> Response:
    """The registry as CSV."""
    text = export_csv(db.session.scalars(select(Organization).order_by(Organization.business_id)))
    return Response(
        text.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="registry.csv"'},
    )


@bp.get("/audit")
@role_required("admin")
def audit() -> str:
    """The audit trail, searchable by person or Business ID."""
    q = request.args.get("q", "").strip()[:200]
    query = select(AuditEvent)
    if q:
        checked = businessid.check(q)
        query = query.where(
            or_(
                AuditEvent.business_id == checked.normalized,
                AuditEvent.actor.ilike(f"%{_like(q)}%", escape="\\"),
            )
        )
    page = _page()
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "registry/audit.html",
        events=events[:PAGE_SIZE],
        has_next=len(events) > PAGE_SIZE,
        page=page,
        q=q,
    )


@bp.post("/language")
def set_language() -> Any:
    """Switch the UI language; kept on the account of a signed-in user."""
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in LANGUAGES:
        if current_user.is_authenticated:
            with transaction():
                current_user.user.language = form.language.data
        else:
            session["language"] = form.language.data
    return redirect(_safe_next(form.next.data), 303)
