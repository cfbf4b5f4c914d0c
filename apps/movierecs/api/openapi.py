"""OpenAPI fragments for bodies the handlers parse themselves (to report per-item errors and bound the size)."""

from __future__ import annotations

from typing import Any

from movierecs.contract import EventIn

_REF_TEMPLATE = "#/components/schemas/{model}"
_EVENT_SCHEMA = EventIn.model_json_schema(ref_template=_REF_TEMPLATE)
# Enum and nested definitions, to be placed under components/schemas (see add_component_schemas).
COMPONENT_SCHEMAS: dict[str, Any] = _EVENT_SCHEMA.pop("$defs", {})
_USER_EVENT_SCHEMA = {
    **_EVENT_SCHEMA,
    "title": "UserEvent",
    "properties": {k: v for k, v in _EVENT_SCHEMA["properties"].items() if k != "user_id"},
    "required": [r for r in _EVENT_SCHEMA.get("required", []) if r != "user_id"],
}

BRIEF_EXAMPLE: dict[str, Any] = {
    "user_id": "u123",
    "user_events": [
        {"movie_id": "m1", "action": "view", "timestamp": "2023-01-01T12:00:00"},
        {"movie_id": "m2", "action": "rate", "rating": 4.5, "timestamp": "2023-01-01T12:05:00"},
    ],
}

EVENTS_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {
                        "type": "object",
                        "title": "UserEvents",
                        "properties": {
                            "user_id": _EVENT_SCHEMA["properties"]["user_id"],
                            "user_events": {"type": "array", "items": _USER_EVENT_SCHEMA, "minItems": 1},
                        },
                        "required": ["user_id", "user_events"],
                        "additionalProperties": False,
                    },
                    _EVENT_SCHEMA,
                    {"type": "array", "items": _EVENT_SCHEMA, "minItems": 1},
                ]
            },
            "examples": {
                "brief": {"summary": "The brief's envelope", "value": BRIEF_EXAMPLE},
                "single": {"summary": "One event", "value": {
                    "user_id": "u123", "movie_id": "m50", "action": "view", "timestamp": "2023-01-01T12:00:00"}},
            },
        }
    },
}

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("Missing or invalid X-API-Key (only when keys are configured)"),
    413: _error("Body or batch too large"),
    422: _error("Invalid event(s): details name the item index, field and reason; nothing was published"),
    503: _error("Kafka broker unreachable; details carry the event ids to retry with"),
}


def add_component_schemas(openapi_schema: dict[str, Any]) -> dict[str, Any]:
    openapi_schema.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENT_SCHEMAS)
    return openapi_schema
