"""`registry-admin demo-credentials`: a demo admin and an API token for a local first run."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from registry_admin.api.models import ApiClient
from registry_admin.api.tokens import create_client
from registry_admin.db import transaction, utcnow
from registry_admin.review.accounts import create_user
from registry_admin.review.models import StaffUser

DEMO_USER = "demo-admin"
DEMO_CLIENT = "demo-booking"
ACTOR = "system:demo"


@click.command("demo-credentials")
@click.option("--base-url", help="where the service will listen (default: app.base_url)")
@with_appcontext
def demo_credentials_command(base_url: str | None) -> None:
    """Create (or renew) the demo admin and a demo API token, and print both. Not for production."""
    password = secrets.token_urlsafe(12)
    with transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == DEMO_USER))
        if user is None:
            create_user(session, DEMO_USER, role="admin", password=password, actor=ACTOR)
        else:
            # Only the hash is stored, so a demo password is renewed to be shown again.
            user.password_hash = generate_password_hash(password, method="scrypt")
        old = session.scalar(select(ApiClient).where(ApiClient.name == DEMO_CLIENT))
        if old is not None:
            old.name = f"{DEMO_CLIENT}-revoked-{old.id}"
            old.revoked_at = utcnow()
        _client, token = create_client(session, DEMO_CLIENT, actor=ACTOR)
    base = (base_url or current_app.config["REGISTRY_SETTINGS"].app.base_url).rstrip("/")
    click.echo("")
    lookup = f"{base}/api/v1/organizations/0201256-6"
    click.echo(f"  Staff UI:   {base}/login   user {DEMO_USER}   password {password}")
    click.echo(f"  API token:  {token}")
    click.echo(f"  Try:        curl -s -H 'Authorization: Bearer {token}' {lookup}")
    click.echo("")
