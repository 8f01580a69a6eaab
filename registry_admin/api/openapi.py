"""The OpenAPI 3 document of the lookup API; the tests check the implementation against it."""

from __future__ import annotations

from typing import Any

_ID_PARAM = {
    "name": "business_id",
    "in": "path",
    "required": True,
    "description": "A Business ID in any form python-stdnum accepts (0201256-6, 02012566, FI02012566).",
    "schema": {"type": "string"},
}


def _json(ref: str, description: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


_ERRORS = {
    "401": _json("Error", "No valid bearer token"),
    "503": _json("Error", "The registry cannot be read right now"),
}
_ETAG = {"ETag": {"schema": {"type": "string"}, "description": "Validator for If-None-Match"}}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "registry-admin lookup API",
        "version": "1.0.0",
        "description": (
            "May an organization use Kela's appointment booking system? Answers carry no "
            "personal data. Every answer about a Business ID is logged with the asking client."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/organizations/{business_id}": {
            "get": {
                "operationId": "getOrganization",
                "summary": "Is this organization in the registry?",
                "parameters": [
                    _ID_PARAM,
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _json("Registered", "In the registry", _ETAG),
                    "304": {"description": "Unchanged since the ETag given", "headers": _ETAG},
                    "400": _json("InvalidBusinessId", "Not a valid Business ID"),
                    "404": _json(
                        "NotRegistered", "Valid, but not (or no longer) in the registry", _ETAG
                    ),
                    **_ERRORS,
                },
            }
        },
        "/api/v1/organizations/lookup": {
            "post": {
                "operationId": "lookupOrganizations",
                "summary": "Look up to 1000 Business IDs at once",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["business_ids"],
                                "properties": {
                                    "business_ids": {
                                        "type": "array",
                                        "maxItems": 1000,
                                        "items": {"type": "string"},
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json("LookupResults", "One result per ID, in the order given"),
                    "400": _json("Error", "The body is not as documented"),
                    "413": _json("Error", "The body is too large"),
                    "415": _json("Error", "The body is not JSON"),
                    **_ERRORS,
                },
            }
        },
        "/api/v1/changes": {
            "get": {
                "operationId": "listChanges",
                "summary": "Registry changes in commit order, after a cursor",
                "parameters": [
                    {
                        "name": "since",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 0,
                            "maximum": 10**18 - 1,
                            "default": 0,
                        },
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 1000,
                            "default": 1000,
                        },
                    },
                ],
                "responses": {
                    "200": _json("Changes", "The changes after `since`, oldest first"),
                    "400": _json("Error", "`since` or `limit` is not a valid number"),
                    **_ERRORS,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Registered": {
                "type": "object",
                "additionalProperties": False,
                "required": ["business_id", "registered", "name", "source", "registered_at"],
                "properties": {
                    "business_id": {"type": "string", "pattern": "^[0-9]{7}-[0-9]$"},
                    "registered": {"type": "boolean", "enum": [True]},
                    "name": {"type": "string"},
                    "source": {"type": "string", "enum": ["municipality", "application", "manual"]},
                    "registered_at": {"type": "string", "format": "date-time"},
                },
            },
            "NotRegistered": {
                "type": "object",
                "additionalProperties": False,
                "required": ["business_id", "registered", "message"],
                "properties": {
                    "business_id": {"type": "string", "pattern": "^[0-9]{7}-[0-9]$"},
                    "registered": {"type": "boolean", "enum": [False]},
                    "message": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["fi", "sv", "en"],
                        "properties": {k: {"type": "string"} for k in ("fi", "sv", "en")},
                    },
                },
            },
            "InvalidBusinessId": {
                "type": "object",
                "additionalProperties": False,
                "required": ["error", "detail"],
                "properties": {
                    "business_id": {"type": "string"},
                    "error": {"type": "string", "enum": ["invalid_business_id"]},
                    "detail": {"type": "string"},
                },
            },
            "LookupResults": {
                "type": "object",
                "additionalProperties": False,
                "required": ["results"],
                "properties": {
                    "results": {
                        "type": "array",
                        "items": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/Registered"},
                                {"$ref": "#/components/schemas/NotRegistered"},
                                {"$ref": "#/components/schemas/InvalidBusinessId"},
                            ]
                        },
                    }
                },
            },
            "Change": {
                "type": "object",
                "additionalProperties": False,
                "required": ["cursor", "business_id", "change", "at"],
                "properties": {
                    "cursor": {"type": "integer"},
                    "business_id": {"type": "string", "pattern": "^[0-9]{7}-[0-9]$"},
                    "change": {"type": "string", "enum": ["added", "removed", "renamed"]},
                    "at": {"type": "string", "format": "date-time"},
                },
            },
            "Changes": {
                "type": "object",
                "additionalProperties": False,
                "required": ["changes", "next"],
                "properties": {
                    "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                    "next": {"type": "integer", "description": "Pass as `since` to continue"},
                },
            },
            "Error": {
                "type": "object",
                "additionalProperties": False,
                "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}
