"""Recommendation endpoints: the brief's POST /recommend and the richer per-user GET."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from movierecs.api.deps import Publisher, Recommendations, Settings, WriteAccess
from movierecs.api.errors import ApiError
from movierecs.api.openapi import BRIEF_EXAMPLE, ERROR_RESPONSES
from movierecs.api.payloads import apply_envelope_user, validate_events
from movierecs.api.routes.events import publish_events
from movierecs.contract import ID_MAX_LENGTH, ID_PATTERN, EntityId, Event, utc_now

router = APIRouter(tags=["recommendations"])

UserIdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
Genre = Annotated[str | None, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9' &\-]+$",
                                    description="keep only movies of this genre, e.g. Comedy")]


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{**BRIEF_EXAMPLE, "k": 3}]})

    user_id: EntityId
    k: int = Field(default=10, ge=1, le=100, description="how many movies")
    user_events: list[dict[str, Any]] = Field(
        default_factory=list, max_length=100,
        description="events to use at once for this answer (and publish like POST /events); user_id is implied",
    )


class RecommendResponse(BaseModel):
    user_id: str
    recommendations: list[str]
    generated_at: datetime
    model_version: str | None
    source: str = Field(description="model, or popular when there is no history to personalise from")
    fallback: str | None = Field(description="popular when a failure forced the popular list")
    degraded: str | None = Field(description="what failed: mongodb_unavailable or model_unavailable")
    published: int = Field(description="request events published to Kafka")
    publish_error: str | None = None


class RecommendedMovie(BaseModel):
    movie_id: str
    title: str | None
    score: float
    reason: str | None


class UserRecommendations(BaseModel):
    user_id: str
    items: list[RecommendedMovie]
    generated_at: datetime
    model_version: str | None
    source: str
    fallback: str | None
    degraded: str | None = Field(default=None, description="what failed: mongodb_unavailable or model_unavailable")


async def _publish_reporting_failure(publisher: Publisher, events: list[Event]) -> tuple[int, str | None]:
    if not events:
        return 0, None
    try:
        await publish_events(publisher, events)
    except ApiError as exc:
        return 0, exc.message
    return len(events), None


@router.post("/recommend", response_model=RecommendResponse, dependencies=[WriteAccess],
             summary="Recommend movies for a user, using events sent with the request at once",
             responses=ERROR_RESPONSES)
async def recommend(body: RecommendRequest, settings: Settings, publisher: Publisher,
                    service: Recommendations) -> RecommendResponse:
    received_at = utc_now()
    items = apply_envelope_user(body.user_id, body.user_events)
    events = [e.complete(received_at) for e in validate_events(items, settings.max_events_per_request)] if items else []
    # The answer does not wait on Kafka more than it must: ranking and publishing run side by side.
    result, (published, publish_error) = await asyncio.gather(
        service.recommend(body.user_id, body.k, events), _publish_reporting_failure(publisher, events)
    )
    return RecommendResponse(
        user_id=body.user_id, recommendations=[r.movie_id for r in result.items], generated_at=utc_now(),
        model_version=result.model_version, source=result.source, fallback=result.fallback,
        degraded=result.degraded, published=published, publish_error=publish_error,
    )


@router.get("/users/{user_id}/recommendations", response_model=UserRecommendations,
            summary="Recommendations with titles, scores and a reason for each")
async def user_recommendations(user_id: UserIdPath, service: Recommendations,
                               k: Annotated[int, Query(ge=1, le=100)] = 10, genre: Genre = None
                               ) -> UserRecommendations:
    result = await service.recommend(user_id, k, genre=genre, with_reasons=True)
    items = [
        RecommendedMovie(movie_id=r.movie_id, title=service.caches.title(r.movie_id), score=round(r.score, 6),
                         reason=r.reason)
        for r in result.items
    ]
    return UserRecommendations(user_id=user_id, items=items, generated_at=utc_now(),
                               model_version=result.model_version, source=result.source, fallback=result.fallback,
                               degraded=result.degraded)
