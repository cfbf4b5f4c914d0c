"""FastAPI dependencies: handlers receive what they need through these ``Annotated`` aliases.

Every provider is ``async def`` although none awaits: FastAPI runs a plain ``def`` dependency in a worker
thread, and five thread hops per request cost more than the rest of a cheap endpoint.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from movierecs.api.errors import Unauthorized
from movierecs.api.publisher import EventPublisher
from movierecs.api.state import ApiResources
from movierecs.serving.service import RecommendationService
from movierecs.settings import ApiSettings


async def get_resources(request: Request) -> ApiResources:
    return request.app.state.resources


async def get_settings(resources: Annotated[ApiResources, Depends(get_resources)]) -> ApiSettings:
    return resources.settings


async def get_publisher(resources: Annotated[ApiResources, Depends(get_resources)]) -> EventPublisher:
    return resources.publisher


async def get_recommendations(resources: Annotated[ApiResources, Depends(get_resources)]) -> RecommendationService:
    return resources.recommendations


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Required when keys are configured")


async def require_api_key(
    settings: Annotated[ApiSettings, Depends(get_settings)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> None:
    keys = settings.api_key_set()
    if not keys:
        return
    # Constant-time comparison against every configured key (rotation keeps two valid at once).
    # Compared as bytes: compare_digest refuses non-ASCII str, and a header may carry any bytes.
    given = api_key.encode() if api_key is not None else None
    if given is None or not any(hmac.compare_digest(given, key.encode()) for key in keys):
        raise Unauthorized("missing or invalid X-API-Key", headers={"WWW-Authenticate": "ApiKey"})


Resources = Annotated[ApiResources, Depends(get_resources)]
Settings = Annotated[ApiSettings, Depends(get_settings)]
Publisher = Annotated[EventPublisher, Depends(get_publisher)]
Recommendations = Annotated[RecommendationService, Depends(get_recommendations)]
WriteAccess = Depends(require_api_key)
