"""The review queue: requests by state, one request with its evidence, and the decisions on it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from registry_admin.db import db, transaction
from registry_admin.errors import DomainError
from registry_admin.intake.applicant import notification_language
from registry_admin.intake.mime import IntakeError, read_message
from registry_admin.intake.models import (
    PENDING_REQUEST_STATES,
    REQUEST_STATES,
    MailMessage,
    RegistrationRequest,
)
from registry_admin.intake.queueing import reprocess_message
from registry_admin.registry import decisions, services
from registry_admin.registry.models import Organization
from registry_admin.review import mail_display, queue_search, reasons
from registry_admin.review.auth import role_required
from registry_admin.review.forms import BulkForm, CorrectionForm, DecisionForm, RejectForm
from registry_admin.review.routes import _status_for, actor

bp = Blueprint("review", __name__)

PAGE_SIZE = 50
# The queue's tabs: the pending states together, then each other state, then quarantined mail.
TABS = ("pending", *REQUEST_STATES, "removals", "quarantined")


@bp.get("/")
@role_required("viewer")
def index() -> Any:
    """The staff start page is the queue."""
    return redirect(url_for("review.queue"))


@bp.get("/requests")
@role_required("viewer")
def queue() -> Any:
    """Requests by state, oldest first (by arrival), with counts, search and keyset pagination."""
    tab = request.args.get("state", "pending")
    if tab not in TABS:
        tab = "pending"
    q = request.args.get("q", "").strip()[:200]
    after = request.args.get("after", "")
    counts = queue_search.state_counts(db.session())
    counts["pending"] = sum(counts.get(s, 0) for s in PENDING_REQUEST_STATES)
    counts["quarantined"] = (
        db.session.scalar(
            select(func.count()).select_from(MailMessage).where(MailMessage.state == "quarantined")
        )
        or 0
    )
    counts["removals"] = (
        db.session.scalar(
            select(func.count()).select_from(MailMessage).where(MailMessage.kind == "removal")
        )
        or 0
    )
    if tab in ("quarantined", "removals"):
        if tab == "quarantined":
            query = select(MailMessage).where(MailMessage.state == "quarantined")
        else:
            # A removal creates no request: staff act on it in the registry.
            query = select(MailMessage).where(MailMessage.kind == "removal")
        if after.isdigit():
            query = query.where(MailMessage.id > int(after))
        # Quarantined mail is few: its ids come from the state index and are sorted, rather than
        # found by walking every stored message in id order.
        order = MailMessage.id + 0 if tab == "quarantined" else MailMessage.id
        rows = db.session.scalars(query.order_by(order).limit(PAGE_SIZE + 1)).all()
        return render_template(
            "review/quarantine.html" if tab == "quarantined" else "review/removals.html",
            messages=rows[:PAGE_SIZE],
            counts=counts,
            tab=tab,
            tabs=TABS,
            next_after=rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
            q=q,
            form=BulkForm(),
        )
    states = PENDING_REQUEST_STATES if tab == "pending" else (tab,)
    rows = queue_search.page_of_requests(
        db.session(), states, q, int(after) if after.isdigit() else None, PAGE_SIZE + 1
    )
    return render_template(
        "review/queue.html",
        requests=rows[:PAGE_SIZE],
        counts=counts,
        tab=tab,
        tabs=TABS,
        q=q,
        next_after=rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        form=BulkForm(),
    )


@bp.post("/requests/not-requests")
@role_required("reviewer")
def bulk_not_request() -> Any:
    """Mark several requests (autoreplies, spam) as not a request at once."""
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()][:PAGE_SIZE]
    done = 0
    for request_id in ids:
        try:
            with transaction() as s:
                decisions.mark_not_request(
                    s, request_id, actor=actor(), remote_addr=request.remote_addr
                )
            done += 1
        except DomainError as exc:
            flash(str(exc), "error")
    flash(_("%(count)d marked as not a request.", count=done), "success")
    return redirect(url_for("review.queue"), 303)


def _load(request_id: int) -> RegistrationRequest:
    found = db.session.get(RegistrationRequest, request_id)
    if found is None:
        abort(404)
    return found


@bp.get("/requests/<int:request_id>")
@role_required("viewer")
def detail(request_id: int) -> Any:
    """One request: its items and where each came from, warnings, its messages, the decisions."""
    req = _load(request_id)
    messages = db.session.scalars(
        select(MailMessage)
        .where(MailMessage.request_id == req.id)
        .order_by(MailMessage.received_at, MailMessage.id)
    ).all()
    shown = [_message_view(req, m) for m in messages]
    with transaction() as s:
        # Reading an applicant's personal data is itself recorded.
        services.record_audit(
            s,
            actor(),
            "request.view",
            after={"request_id": req.id},
            remote_addr=request.remote_addr,
        )
    return render_template(
        "review/request.html",
        req=req,
        messages=shown,
        warnings=_warnings(req, messages),
        entries=decisions.missing_entries(req),
        items=decisions.CORRECTABLE,
        decision_form=DecisionForm(),
        reject_form=RejectForm(),
        correction_form=CorrectionForm(),
        reasons=reasons.list_reasons(db.session(), active_only=True),
        reason_language=notification_language(req),
        reason_language_name=_language_name(notification_language(req)),
    )


def _language_name(language: str) -> str:
    names = {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}
    return names.get(language, language)


def _message_view(req: RegistrationRequest, message: MailMessage) -> dict[str, Any]:
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for item, ev in (req.evidence or {}).items():
        if isinstance(ev, dict) and ev.get("message") == message.id:
            spans.setdefault(ev.get("source", "body"), []).append(
                (int(ev["start"]), int(ev["end"]), item)
            )
    parts: list[dict[str, Any]] = []
    error = None
    raw = message.raw
    if raw is not None:
        try:
            decoded = read_message(raw)
            parts = [
                {
                    "name": p.name,
                    "segments": mail_display.highlighted(p.text, spans.get(p.name, [])),
                }
                for p in decoded.parts
            ]
        except IntakeError as exc:
            error = str(exc)
    return {
        "message": message,
        "parts": parts,
        "error": error,
        "has_html": raw is not None and mail_display.original_html(raw) is not None,
        "attachments": mail_display.attachments(raw) if raw is not None else [],
    }


def _warnings(req: RegistrationRequest, messages: list[MailMessage]) -> list[str]:
    warnings = []
    if req.business_id and req.business_id_valid:
        org = db.session.scalar(
            select(Organization).where(Organization.business_id == req.business_id)
        )
        if org is not None and org.status == "active":
            warnings.append(_("Already in the registry as %(name)s.", name=org.name))
        others = db.session.scalars(
            select(RegistrationRequest).where(
                RegistrationRequest.business_id == req.business_id, RegistrationRequest.id != req.id
            )
        ).all()
        for other in others:
            if other.state in PENDING_REQUEST_STATES:
                warnings.append(
                    _(
                        "Another pending request %(ref)s has the same Business ID.",
                        ref=other.reference or other.id,
                    )
                )
            if (
                other.organization_name
                and req.organization_name
                and other.organization_name != req.organization_name
            ):
                warnings.append(
                    _(
                        "An earlier request named the organization %(name)s.",
                        name=other.organization_name,
                    )
                )
    if any(m.auth_failed for m in messages):
        warnings.append(_("The sender's authentication (DKIM, SPF or DMARC) failed at receipt."))
    return warnings


def _decide(request_id: int, form: Any, action: Any, done: str) -> Any:
    if not form.validate_on_submit():
        flash(_("The form was incomplete."), "error")
        return redirect(url_for("review.detail", request_id=request_id), 303)
    try:
        with transaction() as s:
            action(s)
    except DomainError as exc:
        flash(str(exc), "error")
        return (
            redirect(url_for("review.detail", request_id=request_id), 303)
            if _status_for(exc) != 404
            else abort(404)
        )
    flash(done, "success")
    return redirect(url_for("review.detail", request_id=request_id), 303)


@bp.post("/requests/<int:request_id>/approve")
@role_required("reviewer")
def approve(request_id: int) -> Any:
    """Approve: the organization enters the registry and the applicant is told."""
    return _decide(
        request_id,
        DecisionForm(),
        lambda s: decisions.approve_request(
            s, request_id, actor=actor(), remote_addr=request.remote_addr
        ),
        _("Approved."),
    )


@bp.post("/requests/<int:request_id>/reject")
@role_required("reviewer")
def reject(request_id: int) -> Any:
    """Reject, with a reason sent to the applicant: as written, or the picked one's text."""
    form = RejectForm()

    def reject_with_reason(s: Any) -> None:
        reason = (form.reason.data or "").strip()
        picked = form.template.data or ""
        if not reason and picked.isdigit():
            # Without script nothing copied the picked reason into the text: use its text in
            # the language the applicant is answered in.
            language = notification_language(decisions.get_request(s, request_id))
            reason = reasons.reason_text(s, int(picked), language)
        decisions.reject_request(
            s, request_id, actor=actor(), reason=reason, remote_addr=request.remote_addr
        )

    return _decide(request_id, form, reject_with_reason, _("Rejected."))


@bp.post("/requests/<int:request_id>/missing")
@role_required("reviewer")
def ask_missing(request_id: int) -> Any:
    """Ask the applicant for the missing or invalid items."""
    return _decide(
        request_id,
        DecisionForm(),
        lambda s: decisions.ask_for_missing(
            s, request_id, actor=actor(), remote_addr=request.remote_addr
        ),
        _("The applicant was asked."),
    )


@bp.post("/requests/<int:request_id>/not-request")
@role_required("reviewer")
def not_request(request_id: int) -> Any:
    """Mark as not a registration request."""
    return _decide(
        request_id,
        DecisionForm(),
        lambda s: decisions.mark_not_request(
            s, request_id, actor=actor(), remote_addr=request.remote_addr
        ),
        _("Marked as not a request."),
    )


@bp.post("/requests/<int:request_id>/correct")
@role_required("reviewer")
def correct(request_id: int) -> Any:
    """Correct one item before deciding."""
    form = CorrectionForm()
    return _decide(
        request_id,
        form,
        lambda s: decisions.correct_item(
            s,
            request_id,
            form.item.data or "",
            form.value.data or "",
            actor=actor(),
            remote_addr=request.remote_addr,
        ),
        _("Corrected."),
    )


@bp.post("/messages/<int:message_id>/reprocess")
@role_required("reviewer")
def reprocess(message_id: int) -> Any:
    """Run a quarantined message through the parser again and say what became of it."""
    if not DecisionForm().validate_on_submit():
        abort(400)
    back = redirect(url_for("review.queue", state="quarantined"), 303)
    try:
        with transaction() as s:
            message = reprocess_message(s, message_id)
            outcome = {
                "message_id": message.id,
                "state": message.state,
                "kind": message.kind,
                "request_id": message.request_id,
                "error": message.error if message.state == "quarantined" else None,
            }
            services.record_audit(
                s, actor(), "message.reprocess", after=outcome, remote_addr=request.remote_addr
            )
            reference = None
            if message.request_id is not None:
                found = s.get(RegistrationRequest, message.request_id)
                reference = found.reference if found is not None else None
    except DomainError as exc:
        if _status_for(exc) == 404:
            abort(404)
        flash(str(exc), "error")
        return back
    if outcome["state"] == "quarantined":
        flash(
            _(
                "Message %(id)s is still quarantined: %(error)s",
                id=message_id,
                error=outcome["error"] or "",
            ),
            "error",
        )
        return back
    if outcome["request_id"] is not None:
        flash(
            _(
                "Message %(id)s was read into request %(ref)s.",
                id=message_id,
                ref=reference or outcome["request_id"],
            ),
            "success",
        )
        return redirect(url_for("review.detail", request_id=outcome["request_id"]), 303)
    flash(
        _("Message %(id)s was read: %(kind)s, no request.", id=message_id, kind=outcome["kind"]),
        "success",
    )
    return back


def _stored_message(request_id: int, message_id: int) -> bytes:
    message = db.session.get(MailMessage, message_id)
    if message is None or message.request_id != request_id or message.raw is None:
        abort(404)
    return message.raw


@bp.get("/requests/<int:request_id>/messages/<int:message_id>/html")
@role_required("viewer")
def message_html(request_id: int, message_id: int) -> Response:
    """The mail's HTML, cleaned, as a document for a sandboxed iframe that loads nothing."""
    html = mail_display.original_html(_stored_message(request_id, message_id))
    if html is None:
        abort(404)
    response = Response(mail_display.frame_document(html), mimetype="text/html")
    response.headers["Content-Security-Policy"] = mail_display.FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/requests/<int:request_id>/messages/<int:message_id>/attachments/<int:index>")
@role_required("viewer")
def attachment(request_id: int, message_id: int, index: int) -> Response:
    """One attachment, only ever as a download."""
    found = mail_display.attachments(_stored_message(request_id, message_id))
    if index >= len(found):
        abort(404)
    part = found[index]
    headers = mail_display.attachment_headers(part.filename, f"attachment-{index + 1}")
    return Response(part.payload, headers=headers)


# The admins' pages of rejection reasons are routes of this blueprint too.
from registry_admin.review import reason_pages  # noqa: E402, F401
