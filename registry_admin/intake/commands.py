"""The intake's commands: `poll`, `messages list|reconcile|reprocess`, `requests list`."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from registry_admin.db import db
from registry_admin.intake.models import REQUEST_STATES, MailMessage, RegistrationRequest


def _fail(text: str) -> None:
    click.echo(f"registry-admin: {text}", err=True)
    sys.exit(1)


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll once and exit (else poll every poll_seconds).")
@with_appcontext
def poll_command(once: bool) -> None:
    """Poll the configured mailbox: fetch, store, parse, queue, move."""
    from registry_admin.intake.jobs import run_poll
    from registry_admin.intake.pipeline import crash_hook_from_environment
    from registry_admin.intake.polllock import PollBusy

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    hook = crash_hook_from_environment()
    while True:
        try:
            report = run_poll(app, hook=hook)
        except PollBusy as exc:
            if once:
                _fail(str(exc))
            report = None
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0]
            if once:
                _fail(f"mailbox poll failed: {type(exc).__name__}: {first}"[:300])
            click.echo(f"registry-admin: mailbox poll failed: {type(exc).__name__}", err=True)
            report = None
        finally:
            db.session.remove()
        if report is not None:
            click.echo(report.summary())
        if once:
            return
        time.sleep(app.config["REGISTRY_SETTINGS"].mailbox.poll_seconds)


@click.group("messages")
def messages_group() -> None:
    """The ingest ledger: every message received."""


@messages_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--state", type=click.Choice(["stored", "parsed", "quarantined", "ignored", "oversize"])
)
@with_appcontext
def messages_list(as_json: bool, state: str | None) -> None:
    """List the ledger, oldest first."""
    from registry_admin.cli import echo_json

    query = select(MailMessage).order_by(MailMessage.id)
    if state:
        query = query.where(MailMessage.state == state)
    for m in db.session.scalars(query).yield_per(500):
        if as_json:
            echo_json(
                {
                    "id": m.id,
                    "message_id": m.message_id,
                    "sha256": m.sha256,
                    "state": m.state,
                    "request_id": m.request_id,
                    "kind": m.kind,
                    "size": m.size,
                    "received_at": m.received_at.isoformat(timespec="seconds"),
                    "source": m.source,
                    "folder": m.folder,
                    "uidvalidity": m.uidvalidity,
                    "uid": m.uid,
                    "supplied": m.supplied,
                    "auth_failed": m.auth_failed,
                    "error": m.error,
                }
            )
        else:
            click.echo(
                f"{m.id}\t{m.received_at:%Y-%m-%d %H:%M}\t{m.state}\t{m.kind or '-'}\t"
                f"{m.request_id or '-'}\t{m.message_id or '-'}"
            )


@messages_group.command("reconcile")
@with_appcontext
def messages_reconcile() -> None:
    """Compare the mailbox with the ledger; list every message without a final state."""
    from registry_admin.intake.reconcile import reconcile
    from registry_admin.intake.sources import SourceError, source_from_settings

    settings = current_app.config["REGISTRY_SETTINGS"].mailbox
    try:
        found = reconcile(
            db.session(),
            source_from_settings(settings),
            max_message_bytes=settings.max_message_bytes,
        )
    except SourceError as exc:
        _fail(f"cannot read the mailbox: {exc}")
    for item in found:
        click.echo(item.line())
    if found:
        _fail(f"{len(found)} message(s) without a final state")
    click.echo("every message has a final state")


@messages_group.command("reprocess")
@click.argument("message_id", type=int)
@with_appcontext
def messages_reprocess(message_id: int) -> None:
    """Run a quarantined message through the parser again."""
    from registry_admin.cli import domain_errors
    from registry_admin.db import transaction
    from registry_admin.intake.queueing import reprocess_message

    with domain_errors(), transaction() as session:
        message = reprocess_message(session, message_id)
        click.echo(f"message {message.id}: {message.state} {message.kind or ''}".rstrip())


@click.group("requests")
def requests_group() -> None:
    """The review queue of registration requests."""


@requests_group.command("list")
@click.option("--state", type=click.Choice(REQUEST_STATES))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def requests_list(state: str | None, as_json: bool) -> None:
    """List registration requests, oldest first."""
    from registry_admin.cli import echo_json

    query = select(RegistrationRequest).order_by(RegistrationRequest.id)
    if state:
        query = query.where(RegistrationRequest.state == state)
    for r in db.session.scalars(query).yield_per(500):
        if as_json:
            echo_json(
                {
                    "id": r.id,
                    "reference": r.reference,
                    "state": r.state,
                    "business_id": r.business_id,
                    "business_id_valid": r.business_id_valid,
                    "organization_name": r.organization_name,
                    "missing": r.missing,
                    "duplicate_of": r.duplicate_of_id,
                    "language": r.language,
                    "created_at": r.created_at.isoformat(timespec="seconds"),
                    "updated_at": r.updated_at.isoformat(timespec="seconds"),
                }
            )
        else:
            click.echo(
                f"{r.id}\t{r.reference}\t{r.state}\t{r.business_id or '-'}\t"
                f"{r.organization_name or '-'}"
            )
