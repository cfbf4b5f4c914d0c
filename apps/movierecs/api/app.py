"""The FastAPI application factory. ``uvicorn movierecs.api.app:create_app --factory``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from movierecs import __version__
from movierecs.api.body_limit import BodySizeLimitMiddleware
from movierecs.api.errors import install_error_handlers
from movierecs.api.metrics import RequestObservabilityMiddleware
from movierecs.api.openapi import add_component_schemas
from movierecs.api.routes import events, health, movies, recommendations
from movierecs.api.state import ApiResources
from movierecs.settings import ApiSettings, api_settings

logger = logging.getLogger(__name__)

DESCRIPTION = """
Real-time movie recommendations. Events (views and ratings) are published to Kafka; a Spark Structured Streaming
job keeps user profiles and movie statistics in MongoDB; a PyTorch model ranks movies from each user's live history.
Errors are `{"error": {"code", "message", "details"?}}`.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or api_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = ApiResources.open(settings)
        app.state.resources = resources
        await resources.start()
        logger.info("api started", extra={"kafka": settings.kafka_bootstrap_servers, "topic": settings.events_topic})
        try:
            yield
        finally:
            await resources.close()

    app = FastAPI(title="movie-recs", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)  # every route, not only /events
    app.add_middleware(RequestObservabilityMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(events.router)
    app.include_router(recommendations.router)
    app.include_router(movies.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            app.openapi_schema = add_component_schemas(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
