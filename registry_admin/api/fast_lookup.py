"""The single lookup's common case, answered at the WSGI level before Flask builds a request.

A GET of /api/v1/organizations/{id} with a valid token and a valid ID is nearly all the
API's traffic. Flask's request and app contexts, URL matching, hooks, response object and
teardown cost several times what the answer itself does, so this middleware answers that
case from the registry view directly: the same status, headers and body as the Flask view
(the tests compare them), and the same disclosure log entry. Everything else goes on to
Flask unchanged: other methods, If-None-Match, a missing or unknown token, an invalid or
non-ASCII ID, a view due for a refresh (about once a second per process, so a failing
refresh is tried once per request, not twice), a configured SERVER_NAME or TRUSTED_HOSTS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from registry_admin import businessid
from registry_admin.api import routes
from registry_admin.api.registry_view import RegistryUnavailable
from registry_admin.security import security_headers

PREFIX = "/api/v1/organizations/"
# As Werkzeug writes them, so both paths give the same status line.
_STATUS_LINES = {code: f"{code} {HTTP_STATUS_CODES[code].upper()}" for code in (200, 404)}

Answer = tuple[str, list[tuple[str, str]], bytes]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LookupFastPath:
    """WSGI middleware in front of the Flask app: `app.wsgi_app = LookupFastPath(app, ...)`."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self.wsgi_app = wsgi_app  # the Flask app's own, for every other request
        self._config = app.config
        # Read per request, as the view does: a test or a profile may swap an extension.
        self._extensions = app.extensions
        self._security_headers = security_headers(app, api=True)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        answer = self._answer(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _answer(self, environ: dict[str, Any]) -> Answer | None:
        raw = self._business_id(environ)
        if raw is None:
            return None
        extensions = self._extensions
        view = extensions["registry_view"]
        if view.refresh_due:
            # Flask's request refreshes the view, once, or answers 503 if it cannot.
            return None
        try:
            client_id = routes.client_id_of(environ, view)
            bid, facts = routes.find_organization(view, raw)
        except (routes.ApiError, RegistryUnavailable, businessid.InvalidBusinessId):
            return None  # Flask answers it: 401, 503 or 400, as JSON
        extensions["disclosure_log"].record(client_id, bid, facts is not None)
        status, body, etag = routes.encoded_answer(bid, facts, extensions["not_registered_tail"])
        headers = [
            ("Content-Type", "application/json"),
            ("ETag", etag),
            routes.CACHE_CONTROL,
            ("Content-Length", str(len(body))),
            *self._security_headers,
        ]
        return _STATUS_LINES[status], headers, body

    def _business_id(self, environ: dict[str, Any]) -> str | None:
        """The ID of a plain GET of the single lookup, or None for a request Flask must see."""
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_IF_NONE_MATCH" in environ:
            return None
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return None
        config = self._config
        if config["SERVER_NAME"] or config.get("TRUSTED_HOSTS"):
            return None  # Flask checks the host first
        raw = path[len(PREFIX) :]
        # Werkzeug decodes a non-ASCII path itself; a slash may be a redirect or another route.
        if not raw or not raw.isascii() or "/" in raw:
            return None
        return raw
