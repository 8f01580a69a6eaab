"""`registry-admin webhooks add URL | list | remove ID | send --once | retry ID | skip ID`."""

from __future__ import annotations

import secrets
import sys
from urllib.parse import urlsplit

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from registry_admin.db import transaction


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter("give an http:// or https:// URL with a host", param_hint="URL")
    if any(ch.isspace() or ord(ch) < 32 for ch in url) or len(url) > 2000:
        raise click.BadParameter("the URL has spaces, control characters or is too long")
    return url


@click.group("webhooks")
def webhooks_group() -> None:
    """Signed POSTs of every registry change to the booking module."""


@webhooks_group.command("add")
@click.argument("url")
@with_appcontext
def add_command(url: str) -> None:
    """Add an endpoint; it receives the changes made from now on. Prints its secret once."""
    from registry_admin.webhooks.collect import current_cursor
    from registry_admin.webhooks.models import WebhookEndpoint

    url = _check_url(url)
    secret = secrets.token_hex(32)
    with transaction() as session:
        endpoint = WebhookEndpoint(
            url=url, secret=secret, active=True, cursor=current_cursor(session)
        )
        session.add(endpoint)
        session.flush()
        endpoint_id = endpoint.id
    click.echo(f"webhook endpoint {endpoint_id}: {url}")
    click.echo("its signing secret (shown only now):")
    click.echo(secret)


@webhooks_group.command("list")
@with_appcontext
def list_command() -> None:
    """The endpoints and the state of their deliveries."""
    from registry_admin.webhooks.models import STATES, WebhookDelivery, WebhookEndpoint

    with transaction() as session:
        endpoints = session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
        counts: dict[tuple[int, str], int] = {
            (endpoint_id, state): count
            for endpoint_id, state, count in session.execute(
                select(WebhookDelivery.endpoint_id, WebhookDelivery.state, func.count()).group_by(
                    WebhookDelivery.endpoint_id, WebhookDelivery.state
                )
            )
        }
        if not endpoints:
            click.echo("no webhook endpoints")
            return
        for ep in endpoints:
            states = ", ".join(f"{counts.get((ep.id, s), 0)} {s}" for s in STATES)
            flag = "active" if ep.active else "inactive"
            click.echo(f"{ep.id}\t{ep.url}\t{flag}\tcursor {ep.cursor}\t{states}")
            last = session.scalar(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.endpoint_id == ep.id, WebhookDelivery.last_error.is_not(None)
                )
                .order_by(WebhookDelivery.last_attempt_at.desc())
                .limit(1)
            )
            if last is not None and last.state != "delivered":
                click.echo(f"\tlast error (cursor {last.cursor}, {last.state}): {last.last_error}")


@webhooks_group.command("remove")
@click.argument("endpoint_id", type=int)
@with_appcontext
def remove_command(endpoint_id: int) -> None:
    """Remove an endpoint and its deliveries."""
    from registry_admin.webhooks.models import WebhookDelivery, WebhookEndpoint

    with transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            click.echo(f"registry-admin: no webhook endpoint {endpoint_id}", err=True)
            sys.exit(1)
        session.query(WebhookDelivery).filter_by(endpoint_id=endpoint_id).delete()
        session.delete(endpoint)
    click.echo(f"webhook endpoint {endpoint_id} removed")


@webhooks_group.command("send")
@click.option("--once", is_flag=True, help="Collect and deliver what is due now, then stop.")
@with_appcontext
def send_command(once: bool) -> None:
    """Collect new registry changes and POST the deliveries that are due."""
    from registry_admin.webhooks.jobs import webhook_round

    if not once:
        raise click.UsageError("give --once (continuous delivery is the scheduler's job)")
    summary = webhook_round()
    click.echo(summary.line())
    if summary.unreachable:
        sys.exit(1)


@webhooks_group.command("retry")
@click.argument("delivery_id", type=int)
@with_appcontext
def retry_command(delivery_id: int) -> None:
    """Queue a failed delivery again, due now (audited as the operator)."""
    from registry_admin.cli import cli_actor, domain_errors
    from registry_admin.webhooks.actions import retry_delivery

    with domain_errors(), transaction() as session:
        retry_delivery(session, delivery_id, actor=cli_actor())
    click.echo(f"webhook delivery {delivery_id} queued again")


@webhooks_group.command("skip")
@click.argument("delivery_id", type=int)
@with_appcontext
def skip_command(delivery_id: int) -> None:
    """Give up a failed delivery, so that the later ones of its organization go (audited)."""
    from registry_admin.cli import cli_actor, domain_errors
    from registry_admin.webhooks.actions import skip_delivery

    with domain_errors(), transaction() as session:
        skip_delivery(session, delivery_id, actor=cli_actor())
    click.echo(f"webhook delivery {delivery_id} skipped")


@webhooks_group.command("failed")
@with_appcontext
def failed_command() -> None:
    """The failed deliveries and how many later ones each holds back."""
    from registry_admin.webhooks.actions import blocked_deliveries

    with transaction() as session:
        blocked = blocked_deliveries(session)
        if not blocked:
            click.echo("no failed webhook deliveries")
        for item in blocked:
            d = item.delivery
            click.echo(
                f"{d.id}\tendpoint {d.endpoint_id}\tcursor {d.cursor}\t{d.business_id}\t"
                f"holds back {item.held_back}\t{d.last_error or ''}"
            )
