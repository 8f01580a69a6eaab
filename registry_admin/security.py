"""Response headers and CSRF protection for every page; cookies that scripts and other sites can't use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

csrf = CSRFProtect()

# No inline script or style anywhere: only files from this origin, nothing framed, no plugins.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
_COMMON = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
_PROBES = frozenset({"/healthz", "/readyz"})


def is_stateless(path: str) -> bool:
    """The API (bearer token) and the probes (no credentials): no cookie, no session, no page."""
    return path.startswith("/api/") or path in _PROBES


def init_app(app: Flask) -> None:
    https = _https(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="registry_admin_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the server-side session
        WTF_CSRF_SSL_STRICT=https,
    )
    app.session_interface = PageSessionInterface()
    init_for_pages_only(app, csrf.init_app)
    app.after_request(_security_headers_hook(app))


class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session for pages; none at all for stateless requests.

    An API or probe request never reads or sets the session cookie, so it skips decoding it
    and building the signing serializer, which is made once per key instead of per request.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_stateless(request.path):
            return self.null_session_class()
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self._serializers = {key: serializer}  # only the current keys are kept
        return serializer


def init_for_pages_only(app: Flask, init_extension: Callable[[Flask], None]) -> None:
    """Initialise an extension whose app-wide request hooks concern pages only (CSRF, the
    sign-in cookie): they are skipped for stateless requests, which carry neither."""
    before = app.before_request_funcs[None]
    after = app.after_request_funcs[None]
    known = {id(hook) for hook in (*before, *after)}
    init_extension(app)
    before[:] = [hook if id(hook) in known else _skip_before(hook) for hook in before]
    after[:] = [hook if id(hook) in known else _skip_after(hook) for hook in after]


def _skip_before(hook: Callable[[], Any]) -> Callable[[], Any]:
    @wraps(hook)
    def for_pages() -> Any:
        if is_stateless(request.path):
            return None
        return hook()

    return for_pages


def _skip_after(hook: Callable[[Response], Response]) -> Callable[[Response], Response]:
    @wraps(hook)
    def for_pages(response: Response) -> Response:
        if is_stateless(request.path):
            return response
        return hook(response)

    return for_pages


def security_headers(app: Flask, *, api: bool) -> list[tuple[str, str]]:
    """The security headers of every API answer (`api`) or page that does not set its own."""
    csp = ("Content-Security-Policy", API_CSP if api else PAGE_CSP)
    return [*_COMMON, csp, *([_HSTS] if _https(app) else [])]


def _https(app: Flask) -> bool:
    return bool(app.config["REGISTRY_SETTINGS"].app.base_url.startswith("https://"))


def _security_headers_hook(app: Flask) -> Callable[[Response], Response]:
    """The after-request hook adding the security headers a response does not set itself."""
    # Precomputed once: (lower-case name, name, value), for API responses and for pages.
    api = _defaults(security_headers(app, api=True))
    page = _defaults(security_headers(app, api=False))
    html_page = (*page, *_defaults([("Cache-Control", "no-store")]))

    def _security_headers(response: Response) -> Response:
        if request.path.startswith("/api/"):
            defaults = api
        elif response.mimetype == "text/html":
            defaults = html_page
        else:
            defaults = page
        _add_missing(response, defaults)
        return response

    return _security_headers


def _defaults(headers: list[tuple[str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((name.lower(), name, value) for name, value in headers)


def _add_missing(response: Response, defaults: tuple[tuple[str, str, str], ...]) -> None:
    """Add each default header the response lacks: one pass over its headers, not one per name."""
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    for lower, name, value in defaults:
        if lower not in present:
            headers.add(name, value)
