"""The admins' page of the webhooks: endpoints, deliveries by state, and the way out of a
delivery that failed for good (retry now, or skip)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from registry_admin.db import db, transaction
from registry_admin.errors import DomainError, NotFound
from registry_admin.review.auth import role_required
from registry_admin.review.forms import DecisionForm
from registry_admin.review.routes import actor
from registry_admin.webhooks.actions import blocked_deliveries, retry_delivery, skip_delivery
from registry_admin.webhooks.models import STATES, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks_admin", __name__)

PAGE_SIZE = 50
_STATE_LABELS = {
    "queued": _l("waiting"),
    "sending": _l("being sent"),
    "delivered": _l("delivered"),
    "failed": _l("failed"),
    "skipped": _l("skipped"),
}


@bp.app_template_global()
def delivery_state_label(state: str) -> str:
    return str(_STATE_LABELS.get(state, state))


@bp.get("/webhooks")
@role_required("admin")
def webhooks() -> str:
    """Endpoints with their deliveries by state and last error; failed deliveries to act on."""
    state = request.args.get("state", "failed")
    if state not in STATES:
        state = "failed"
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    counts: dict[tuple[int, str], int] = {
        (endpoint_id, s): n
        for endpoint_id, s, n in db.session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.state, func.count()).group_by(
                WebhookDelivery.endpoint_id, WebhookDelivery.state
            )
        )
    }
    last_errors = {
        ep.id: db.session.scalar(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == ep.id,
                WebhookDelivery.last_error.is_not(None),
                WebhookDelivery.state.not_in(("delivered", "skipped")),
            )
            .order_by(WebhookDelivery.last_attempt_at.desc())
            .limit(1)
        )
        for ep in endpoints
    }
    deliveries = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.state == state)
        .order_by(WebhookDelivery.cursor.desc())
        .limit(PAGE_SIZE)
    ).all()
    return render_template(
        "webhooks/webhooks.html",
        endpoints=endpoints,
        counts=counts,
        last_errors=last_errors,
        states=STATES,
        state=state,
        deliveries=deliveries,
        blocked={b.delivery.id: b.held_back for b in blocked_deliveries(db.session())},
        form=DecisionForm(),
    )


def _act(delivery_id: int, action: Callable[..., Any], done: str) -> Any:
    if not DecisionForm().validate_on_submit():
        abort(400)
    try:
        with transaction() as s:
            action(s, delivery_id, actor=actor(), remote_addr=request.remote_addr)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for("webhooks_admin.webhooks"), 303)


@bp.post("/webhooks/deliveries/<int:delivery_id>/retry")
@role_required("admin")
def retry(delivery_id: int) -> Any:
    """Queue a failed delivery again, due now (audited)."""
    return _act(
        delivery_id, retry_delivery, _("Delivery %(id)d will be sent again.", id=delivery_id)
    )


@bp.post("/webhooks/deliveries/<int:delivery_id>/skip")
@role_required("admin")
def skip(delivery_id: int) -> Any:
    """Give up a failed delivery so that the later ones of its organization go (audited)."""
    return _act(
        delivery_id,
        skip_delivery,
        _("Delivery %(id)d skipped: the later ones of its organization go.", id=delivery_id),
    )
