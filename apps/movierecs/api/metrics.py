"""Prometheus metrics of the API (process-global, as prometheus-client intends) and the timing middleware."""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_SECONDS = Histogram(
    "movierecs_api_request_seconds",
    "HTTP request latency by route template, method and status",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "movierecs_api_events_published_total", "Events the API published to Kafka, by result", ["result"]
)
RECOMMENDATIONS = Counter(
    "movierecs_api_recommendations_total", "Recommendation responses by source", ["source"]
)
MODEL_INFO = Gauge("movierecs_api_model_info", "The model version being served (value 1)", ["version"])
MODEL_CREATED = Gauge(
    "movierecs_api_model_created_timestamp_seconds", "Creation time of the model being served (Unix seconds)"
)
MODEL_LOAD_FAILURES = Counter(
    "movierecs_api_model_load_failures_total", "Model versions that failed to load or validate"
)
logger = logging.getLogger("movierecs.api.access")

PROFILE_LOOKUP_SECONDS = Histogram(
    "movierecs_api_profile_lookup_seconds", "Latency of reading a user profile from MongoDB",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)


class RequestObservabilityMiddleware:
    """One log line and one latency observation per request, labelled by route *template* (bounded values)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            elapsed = time.perf_counter() - start
            REQUEST_SECONDS.labels(template, scope["method"], str(status)).observe(elapsed)
            logger.info(
                "request",
                extra={"method": scope["method"], "route": template, "status": status,
                       "duration_ms": round(elapsed * 1000, 2)},
            )
