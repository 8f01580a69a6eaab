"""`registry-admin requests approve|reject`: the same decisions as the staff UI, by a named user."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from registry_admin.db import transaction
from registry_admin.errors import InvalidInput
from registry_admin.registry import decisions
from registry_admin.review.models import ROLES, StaffUser


def _reviewer(session, username: str) -> str:  # type: ignore[no-untyped-def]
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active:
        raise InvalidInput(f"no active staff user {username!r}")
    if ROLES.index(user.role) < ROLES.index("reviewer"):
        raise InvalidInput(f"{username} is a {user.role}; deciding needs a reviewer or an admin")
    return f"user:{username}"


@click.command("approve")
@click.argument("request_id", type=int)
@click.option("--user", "username", required=True, help="The reviewer deciding.")
@with_appcontext
def approve_command(request_id: int, username: str) -> None:
    """Approve a request: the organization enters the registry and the applicant is told."""
    from registry_admin.cli import domain_errors

    with domain_errors(), transaction() as session:
        org = decisions.approve_request(session, request_id, actor=_reviewer(session, username))
        click.echo(
            f"approved request {request_id}: {org.business_id} {org.name} is in the registry"
        )


@click.command("reject")
@click.argument("request_id", type=int)
@click.option("--user", "username", required=True, help="The reviewer deciding.")
@click.option("--reason", required=True, help="Sent to the applicant.")
@with_appcontext
def reject_command(request_id: int, username: str, reason: str) -> None:
    """Reject a request, with the reason sent to the applicant."""
    from registry_admin.cli import domain_errors

    with domain_errors(), transaction() as session:
        decisions.reject_request(
            session, request_id, actor=_reviewer(session, username), reason=reason
        )
        click.echo(f"rejected request {request_id}")
