"""The lookup API for the booking module: single and batch lookup, change feed, its document."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask.sansio.blueprints import BlueprintSetupState
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import Headers
from werkzeug.routing import PathConverter

from registry_admin import businessid
from registry_admin.api.openapi import DOCUMENT
from registry_admin.api.registry_view import (
    OrganizationFacts,
    RegistryUnavailable,
    RegistryView,
    etag_of,
)
from registry_admin.db import db
from registry_admin.registry.models import RegistryChange

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class AnyTextConverter(PathConverter):
    """Like `path`, but also matches a newline, so such an ID is refused as invalid, not unrouted."""

    regex = r"[^/][\s\S]*?"


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    # Before the routes: a rule finds its converter when it is added to the map.
    state.app.url_map.converters.setdefault("anytext", AnyTextConverter)


MAX_BODY_BYTES = 256 * 1024
MAX_CHANGES = 1000
# Below PostgreSQL's BIGINT limit; the OpenAPI document states the same maximum.
MAX_CURSOR = 10**18 - 1
_PUBLIC = {"api.openapi"}
_LOOKUP = "api.get_organization"


class ApiError(Exception):
    """An answer other than success, as JSON."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


# One encoder for every answer: json.dumps would build a new one per call for these options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = _ENCODER.encode(payload)
    response = Response(body, status=status, content_type="application/json")
    if headers:
        response.headers.update(headers)
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="registry"'} if exc.status == 401 else None
    return json_response({"error": exc.error, "detail": exc.detail}, exc.status, headers)


@bp.errorhandler(RegistryUnavailable)
def _unavailable(_exc: RegistryUnavailable) -> Response:
    return json_response(
        {"error": "unavailable", "detail": "the registry cannot be read right now"},
        503,
        {"Retry-After": "5"},
    )


@bp.errorhandler(OperationalError)
def _database_down(_exc: OperationalError) -> Response:
    # The change feed reads the database directly; lookups answer from the view instead.
    current_app.logger.exception("the API could not reach the database")
    db.session.rollback()
    return _unavailable(RegistryUnavailable())


@bp.before_request
def _authenticate() -> None:
    req = request._get_current_object()  # one trip through the context-local proxy
    endpoint = req.endpoint
    if endpoint in _PUBLIC:
        return
    # The single lookup checks the token in its view (to spare the hot path more trips
    # through Flask's proxies); an OPTIONS request never reaches a view, so it is checked here.
    if endpoint == _LOOKUP and req.method != "OPTIONS":
        return
    g.api_client_id = client_id_of(req.environ, _view())


def client_id_of(environ: dict[str, Any], view: RegistryView) -> int:
    """The API client that the request's bearer token belongs to; ApiError 401 without one."""
    # The WSGI environ directly: what request.headers would give, without building the view.
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    if not token or scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    client_id = view.client_id(token)
    if client_id is None:
        raise ApiError(401, "unauthorized", "the token is not valid")
    return client_id


def _view():  # type: ignore[no-untyped-def]
    return current_app.extensions["registry_view"]


def _lookup(raw: str) -> tuple[int, dict[str, Any], str | None, bool | None]:
    """(status, body, Business ID for the disclosure log, registered) for one ID as given."""
    try:
        bid = businessid.normalize(raw)
    except businessid.InvalidBusinessId as exc:
        return 400, _invalid(raw, exc), None, None
    facts = _view().organization(bid)
    if facts is None:
        message = current_app.extensions["not_registered_message"]
        return 404, {"business_id": bid, "registered": False, "message": message}, bid, False
    body = {
        "business_id": bid,
        "registered": True,
        "name": facts.name,
        "source": facts.source,
        "registered_at": facts.registered_at,
    }
    return 200, body, bid, True


def _invalid(raw: str, exc: businessid.InvalidBusinessId) -> dict[str, Any]:
    return {
        "business_id": _echo(raw),
        "error": "invalid_business_id",
        "detail": f"not a valid Business ID: {exc.detail}",
    }


def _echo(raw: str) -> str:
    """The ID as given, shortened, with lone surrogates (possible in JSON) made encodable."""
    return raw[:64].encode("utf-8", "replace").decode("utf-8")


@bp.get("/organizations/", defaults={"business_id": ""})
@bp.get("/organizations/<anytext:business_id>")
def get_organization(business_id: str) -> Response:
    """Whether one organization may use the booking system."""
    # A GET with a valid token and an ASCII ID is answered by fast_lookup before Flask; this
    # view answers the rest alike: HEAD, If-None-Match, non-ASCII forms of the ID, errors.
    environ = request.environ
    extensions = current_app.extensions
    view = extensions["registry_view"]
    client_id = client_id_of(environ, view)
    try:
        bid, facts = find_organization(view, business_id)
    except businessid.InvalidBusinessId as exc:
        return json_response(_invalid(business_id, exc), 400)
    extensions["disclosure_log"].record(client_id, bid, facts is not None)
    status, encoded, etag = encoded_answer(bid, facts, extensions["not_registered_tail"])
    headers = Headers([("Content-Type", "application/json"), ("ETag", etag), CACHE_CONTROL])
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        tags = _if_none_match(if_none_match)
        if etag in tags or (status == 200 and "*" in tags):
            del headers["Content-Type"]
            return Response(status=304, headers=headers)
    return Response(encoded, status=status, headers=headers)


def find_organization(view: RegistryView, raw: str) -> tuple[str, OrganizationFacts | None]:
    """The canonical form of the ID as given and its organization, None when not registered.

    Raises InvalidBusinessId for an invalid ID.
    """
    # The view's keys are canonical valid IDs: an ID found as given needs no normalising.
    facts = view.organization(raw)
    if facts is not None:
        return raw, facts
    bid = businessid.normalize(raw)
    return bid, (view.organization(bid) if bid != raw else None)


def encoded_answer(
    bid: str, facts: OrganizationFacts | None, not_registered_tail: bytes
) -> tuple[int, bytes, str]:
    """(status, JSON body, ETag) of the single lookup's answer about a valid canonical ID."""
    if facts is not None:
        encoded, etag = facts.encoded_answer()
        return 200, encoded, etag
    # The same three-language message every time: serialised once, at start-up; the ETag
    # keyed by it, so only the ID needs hashing here.
    key = _tail_keys.get(not_registered_tail)
    if key is None:
        key = hashlib.blake2b(not_registered_tail, digest_size=32).digest()
        key = _tail_keys.setdefault(not_registered_tail, key)
    ascii_id = bid.encode()
    return 404, b'{"business_id":"' + ascii_id + not_registered_tail, etag_of(ascii_id, key)


CACHE_CONTROL = ("Cache-Control", "private, no-cache")
# The not-registered message (as encoded bytes) -> the key its answers' ETags are made with.
_tail_keys: dict[bytes, bytes] = {}


def _if_none_match(value: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in value.split(",")}


@bp.post("/organizations/lookup")
def lookup_organizations() -> Response:
    """Whether each of up to 1000 organizations may use the booking system."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"the body may be at most {MAX_BODY_BYTES} bytes")
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    # Without a Content-Length (chunked), MAX_CONTENT_LENGTH bounds what is read here.
    data = request.get_data(cache=False)
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"the body may be at most {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        # ValueError covers UnicodeDecodeError; RecursionError is deeply nested arrays.
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
    ids = payload.get("business_ids") if isinstance(payload, dict) else None
    if not isinstance(ids, list):
        raise ApiError(400, "invalid_request", 'send {"business_ids": [...]}')
    limit = current_app.config["REGISTRY_SETTINGS"].api.max_batch
    if len(ids) > limit:
        raise ApiError(
            400, "too_many", f"at most {limit} Business IDs in one request, got {len(ids)}"
        )
    results = []
    disclosed: list[tuple[str, bool | None]] = []
    for item in ids:
        if not isinstance(item, str):
            results.append(
                {
                    "business_id": _describe(item),
                    "error": "invalid_business_id",
                    "detail": "each Business ID must be a string",
                }
            )
            continue
        _status, body, bid, registered = _lookup(item)
        results.append(body)
        if bid is not None:
            disclosed.append((bid, registered))
    current_app.extensions["disclosure_log"].record_many(g.api_client_id, disclosed)
    return json_response({"results": results})


def _describe(item: Any) -> str:
    """A short text for a non-string item; containers are not serialised (they may nest deeply)."""
    if isinstance(item, list):
        return "[...]"
    if isinstance(item, dict):
        return "{...}"
    return json.dumps(item)[:64]


@bp.get("/changes")
def list_changes() -> Response:
    """Registry changes after the cursor `since`, in commit order."""
    since = _int_arg("since", 0, minimum=0, maximum=MAX_CURSOR)
    limit = _int_arg("limit", MAX_CHANGES, minimum=1, maximum=MAX_CHANGES)
    rows = db.session.execute(
        select(
            RegistryChange.cursor,
            RegistryChange.business_id,
            RegistryChange.change,
            RegistryChange.at,
        )
        .where(RegistryChange.cursor > since)
        .order_by(RegistryChange.cursor)
        .limit(limit)
    ).all()
    changes = [
        {
            "cursor": cursor,
            "business_id": bid,
            "change": change,
            "at": at.isoformat(timespec="seconds"),
        }
        for cursor, bid, change, at in rows
    ]
    return json_response({"changes": changes, "next": rows[-1][0] if rows else since})


def _int_arg(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # The length bound keeps int() cheap on hostile input; leading zeros are harmless.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 40:
        raise ApiError(400, "invalid_parameter", f"{name} must be a whole number")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ApiError(400, "invalid_parameter", f"{name} must be between {minimum} and {maximum}")
    return value


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API."""
    return json_response(DOCUMENT)
