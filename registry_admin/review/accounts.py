"""Staff accounts: create them, check a password."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registry_admin.errors import Conflict, InvalidInput
from registry_admin.registry.services import record_audit
from registry_admin.review.models import LANGUAGES, ROLES, StaffUser

MIN_PASSWORD = 12
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,79}")


def create_user(
    session: Session, username: str, *, role: str, password: str, actor: str, language: str = "fi"
) -> StaffUser:
    """A new staff account; the password is stored only as a salted scrypt hash."""
    if not _USERNAME.fullmatch(username or ""):
        raise InvalidInput(
            "a username is 1-80 letters, digits, or . _ @ - and starts with a letter or digit"
        )
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise Conflict(f"a user named {username!r} exists already")
    user = StaffUser(
        username=username,
        role=role,
        language=language,
        password_hash=generate_password_hash(password, method="scrypt"),
    )
    session.add(user)
    record_audit(session, actor, "user.create", after={"username": username, "role": role})
    session.flush()
    return user


def verify_password(user: StaffUser, password: str) -> bool:
    return check_password_hash(user.password_hash, password)
