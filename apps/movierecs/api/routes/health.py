"""Liveness, readiness and the Prometheus scrape endpoint."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
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
async def readyz(resources: Resources) -> JSONResponse:
    broker_ok, mongo_ok = await asyncio.gather(resources.publisher.is_ready(), mongo_ready(resources))
    model = resources.recommendations.holder.status()
    checks: dict[str, Any] = {
        "broker": "ok" if broker_ok else "unreachable",
        "mongodb": "ok" if mongo_ok else "unreachable",
        "model": model.version or "not_loaded",
    }
    if model.last_error:
        checks["model_last_error"] = model.last_error
    ready = broker_ok and mongo_ok and model.version is not None
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
