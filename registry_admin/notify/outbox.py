"""Queue a notification in the caller's transaction, or decide that it must not be sent.

The row is written with the decision that causes it and committed with it by the caller, so a
decision is never recorded without its notification nor a notification sent for a decision
that was rolled back. Delivery is `notify.deliver`'s job.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_admin.db import utcnow
from registry_admin.errors import Conflict, InvalidInput, NotFound
from registry_admin.notify.compose import (
    MAX_REFERENCES,
    UnsafeHeaderValue,
    address_domain,
    check_address,
    check_header_text,
    check_message_id,
    check_reference,
    render,
)
from registry_admin.notify.models import KINDS, LANGUAGES, Notification
from registry_admin.notify.wording import overrides_for
from registry_admin.registry.services import record_audit

log = logging.getLogger(__name__)

DAILY_RECEIPT_LIMIT = 10
DEFAULT_FROM_ADDRESS = "tekninentuki@kela.fi"

# Local parts that belong to robots, lists and bounce handlers: answering them starts loops.
_NEVER_ANSWER_LOCAL = re.compile(
    r"no[-_.]?reply|do[-_.]?not[-_.]?reply|^mailer[-_.]?daemon$|^postmaster$|^bounces?$"
    r"|^listserv$|^majordomo$|^owner-|-owner$|-request$|-bounces?$|^bounces?[-+]",
    re.IGNORECASE,
)


def never_answer_reason(address: str, own_addresses: Sequence[str]) -> str | None:
    """Why we must not write to `address` (a robot, a list, ourselves), or None."""
    local, _, domain = address.rpartition("@")
    if _NEVER_ANSWER_LOCAL.search(local):
        return "a no-reply, bounce or list address"
    base = f"{local.split('+', 1)[0]}@{domain}".lower()
    for own in own_addresses:
        own_local, _, own_domain = own.rpartition("@")
        if base == f"{own_local.split('+', 1)[0]}@{own_domain}".lower():
            return "one of our own addresses"
    return None


def receipts_today(session: Session, address: str, now: datetime) -> int:
    """Receipts queued for `address` in the 24 hours before `now`."""
    query = select(func.count(Notification.id)).where(
        Notification.kind == "receipt",
        func.lower(Notification.recipient) == address.lower(),
        Notification.created_at > now - timedelta(days=1),
    )
    return session.scalar(query) or 0


def enqueue(
    session: Session,
    kind: str,
    *,
    to: str,
    language: str,
    context: Mapping[str, Any],
    request_id: int | None = None,
    reference: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] | str | None = None,
    from_address: str | None = None,
    receipt_limit: int | None = None,
    receipts_today_count: int | None = None,
    now: datetime | None = None,
    flush: bool = True,
    wording: Mapping[str, str] | None = None,
) -> Notification | None:
    """Add a rendered notification to the session (the caller commits), or None if not to send.

    None when the recipient is a robot, a list or ourselves, or has had `receipt_limit`
    receipts in the last 24 hours. A message that cannot be built (a value that may not go into
    a header, an unusable address) is stored as `failed` with the reason, for staff to see; the
    caller's decision stands. Threading IDs that are not valid Message-IDs are left out.
    `receipts_today_count` is the recipient's receipts in the last 24 hours when the caller
    already knows it (a batch counts them for all its senders at once); else it is read here.
    With `flush=False` the row gets its id when the caller flushes (a batch flushes once).
    `wording` is wording.overrides_for(kind, language) when the caller has read it already.
    """
    if kind not in KINDS:
        raise InvalidInput(f"unknown notification kind {kind!r}")
    if language not in LANGUAGES:
        raise InvalidInput(f"unknown language {language!r}")
    now = now or utcnow()
    sender_address = from_address or configured_setting("from_address", DEFAULT_FROM_ADDRESS)
    sender = check_address(sender_address, "smtp.from_address")
    limit = (
        receipt_limit
        if receipt_limit is not None
        else configured_setting("max_receipts_per_day", DAILY_RECEIPT_LIMIT)
    )

    problem: str | None = None
    try:
        recipient = check_address(to, "recipient")
    except UnsafeHeaderValue as exc:
        recipient, problem = str(to)[:320], str(exc)
    else:
        reason = never_answer_reason(recipient, [sender])
        if reason:
            log.info("%s notification (request %s) not queued: %s", kind, request_id, reason)
            return None
        if receipts_today_count is None and kind == "receipt":
            receipts_today_count = receipts_today(session, recipient, now)
        if kind == "receipt" and receipts_today_count >= limit:
            log.info(
                "receipt (request %s) not queued: the sender has had %s today", request_id, limit
            )
            return None

    if reference is not None:
        try:
            reference = check_reference(reference)
        except UnsafeHeaderValue as exc:
            reference, problem = None, problem or str(exc)
    if wording is None:
        with session.no_autoflush:  # the wording needs none of the caller's pending rows
            wording = overrides_for(session, kind, language)
    rendered = render(kind, language, {**context, "reference": reference}, wording)
    try:
        check_header_text(rendered.subject, "Subject")
    except UnsafeHeaderValue as exc:
        problem = problem or str(exc)

    row = Notification(
        kind=kind,
        request_id=request_id,
        recipient=recipient,
        language=language,
        reference=reference,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=f"<{uuid.uuid4().hex}@{address_domain(sender)}>",
        in_reply_to=_thread_id(in_reply_to),
        references=" ".join(_thread_ids(references)) or None,
        state="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    if problem:
        row.state = "failed"
        row.last_error = f"cannot be built: {problem}"
        log.warning("%s notification (request %s) cannot be built: %s", kind, request_id, problem)
    session.add(row)
    if flush:
        session.flush()
    return row


def _thread_id(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return check_message_id(value.strip())
    except UnsafeHeaderValue:
        log.info("an invalid In-Reply-To was left out")
        return None


def _thread_ids(values: Sequence[str] | str | None) -> list[str]:
    if not values:
        return []
    items = values.split() if isinstance(values, str) else list(values)
    kept = [v for v in (_thread_id(item) for item in items) if v]
    return kept[-MAX_REFERENCES:]


def configured_setting(key: str, default: Any) -> Any:
    """A [smtp] setting of the running application, for callers that do not pass it.

    The lazy import keeps this module usable without Flask (scripts, unit tests).
    """
    try:
        from flask import current_app, has_app_context
    except ImportError:  # pragma: no cover
        return default
    if not has_app_context():
        return default
    settings = current_app.config.get("REGISTRY_SETTINGS")
    return getattr(getattr(settings, "smtp", None), key, default)


def retry_notification(
    session: Session, notification_id: int, *, actor: str, remote_addr: str | None = None
) -> Notification:
    """Queue a failed notification again, due now, with its attempts counted from zero."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"no notification {notification_id}")
    if row.state != "failed":
        raise Conflict(f"notification {notification_id} is {row.state}, not failed")
    before = {"state": row.state, "attempts": row.attempts, "last_error": row.last_error}
    row.state, row.attempts, row.next_attempt_at = "queued", 0, utcnow()
    record_audit(
        session,
        actor,
        "notify.retry",
        before={"notification_id": row.id, **before},
        after={"notification_id": row.id, "state": "queued"},
        remote_addr=remote_addr,
    )
    session.flush()
    return row
