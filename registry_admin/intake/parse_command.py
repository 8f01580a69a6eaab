"""The `registry-admin parse FILE... [--json]` command: a dry run of the intake's parser."""

from __future__ import annotations

import json
from pathlib import Path

import click

from registry_admin.intake.parse import IntakeError, ParsedMessage, parse_message, thread_followups


def _summary(path: str, message: ParsedMessage) -> str:
    lines = [f"{path}: {message.kind} ({message.language})"]
    if message.kind in ("request", "followup", "removal"):
        if message.business_id:
            verdict = "valid" if message.business_id_valid else "INVALID check digit"
            lines.append(f"  Business ID:   {message.business_id} ({verdict})")
        for label, value in (
            ("Organization", message.organization_name),
            ("Justification", message.justification),
            ("Contact", message.contact_name),
            ("Email", message.contact_email),
            ("Phone", message.contact_phone),
        ):
            if value:
                lines.append(f"  {label + ':':14} {value}")
        if message.missing:
            lines.append(f"  Missing:       {', '.join(message.missing)}")
    return "\n".join(lines)


@click.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (JSON Lines).")
def parse_command(files: tuple[str, ...], as_json: bool) -> None:
    """Parse .eml files without touching the database."""
    results: list[tuple[str, ParsedMessage | str]] = []
    for name in files:
        try:
            results.append((name, parse_message(Path(name).read_bytes())))
        except OSError as exc:
            results.append((name, f"cannot read: {exc.strerror or type(exc).__name__}"))
        except IntakeError as exc:
            results.append((name, f"cannot parse: {exc}"))
    parsed = [r for _, r in results if isinstance(r, ParsedMessage)]
    threaded = iter(thread_followups(parsed))
    failed = False
    for name, result in results:
        if isinstance(result, str):
            failed = True
            if as_json:
                click.echo(json.dumps({"file": name, "error": result}, ensure_ascii=False))
            else:
                click.echo(f"{name}: error: {result}", err=True)
            continue
        message = next(threaded)
        if as_json:
            click.echo(json.dumps({"file": name, **message.to_json_dict()}, ensure_ascii=False))
        else:
            click.echo(_summary(name, message))
    if failed:
        raise SystemExit(1)
