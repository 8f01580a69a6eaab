"""Sign-in through the organization's OpenID Connect provider, and which staff account it opens."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from flask import Flask, Response, current_app
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_admin.config import AuthSettings
from registry_admin.errors import DomainError
from registry_admin.registry.services import record_audit
from registry_admin.review.accounts import create_user
from registry_admin.review.models import ROLES, StaffUser

log = logging.getLogger(__name__)

CALLBACK_PATH = "/login/oidc/callback"
# Clock skew allowed between the provider and this server when checking exp, iat and nbf.
LEEWAY_SECONDS = 60
_EXTENSION = "registry_admin.oidc"


class SignInRefused(Exception):
    """A sign-in through the provider that did not succeed.

    `reason` is recorded in the audit trail; `kind` picks what the login page says: "provider"
    (unreachable or answered with an error), "state" (an answer that belongs to no sign-in
    begun in this browser), "token" (an ID token that fails a check), "account" (no staff
    account may sign in with that identity).
    """

    def __init__(self, reason: str, kind: str, claimed: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.claimed = claimed


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about the person signing in."""

    subject: str
    username: str | None
    # The role the configured claim maps to; None when it maps to none (or no map is set).
    role: str | None


class Provider:
    """The configured provider: discovery, the redirect to it, and checking its answer."""

    def __init__(self, app: Flask, settings: AuthSettings, base_url: str) -> None:
        self.settings = settings
        self.redirect_uri = base_url.rstrip("/") + CALLBACK_PATH
        oauth = OAuth(app)
        self.client = oauth.register(
            "oidc",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings.oidc_scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic",
                "default_timeout": settings.oidc_timeout_seconds,
            },
        )

    @property
    def display_name(self) -> str:
        return self.settings.oidc_display_name

    def authorize_redirect(self) -> Response:
        """The redirect to the provider; its state, nonce and PKCE verifier stay in the session."""
        with _provider_errors():
            self._check_discovery()
            return self.client.authorize_redirect(self.redirect_uri)

    def finish(self) -> Identity:
        """Exchange the code from the callback and verify the ID token; SignInRefused if not."""
        with _provider_errors():
            self._check_discovery()
            token = self.client.authorize_access_token(
                claims_options=self._claims_options(), leeway=LEEWAY_SECONDS
            )
        claims = token.get("userinfo")
        if not claims:
            raise SignInRefused("no_id_token", "token")
        if len(claims["sub"]) > 255:
            raise SignInRefused("invalid_claim:sub", "token")
        username = claims.get(self.settings.oidc_username_claim)
        username = username if isinstance(username, str) and username else None
        # An address the provider has not verified could be anyone's: it must not pick the
        # account to link. (Providers that verify every address often leave the claim out.)
        if self.settings.oidc_username_claim == "email" and claims.get("email_verified") is False:
            raise SignInRefused("email_not_verified", "account", username)
        return Identity(subject=claims["sub"], username=username, role=self._role(claims))

    def _check_discovery(self) -> None:
        # OpenID Connect Discovery 1.0, 4.3: the document must name exactly the issuer it was
        # fetched for, or another party's tokens could pass the issuer check.
        metadata = self.client.load_server_metadata()
        if metadata.get("issuer") != self.settings.oidc_issuer:
            raise SignInRefused("wrong_issuer_in_discovery", "provider")

    def _claims_options(self) -> dict[str, Any]:
        # Authlib checks the nonce and the signature itself; without these it would accept an
        # ID token for another audience if its azp named this client. A fresh dict each time:
        # Authlib pops from it.
        return {
            "iss": {"essential": True, "value": self.settings.oidc_issuer},
            "aud": {"essential": True, "value": self.settings.oidc_client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }

    def _role(self, claims: dict[str, Any]) -> str | None:
        if not self.settings.oidc_role_claim:
            return None
        value = claims.get(self.settings.oidc_role_claim)
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        mapping = dict(self.settings.oidc_role_map)
        roles = [mapping[v] for v in values if isinstance(v, str) and v in mapping]
        return max(roles, key=ROLES.index) if roles else None


@contextmanager
def _provider_errors() -> Iterator[None]:
    """Turn what can go wrong in talking to the provider into SignInRefused."""
    try:
        yield
    except SignInRefused:
        raise
    except Exception as exc:
        refused = _refusal_for(exc)
        if refused is None:
            raise
        raise refused from exc


def _refusal_for(exc: BaseException) -> SignInRefused | None:
    if isinstance(exc, MismatchingStateError):
        return SignInRefused("state_mismatch", "state")
    if isinstance(exc, AuthlibBaseError):
        # An error answer: on the callback (access_denied...) or from the token endpoint.
        return SignInRefused(f"provider_error:{getattr(exc, 'error', '')}"[:80], "provider")
    if isinstance(exc, BadSignatureError | InvalidKeyIdError):
        return SignInRefused("bad_signature", "token")
    if isinstance(exc, ExpiredTokenError):
        return SignInRefused("expired", "token")
    if isinstance(exc, ClaimError):
        return SignInRefused(f"invalid_claim:{exc.claim}"[:80], "token")
    if isinstance(exc, JoseError):
        return SignInRefused("invalid_token", "token")
    if isinstance(exc, requests.RequestException):
        log.warning("OpenID Connect provider unreachable: %s", exc)
        return SignInRefused("provider_unreachable", "provider")
    if isinstance(exc, RuntimeError | KeyError | ValueError | TypeError):
        # A discovery document or token answer missing what the protocol requires.
        log.warning("OpenID Connect provider answered unusably", exc_info=exc)
        return SignInRefused("provider_invalid", "provider")
    return None


def init_app(app: Flask) -> None:
    settings = app.config["REGISTRY_SETTINGS"]
    if settings.auth.oidc_issuer:
        app.extensions[_EXTENSION] = Provider(app, settings.auth, settings.app.base_url)


def provider() -> Provider | None:
    """The configured provider of this application, or None when sign-in through one is off."""
    return current_app.extensions.get(_EXTENSION)


def staff_user_for(
    session: Session, identity: Identity, settings: AuthSettings, *, remote_addr: str | None
) -> StaffUser:
    """The active staff account this identity signs in as; SignInRefused if none may.

    An account is found by the provider's `sub` once linked; before that, by the configured
    claim, and then linked. A username claim that changes hands at the provider can never
    reach an account already linked to another `sub`.
    """
    user = session.scalar(select(StaffUser).where(StaffUser.oidc_subject == identity.subject))
    if user is None:
        user = _link(session, identity, settings, remote_addr)
    if not user.active:
        raise SignInRefused("inactive_account", "account", identity.username)
    if settings.oidc_role_claim:
        if identity.role is None:
            raise SignInRefused("no_role", "account", identity.username)
        if identity.role != user.role:
            record_audit(
                session,
                "oidc",
                "user.role_from_provider",
                before={"username": user.username, "role": user.role},
                after={"username": user.username, "role": identity.role},
                remote_addr=remote_addr,
            )
            user.role = identity.role
    return user


def _link(
    session: Session, identity: Identity, settings: AuthSettings, remote_addr: str | None
) -> StaffUser:
    claimed = identity.username
    if claimed is None:
        raise SignInRefused("no_username_claim", "account")
    user = session.scalar(select(StaffUser).where(StaffUser.username == claimed))
    if user is not None and user.oidc_subject is not None:
        raise SignInRefused("linked_to_another_subject", "account", claimed)
    if user is None:
        if not (settings.oidc_create_accounts and identity.role):
            raise SignInRefused("unknown_user", "account", claimed)
        try:
            # Nobody knows this password: the account signs in through the provider only.
            user = create_user(
                session,
                claimed,
                role=identity.role,
                password=secrets.token_urlsafe(32),
                actor="oidc",
            )
        except DomainError:
            raise SignInRefused("unusable_username", "account", claimed) from None
    user.oidc_subject = identity.subject
    record_audit(
        session,
        "oidc",
        "user.link_oidc",
        after={"username": user.username, "subject": identity.subject},
        remote_addr=remote_addr,
    )
    session.flush()
    return user
