"""Admin pages of the rejection reasons: the ordered list, adding, editing, moving."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry_admin.db import db, transaction
from registry_admin.errors import DomainError, NotFound
from registry_admin.review import reasons
from registry_admin.review.auth import role_required
from registry_admin.review.forms import DecisionForm, RejectionReasonForm
from registry_admin.review.queue import bp
from registry_admin.review.routes import actor


def _list_page(form: RejectionReasonForm, status: int = 200) -> Any:
    return render_template(
        "review/reasons.html",
        reasons=reasons.list_reasons(db.session()),
        form=form,
        move_form=DecisionForm(),
    ), status


@bp.get("/rejection-reasons")
@role_required("admin")
def reason_list() -> Any:
    """The rejection reasons reviewers pick from, in their order, and a form to add one."""
    return _list_page(RejectionReasonForm())


def _save(form: RejectionReasonForm, reason_id: int | None) -> int | None:
    """Save the form's reason; its id, or None after flashing why it was refused."""
    try:
        with transaction() as s:
            saved = reasons.save_reason(
                s,
                reason_id,
                form.data,
                active=bool(form.active.data),
                actor=actor(),
                remote_addr=request.remote_addr,
            )
            return saved.id
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(str(exc), "error")
        return None


@bp.post("/rejection-reasons")
@role_required("admin")
def create_reason() -> Any:
    """Add a reason at the end of the list."""
    form = RejectionReasonForm()
    if not form.validate_on_submit() or _save(form, None) is None:
        return _list_page(form, 400)
    flash(_("The reason was added."), "success")
    return redirect(url_for("review.reason_list"), 303)


@bp.route("/rejection-reasons/<int:reason_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_reason(reason_id: int) -> Any:
    """Change a reason's titles and texts, or take it out of use."""
    reason = db.session.get(reasons.RejectionReason, reason_id)
    if reason is None:
        abort(404)
    form = RejectionReasonForm(obj=reason)
    if request.method == "POST":
        if form.validate_on_submit() and _save(form, reason_id) is not None:
            flash(_("The reason was saved."), "success")
            return redirect(url_for("review.reason_list"), 303)
        return render_template("review/reason_edit.html", reason=reason, form=form), 400
    return render_template("review/reason_edit.html", reason=reason, form=form)


@bp.post("/rejection-reasons/<int:reason_id>/move")
@role_required("admin")
def move_reason(reason_id: int) -> Any:
    """Move a reason one place up or down in the list reviewers see."""
    form = DecisionForm()
    direction = request.form.get("direction")
    if not form.validate_on_submit() or direction not in ("up", "down"):
        abort(400)
    try:
        with transaction() as s:
            reasons.move_reason(
                s,
                reason_id,
                -1 if direction == "up" else 1,
                actor=actor(),
                remote_addr=request.remote_addr,
            )
    except NotFound:
        abort(404)
    return redirect(url_for("review.reason_list"), 303)
