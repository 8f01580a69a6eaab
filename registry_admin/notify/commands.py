"""`registry-admin outbox send --once`: one round of delivery, as the scheduler would do it."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from registry_admin.db import db, utcnow


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
