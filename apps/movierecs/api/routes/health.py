"""Liveness, readiness and the Prometheus scrape endpoint."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo.errors import PyMongoError

from movierecs.api.deps import Resources

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def mongo_ready(resources: Resources) -> bool:
    try:
        await asyncio.wait_for(resources.mongo.admin.command("ping"), 2.0)
        return True
    except (PyMongoError, TimeoutError):
        return False


@router.get("/readyz", summary="Readiness: broker and MongoDB reachable, a model loaded (503 names what is not)")
async def readyz(
    resources: Resources,
    scope: Annotated[Literal["all", "serving"], Query(
        description="all: every dependency must be up. serving: only a loaded model is required; dependencies "
                    "are reported but do not fail the check (the Kubernetes readiness probe uses this, so an "
                    "outage of Kafka or MongoDB leaves pods in the Service to serve their degraded answers)")] = "all",
) -> JSONResponse:
    broker_ok, mongo_ok = await asyncio.gather(resources.publisher.is_ready(), mongo_ready(resources))
    model = resources.recommendations.holder.status()
    checks: dict[str, Any] = {
        "broker": "ok" if broker_ok else "unreachable",
        "mongodb": "ok" if mongo_ok else "unreachable",
        "model": model.version or "not_loaded",
    }
    if model.last_error:
        checks["model_last_error"] = model.last_error
    ready = model.version is not None and (scope == "serving" or (broker_ok and mongo_ok))
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
