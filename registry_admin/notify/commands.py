"""`registry-admin outbox send --once | link-bounces | retry ID`: the outbox from the shell."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from registry_admin.db import db, transaction, utcnow


@click.group("outbox")
def outbox_command() -> None:
    """Notifications to applicants."""


@outbox_command.command("send")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@with_appcontext
def send_command(once: bool) -> None:
    """Deliver the notifications that are due."""
    from registry_admin.notify.deliver import deliver_due
    from registry_admin.notify.transports import transport_from_settings

    if not once:
        raise click.UsageError(
            "give --once (continuous delivery is the scheduler's job: registry-admin worker)"
        )
    smtp = current_app.config["REGISTRY_SETTINGS"].smtp
    transport = transport_from_settings(smtp)
    summary = deliver_due(db.session, transport, utcnow(), from_address=smtp.from_address)
    if summary.unreachable:
        click.echo(
            f"registry-admin: outbox: {transport.description} unreachable "
            f"({summary.unreachable}); {summary.sent} sent, "
            f"{summary.retrying + summary.waiting} still to send",
            err=True,
        )
        sys.exit(1)
    click.echo(summary.line())


@outbox_command.command("link-bounces")
@with_appcontext
def link_bounces_command() -> None:
    """Link the stored bounces to their notifications and mark those bounced."""
    from registry_admin.notify.bounces import link_bounces

    summary = link_bounces(db.session(), utcnow())
    click.echo(summary.line())
    for error in summary.errors:
        click.echo(f"registry-admin: {error}", err=True)
    if summary.errors:
        sys.exit(1)


@outbox_command.command("retry")
@click.argument("notification_id", type=int)
@with_appcontext
def retry_command(notification_id: int) -> None:
    """Queue a failed notification again, due now (audited as the operator)."""
    from registry_admin.cli import cli_actor, domain_errors
    from registry_admin.notify.outbox import retry_notification

    with domain_errors(), transaction() as session:
        retry_notification(session, notification_id, actor=cli_actor())
    click.echo(f"notification {notification_id} queued again")
