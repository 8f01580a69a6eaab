"""Bearer tokens for API clients: made once, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_admin.api.models import ApiClient
from registry_admin.errors import Conflict, InvalidInput
from registry_admin.registry.services import CHANGED_FLAG, record_audit

PREFIX = "ra_"


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is safe here (no dictionary to guess from).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_client(session: Session, name: str, *, actor: str) -> tuple[ApiClient, str]:
    """A new API client and its token; the token is not stored and cannot be shown again."""
    name = (name or "").strip()
    if not name or len(name) > 120 or not name.isprintable():
        raise InvalidInput("an API client needs a printable name of at most 120 characters")
    if session.scalar(select(ApiClient).where(ApiClient.name == name)):
        raise Conflict(f"an API client named {name!r} exists already")
    token = PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name, token_hash=hash_token(token), token_hint=token[:7], created_by=actor
    )
    session.add(client)
    record_audit(
        session, actor, "api_client.create", after={"name": name, "token_hint": client.token_hint}
    )
    session.flush()
    # Lets this process's registry view know the token at once, after commit (see registry_view).
    session.info[CHANGED_FLAG] = True
    return client, token
