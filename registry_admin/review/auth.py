"""Staff sign-in and sign-out, the signed-in user, and the role check every staff route makes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from registry_admin.db import db, transaction
from registry_admin.registry.services import record_audit
from registry_admin.review import oidc, sessions
from registry_admin.review.models import ROLES, StaffUser

bp = Blueprint("auth", __name__)
bp.record_once(lambda state: oidc.init_app(cast(Flask, state.app)))
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "basic"

F = TypeVar("F", bound=Callable[..., Any])
# Checked when the username is unknown, so both answers take as long.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


class SignedInUser(UserMixin):
    """A staff user as seen through one server-side session."""

    def __init__(self, user: StaffUser, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def language(self) -> str:
        return self.user.language

    def has_role(self, minimum: str) -> bool:
        return ROLES.index(self.user.role) >= ROLES.index(minimum)


@login_manager.user_loader
def _load_user(token: str) -> SignedInUser | None:
    user = sessions.resume_session(db.session(), token)
    db.session.commit()
    return SignedInUser(user, token) if user else None


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(401)


def role_required(minimum: str) -> Callable[[F], F]:
    """Only signed-in staff with at least this role (viewer < reviewer < admin)."""
    if minimum not in ROLES:
        raise ValueError(minimum)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(minimum):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = minimum  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("review.queue")


def _login_page(form: LoginForm | None = None, status: int = 200, error: str | None = None) -> Any:
    if error:
        flash(error, "error")
    provider = oidc.provider()
    # The page also answers on the provider's paths; its forms must still post to their own.
    target = request.args.get("next") if request.endpoint == "auth.login" else None
    page = render_template(
        "review/login.html",
        next=target or session.get("oidc_next"),
        form=form or LoginForm(),
        password_login=current_app.config["REGISTRY_SETTINGS"].auth.password_login,
        oidc_name=provider.display_name if provider else None,
    )
    return page, status


def _signed_in(user: StaffUser, token: str, target: str | None) -> Any:
    """The end of every successful sign-in, whichever way the person proved who they are."""
    # A fresh cookie after sign-in: nothing set before it survives (session fixation).
    session.clear()
    login_user(SignedInUser(user, token))
    return redirect(_safe_next(target))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with a username and password."""
    form = LoginForm()
    if request.method == "POST" and not current_app.config["REGISTRY_SETTINGS"].auth.password_login:
        flash(_("Sign-in with a password is turned off."), "error")
        return _login_page(form, 403)
    if form.validate_on_submit():
        username = form.username.data or ""
        remote = request.remote_addr or "unknown"
        with transaction() as s:
            if sessions.is_throttled(s, username, remote):
                flash(_("Too many failed sign-ins. Try again in a quarter of an hour."), "error")
                return _login_page(form, 429)
            user = s.scalar(select(StaffUser).where(StaffUser.username == username))
            valid = check_password_hash(
                user.password_hash if user else _DUMMY_HASH, form.password.data or ""
            )
            if not (user and valid and user.active):
                sessions.record_failure(s, username, remote)
                user = None
            else:
                token = sessions.open_session(s, user, remote)
        if user is None:
            flash(_("Wrong username or password."), "error")
            return _login_page(form, 401)
        return _signed_in(user, token, request.args.get("next"))
    return _login_page(form)


@bp.get("/login/oidc")
def oidc_login() -> Any:
    """Start signing in through the organization's OpenID Connect provider."""
    # A link, not a form: the page's Content Security Policy (form-action 'self') would stop a
    # form's redirect to the provider. Nothing changes here but the OAuth state in the
    # session cookie; the sign-in attempt, with its audit record, is the callback.
    provider = oidc.provider()
    if provider is None:
        return redirect(url_for("auth.login"))
    session["oidc_next"] = _safe_next(request.args.get("next"))
    try:
        return provider.authorize_redirect()
    except oidc.SignInRefused as refused:
        return _login_page(status=502, error=_oidc_message(provider, refused))


@bp.get(oidc.CALLBACK_PATH)
def oidc_callback() -> Any:
    """Where the provider sends the browser back: verify its answer, then open a session."""
    provider = oidc.provider()
    if provider is None:
        return redirect(url_for("auth.login"))
    remote = request.remote_addr or "unknown"
    with transaction() as s:
        throttled = sessions.is_throttled(s, None, remote)
    if throttled:
        flash(_("Too many failed sign-ins. Try again in a quarter of an hour."), "error")
        return _login_page(status=429)
    try:
        identity = provider.finish()
        with transaction() as s:
            user = oidc.staff_user_for(s, identity, provider.settings, remote_addr=remote)
            token = sessions.open_session(s, user, remote)
    except oidc.SignInRefused as refused:
        return _oidc_refused(provider, refused)
    return _signed_in(user, token, session.get("oidc_next"))


def _oidc_refused(provider: oidc.Provider, refused: oidc.SignInRefused) -> Any:
    """A failed sign-in through the provider: recorded, audited, explained on the login page."""
    remote = request.remote_addr or "unknown"
    actor = f"oidc:{refused.claimed or 'unknown'}"
    with transaction() as s:
        # Counted per address like a wrong password; "oidc:" is no username, so no account
        # is throttled by what a provider or a forged callback claims.
        sessions.record_failure(s, actor, remote)
        record_audit(
            s,
            actor,
            "auth.sign_in_failed",
            after={"method": "oidc", "reason": refused.reason},
            remote_addr=remote,
        )
    return _login_page(
        status=502 if refused.reason == "provider_unreachable" else 401,
        error=_oidc_message(provider, refused),
    )


def _oidc_message(provider: oidc.Provider, refused: oidc.SignInRefused) -> str:
    name = provider.display_name
    messages = {
        "provider": _(
            "Sign-in with %(name)s failed: the provider could not be reached or refused. "
            "Try again later.",
            name=name,
        ),
        "state": _(
            "Sign-in with %(name)s failed: the answer does not belong to a sign-in started "
            "in this browser. Start again.",
            name=name,
        ),
        "token": _(
            "Sign-in with %(name)s failed: the provider's answer could not be verified.",
            name=name,
        ),
        "account": _(
            "Sign-in with %(name)s failed: no active staff account may sign in as you. "
            "Ask an administrator.",
            name=name,
        ),
    }
    return messages[refused.kind]


@bp.post("/logout")
def logout() -> Any:
    """Sign out: the server-side session ends, so a copied cookie is worthless too."""
    if current_user.is_authenticated:
        with transaction() as s:
            sessions.close_session(s, current_user.token)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
