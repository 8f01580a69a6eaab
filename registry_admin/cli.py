"""The `registry-admin` command line: Flask's group plus the registry's own commands."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from registry_admin import create_app
from registry_admin.config import ConfigError
from registry_admin.db import db, transaction
from registry_admin.errors import DomainError
from registry_admin.logconfig import configure_logging


def _app_from_cli() -> Flask:
    info = click.get_current_context().find_object(ScriptInfo)
    path = info.data.get("config_path") if info else None
    try:
        return create_app(config_path=path)
    except ConfigError as exc:
        click.echo(f"registry-admin: configuration error: {exc}", err=True)
        sys.exit(2)


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.ensure_object(ScriptInfo).data["config_path"] = value


@click.group(cls=FlaskGroup, create_app=_app_from_cli, load_dotenv=False, set_debug_flag=False)
@click.option(
    "--config",
    metavar="PATH",
    expose_value=False,
    is_eager=True,
    callback=_remember_config,
    help="Configuration file (else $REGISTRY_ADMIN_CONFIG, else ./config.toml, else defaults).",
)
def cli() -> None:
    """Keep the registry of organizations that may use Kela's appointment booking."""


def main() -> None:
    try:
        cli(prog_name="registry-admin")
    except (OperationalError, ProgrammingError) as exc:
        # An unreachable or not yet migrated database: one line for the operator, no traceback.
        detail = (str(exc.orig) or type(exc.orig).__name__).strip().splitlines()[0]
        click.echo(
            f"registry-admin: database error: {detail} (is it reachable, and has "
            "`registry-admin db upgrade` been run?)",
            err=True,
        )
        sys.exit(1)


def cli_actor() -> str:
    """Who acts, for the audit trail, when a command is run by an operator."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def domain_errors() -> Iterator[None]:
    """A refused operation becomes one line on stderr and exit status 1."""
    try:
        yield
    except DomainError as exc:
        click.echo(f"registry-admin: {exc}", err=True)
        sys.exit(1)


def progress_reporter(total: int, label: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A progress bar on a terminal, nothing when output goes elsewhere."""
    if not sys.stderr.isatty():
        return (lambda _n: None), (lambda: None)
    bar = click.progressbar(length=total, label=label, file=sys.stderr)
    bar.__enter__()
    done = [0]

    def advance(n: int) -> None:
        bar.update(n - done[0])
        done[0] = n

    return advance, lambda: bar.__exit__(None, None, None)


def echo_json(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False))


# --- serving ----------------------------------------------------------------------------------


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--no-scheduler", is_flag=True, help="Serve only; run `registry-admin worker` elsewhere."
)
@with_appcontext
def serve_command(host: str, port: int, threads: int, no_scheduler: bool) -> None:
    """Serve the staff UI and the lookup API (waitress) with the scheduler in this process."""
    from waitress import serve

    from registry_admin import scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    configure_logging(app.config["REGISTRY_SETTINGS"].app.log_level)
    if not no_scheduler:
        scheduler.start_background(app)
    click.echo(f"registry-admin serving on http://{host}:{port}", err=True)
    serve(app, host=host, port=port, threads=threads, ident="registry-admin")


@cli.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the scheduler alone: mailbox poll, outbox delivery, municipality sync."""
    from registry_admin import scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    configure_logging(app.config["REGISTRY_SETTINGS"].app.log_level)
    scheduler.run_blocking(app)


# --- staff accounts and API clients -------------------------------------------------------------


@cli.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "reviewer", "admin"]))
@click.option("--language", default="fi", show_default=True, type=click.Choice(["fi", "sv", "en"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(name: str, role: str, language: str, password_stdin: bool) -> None:
    """Create a staff account."""
    from registry_admin.review.accounts import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("no terminal to ask for a password: use --password-stdin")
    with domain_errors(), transaction() as session:
        create_user(
            session, name, role=role, password=password, actor=cli_actor(), language=language
        )
    click.echo(f"created {role} {name}")


@cli.group("api-clients")
def api_clients_group() -> None:
    """Programs allowed to use the lookup API."""


@api_clients_group.command("create")
@click.argument("name")
@with_appcontext
def api_clients_create(name: str) -> None:
    """Create an API client and print its token (once, on the last line)."""
    from registry_admin.api.tokens import create_client

    with domain_errors(), transaction() as session:
        _client, token = create_client(session, name, actor=cli_actor())
    click.echo(f"created API client {name}; its token is shown only now:")
    click.echo(token)


# --- the registry --------------------------------------------------------------------------------


@cli.group("registry")
def registry_group() -> None:
    """The registry of organizations."""


@registry_group.command("add")
@click.argument("business_id")
@click.option("--name", required=True)
@click.option("--reason", default=None)
@with_appcontext
def registry_add(business_id: str, name: str, reason: str | None) -> None:
    """Add an organization by hand (source manual)."""
    from registry_admin.registry.services import add_organization

    with domain_errors(), transaction() as session:
        org = add_organization(
            session, business_id, name, source="manual", actor=cli_actor(), reason=reason
        )
        click.echo(f"added {org.business_id} {org.name}")


@registry_group.command("remove")
@click.argument("business_id")
@click.option("--reason", required=True)
@with_appcontext
def registry_remove(business_id: str, reason: str) -> None:
    """Remove an organization (kept in the history as removed)."""
    from registry_admin.registry.services import remove_organization

    with domain_errors(), transaction() as session:
        org = remove_organization(session, business_id, actor=cli_actor(), reason=reason)
        click.echo(f"removed {org.business_id} {org.name}")


@registry_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--status", type=click.Choice(["active", "removed", "all"]), default="all", show_default=True
)
@with_appcontext
def registry_list(as_json: bool, status: str) -> None:
    """List the registry."""
    from registry_admin.registry.models import Organization

    query = select(Organization).order_by(Organization.business_id)
    if status != "all":
        query = query.where(Organization.status == status)
    for org in db.session.scalars(query).yield_per(1000):
        if as_json:
            echo_json(
                {
                    "business_id": org.business_id,
                    "name": org.name,
                    "source": org.source,
                    "status": org.status,
                    "registered_at": org.registered_at.isoformat(timespec="seconds"),
                    "removed_at": org.removed_at.isoformat(timespec="seconds")
                    if org.removed_at
                    else None,
                }
            )
        else:
            click.echo(f"{org.business_id}\t{org.status}\t{org.source}\t{org.name}")


@registry_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid", is_flag=True, help="Import the valid rows even when some are invalid."
)
@with_appcontext
def registry_import(file: Path, skip_invalid: bool) -> None:
    """Bulk-load organizations from CSV (business_id,name); nothing is imported while a row is invalid."""
    from registry_admin.registry.csv_io import import_rows, read_import_csv

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        click.echo(f"registry-admin: {file}: not UTF-8 text", err=True)
        sys.exit(1)
    rows, errors = read_import_csv(text)
    for error in errors:
        click.echo(f"{file}: {error}", err=True)
    if errors and not skip_invalid:
        click.echo(
            f"registry-admin: {len(errors)} invalid row(s); nothing imported (see --skip-invalid)",
            err=True,
        )
        sys.exit(1)
    advance, finish = progress_reporter(len(rows), "importing")
    with domain_errors(), transaction() as session:
        result = import_rows(session, rows, actor=cli_actor(), progress=advance)
    finish()
    for note in result.name_differs:
        click.echo(f"{file}: {note}; name left unchanged", err=True)
    for note in result.kept_removed:
        click.echo(f"{file}: {note}: removed by staff, not added again", err=True)
    click.echo(
        f"{result.added} added, {result.already} already registered, {len(errors)} invalid skipped"
    )


@registry_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def registry_export(fmt: str, output: Path | None) -> None:
    """Export the registry as CSV, safe to open in a spreadsheet."""
    from registry_admin.registry.csv_io import export_csv
    from registry_admin.registry.models import Organization

    text = export_csv(db.session.scalars(select(Organization).order_by(Organization.business_id)))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@cli.group("municipalities")
def municipalities_group() -> None:
    """Municipalities, included automatically."""


@municipalities_group.command("sync")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A list with columns business_id,name_fi,name_sv,municipality_code (default: bundled).",
)
@with_appcontext
def municipalities_sync(file: Path | None) -> None:
    """Add every municipality missing from the registry; report what needs an admin."""
    from registry_admin.registry.municipalities import load_list, sync_municipalities

    municipalities, problems = load_list(file)
    if not municipalities:
        click.echo(f"registry-admin: {problems[0] if problems else 'the list is empty'}", err=True)
        sys.exit(1)
    advance, finish = progress_reporter(len(municipalities), "municipalities")
    with domain_errors(), transaction() as session:
        report = sync_municipalities(session, municipalities, problems, progress=advance)
    finish()
    current_app.extensions["registry_view"].invalidate()
    for line in report.problems:
        click.echo(f"review: {line}", err=True)
    for line in report.kept_removed:
        click.echo(f"review: {line}: removed by staff, not added again", err=True)
    for line in report.vanished:
        click.echo(f"review: {line}: no longer in the list, left in the registry", err=True)
    click.echo(report.summary())


def _register_commands_of_other_modules() -> None:
    from registry_admin.demo import demo_credentials_command
    from registry_admin.intake.commands import messages_group, poll_command, requests_group
    from registry_admin.intake.parse_command import parse_command
    from registry_admin.notify.commands import outbox_command
    from registry_admin.registry.decision_commands import approve_command, reject_command
    from registry_admin.webhooks.commands import webhooks_group

    for command in (
        demo_credentials_command,
        parse_command,
        poll_command,
        messages_group,
        requests_group,
        outbox_command,
        webhooks_group,
    ):
        cli.add_command(command)
    requests_group.add_command(approve_command)
    requests_group.add_command(reject_command)


_register_commands_of_other_modules()
