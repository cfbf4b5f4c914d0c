"""Turn a decoded ``POST /events`` body into validated events. Pure: no I/O, no FastAPI.

Three shapes are accepted: one event object, a list of event objects, or the brief's envelope
``{"user_id": ..., "user_events": [...]}`` whose events inherit its ``user_id``. Every item is validated before any
is published, so a batch is accepted or rejected whole, and the error says which item failed and why.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from movierecs.api.errors import InvalidPayload, PayloadTooLarge
from movierecs.contract import EventIn

ENVELOPE_KEYS = frozenset({"user_id", "user_events"})
# One validator for the whole list (pydantic-core loops in Rust); error locations start with the item's index.
_EVENT_LIST = TypeAdapter(list[EventIn])


def decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayload(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidPayload("body is not valid JSON: nested too deeply") from exc


def event_items(payload: Any) -> list[Any]:
    """The raw event objects of a payload, with the envelope's user_id applied to each."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and "user_events" in payload:
        extra = set(payload) - ENVELOPE_KEYS
        if extra:
            raise InvalidPayload(f"unexpected field(s) in envelope: {sorted(extra)}")
        return apply_envelope_user(payload.get("user_id"), payload["user_events"])
    if isinstance(payload, dict):
        return [payload]
    raise InvalidPayload("body must be an event object, a list of events, or {user_id, user_events}")


def apply_envelope_user(user_id: Any, user_events: Any) -> list[Any]:
    if not isinstance(user_events, list):
        raise InvalidPayload("user_events must be a list of events")
    items: list[Any] = []
    for index, item in enumerate(user_events):
        if isinstance(item, dict):
            if "user_id" in item and item["user_id"] != user_id:
                raise InvalidPayload(
                    "invalid event(s)",
                    details=[{"index": index, "loc": ["user_id"], "msg": "differs from the envelope's user_id"}],
                )
            item = {**item, "user_id": user_id}
        items.append(item)
    return items


def validate_events(items: list[Any], max_events: int) -> list[EventIn]:
    if not items:
        raise InvalidPayload("no events: send at least one")
    if len(items) > max_events:
        raise PayloadTooLarge(f"too many events in one request: {len(items)} > {max_events}")
    try:
        return _EVENT_LIST.validate_python(items)
    except ValidationError as exc:
        problems = [
            {"index": err["loc"][0], "loc": list(err["loc"][1:]), "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
    raise InvalidPayload(f"{len({p['index'] for p in problems})} invalid event(s); nothing was published",
                         details=problems)


def parse_events_payload(body: bytes, max_events: int) -> list[EventIn]:
    return validate_events(event_items(decode_json(body)), max_events)
