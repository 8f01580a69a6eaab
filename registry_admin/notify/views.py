"""Staff pages of the outbox and of the notifications' wording, with the admins' actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import TextAreaField
from wtforms.validators import Length

from registry_admin.db import db, transaction
from registry_admin.errors import DomainError, NotFound
from registry_admin.notify import wording
from registry_admin.notify.models import (
    KINDS,
    LANGUAGES,
    PARTS,
    Notification,
    NotificationBounce,
)
from registry_admin.notify.outbox import retry_notification
from registry_admin.registry.models import AuditEvent
from registry_admin.review.auth import role_required
from registry_admin.review.forms import DecisionForm
from registry_admin.review.mail_display import FRAME_CSP, frame_document
from registry_admin.review.routes import actor

bp = Blueprint("notify_admin", __name__)

PAGE_SIZE = 50
# The outbox's tabs; "pending" is every notification not yet handed over.
TABS = {
    "pending": ("queued", "sending"),
    "failed": ("failed",),
    "bounced": ("bounced",),
    "sent": ("sent",),
}
# Notifications that did not reach the applicant: shown on their request's page.
PROBLEM_STATES = ("failed", "bounced")


_STATE_LABELS = {
    "pending": _l("waiting to be sent"),
    "queued": _l("waiting to be sent"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "bounced": _l("bounced"),
}
_KIND_LABELS = {
    "receipt": _l("receipt"),
    "missing": _l("missing items"),
    "approved": _l("approval"),
    "rejected": _l("rejection"),
    "removed": _l("removal"),
}
_PART_LABELS = {
    "subject.txt": _l("Subject"),
    "body.txt": _l("Plain text"),
    "body.html": _l("HTML"),
}


@bp.app_template_global()
def notification_state_label(state: str) -> str:
    return str(_STATE_LABELS.get(state, state))


@bp.app_template_global()
def notification_kind_label(kind: str) -> str:
    return str(_KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def wording_part_label(part: str) -> str:
    return str(_PART_LABELS.get(part, part))


class WordingForm(FlaskForm):
    source = TextAreaField(validators=[Length(max=wording.MAX_SOURCE_CHARS)])


@bp.app_template_global()
def notification_problems(request_id: int) -> list[Notification]:
    """The request's notifications that failed or bounced, newest first (for its page)."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.request_id == request_id, Notification.state.in_(PROBLEM_STATES))
            .order_by(Notification.id.desc())
        )
    )


@bp.get("/outbox")
@role_required("viewer")
def outbox() -> str:
    """Notifications by state, newest first, with their errors and their next attempt."""
    tab = request.args.get("state", "failed")
    if tab not in TABS:
        tab = "failed"
    counts = dict(
        db.session.execute(
            select(Notification.state, func.count()).group_by(Notification.state)
        ).all()
    )
    tab_counts = {t: sum(counts.get(s, 0) for s in states) for t, states in TABS.items()}
    before = request.args.get("before", "")
    query = select(Notification).where(Notification.state.in_(TABS[tab]))
    if before.isdigit():
        query = query.where(Notification.id < int(before))
    rows = db.session.scalars(query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)).all()
    shown = rows[:PAGE_SIZE]
    bounces = {
        b.notification_id: b
        for b in db.session.scalars(
            select(NotificationBounce).where(
                NotificationBounce.notification_id.in_([n.id for n in shown])
            )
        )
    }
    return render_template(
        "notify/outbox.html",
        notifications=shown,
        bounces=bounces,
        tab=tab,
        tabs=TABS,
        counts=tab_counts,
        next_before=shown[-1].id if len(rows) > PAGE_SIZE else None,
        form=DecisionForm(),
    )


@bp.post("/outbox/<int:notification_id>/retry")
@role_required("admin")
def retry(notification_id: int) -> Any:
    """Queue a failed notification again, due now (audited)."""
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        with transaction() as s:
            retry_notification(s, notification_id, actor=actor(), remote_addr=request.remote_addr)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("notify_admin.outbox", state="failed"), 303)
    flash(_("Notification %(id)d will be sent again.", id=notification_id), "success")
    return redirect(url_for("notify_admin.outbox", state="pending"), 303)


@bp.get("/wording")
@role_required("admin")
def wording_list() -> str:
    """Every kind of notification in every language, part by part: edited or as shipped."""
    return render_template(
        "notify/wording_list.html",
        kinds=KINDS,
        languages=LANGUAGES,
        parts=PARTS,
        overrides=wording.all_overrides(db.session()),
    )


def _checked_part(kind: str, language: str, part: str) -> None:
    try:
        wording.check_part(kind, language, part)
    except NotFound:
        abort(404)


def _history(kind: str, language: str, part: str) -> list[AuditEvent]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(("notify.wording_saved", "notify.wording_reset")))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(500)
    ).all()
    key = {"kind": kind, "language": language, "part": part}
    return [e for e in events if all((e.after or {}).get(k) == v for k, v in key.items())][:20]


def _edit_page(
    kind: str,
    language: str,
    part: str,
    form: WordingForm,
    *,
    draft: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Any:
    session = db.session()
    override = wording.all_overrides(session).get((kind, language, part))
    if form.source.data is None:
        form.source.data = wording.current_source(session, kind, language, part)
    shown = wording.preview(session, kind, language, part, draft)
    frame_args: dict[str, Any] = {"kind": kind, "language": language}
    if draft is not None and part == "body.html":
        frame_args["draft"] = draft
    page = render_template(
        "notify/wording_edit.html",
        kind=kind,
        language=language,
        part=part,
        form=form,
        override=override,
        preview=shown,
        draft=draft is not None,
        error=error,
        frame_url=url_for("notify_admin.wording_frame", **frame_args),
        history=_history(kind, language, part),
        reset_form=DecisionForm(),
    )
    return page, status


@bp.route("/wording/<kind>/<language>/<part>", methods=["GET", "POST"])
@role_required("admin")
def edit_wording(kind: str, language: str, part: str) -> Any:
    """One part's wording: edit it, preview it on a sample, save it (audited)."""
    _checked_part(kind, language, part)
    form = WordingForm()
    if request.method == "GET":
        return _edit_page(kind, language, part, form)
    if not form.validate_on_submit():
        flash(_("The form was incomplete."), "error")
        return _edit_page(kind, language, part, form, status=400)
    source = (form.source.data or "").replace("\r\n", "\n")
    if request.form.get("intent") != "save":
        return _edit_page(kind, language, part, form, draft=source)
    try:
        with transaction() as s:
            wording.save_wording(
                s, kind, language, part, source, actor=actor(), remote_addr=request.remote_addr
            )
    except wording.WordingRefused as exc:
        message = _("Not saved: %(error)s", error=str(exc))
        return _edit_page(kind, language, part, form, draft=source, error=message, status=400)
    flash(_("Saved. New notifications use this wording."), "success")
    return redirect(
        url_for("notify_admin.edit_wording", kind=kind, language=language, part=part), 303
    )


@bp.post("/wording/<kind>/<language>/<part>/reset")
@role_required("admin")
def reset_wording(kind: str, language: str, part: str) -> Any:
    """Remove the edited wording: the shipped template applies again (audited)."""
    _checked_part(kind, language, part)
    if not DecisionForm().validate_on_submit():
        abort(400)
    with transaction() as s:
        removed = wording.reset_wording(
            s, kind, language, part, actor=actor(), remote_addr=request.remote_addr
        )
    if removed:
        flash(_("The shipped wording applies again."), "success")
    return redirect(
        url_for("notify_admin.edit_wording", kind=kind, language=language, part=part), 303
    )


@bp.get("/wording/<kind>/<language>/preview.html")
@role_required("admin")
def wording_frame(kind: str, language: str) -> Response:
    """The HTML body on the sample, cleaned, as a document for a sandboxed iframe that loads
    nothing; `draft` previews an unsaved HTML wording."""
    _checked_part(kind, language, "body.html")
    draft = request.args.get("draft")
    if draft is not None and len(draft) > wording.MAX_SOURCE_CHARS:
        abort(400)
    shown = wording.preview(db.session(), kind, language, "body.html", draft)
    html = shown.rendered.html if shown.rendered else ""
    response = Response(frame_document(html), mimetype="text/html")
    response.headers["Content-Security-Policy"] = FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
