"""POST /events: validate a batch whole, then publish it to Kafka."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from movierecs.api.deps import Publisher, Settings, WriteAccess
from movierecs.api.metrics import EVENTS_PUBLISHED
from movierecs.api.openapi import ERROR_RESPONSES, EVENTS_REQUEST_BODY
from movierecs.api.payloads import parse_events_payload
from movierecs.contract import Event, utc_now

router = APIRouter(tags=["events"])


class EventsAccepted(BaseModel):
    accepted: int = Field(description="How many events were published")
    event_ids: list[str] = Field(description="Idempotency keys of the published events, in request order")
    topic: str


async def publish_events(publisher: Publisher, events: list[Event]) -> None:
    try:
        await publisher.publish(events)
    except Exception:
        EVENTS_PUBLISHED.labels("error").inc(len(events))
        raise
    EVENTS_PUBLISHED.labels("ok").inc(len(events))


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventsAccepted,
    dependencies=[WriteAccess],
    summary="Send user events (one, a list, or {user_id, user_events})",
    openapi_extra={"requestBody": EVENTS_REQUEST_BODY},
    responses=ERROR_RESPONSES,
)
async def post_events(request: Request, settings: Settings, publisher: Publisher) -> Any:
    body = await request.body()  # size already capped by BodySizeLimitMiddleware
    received_at = utc_now()
    events = [e.complete(received_at) for e in parse_events_payload(body, settings.max_events_per_request)]
    await publish_events(publisher, events)
    return EventsAccepted(accepted=len(events), event_ids=[e.event_id for e in events], topic=settings.events_topic)
