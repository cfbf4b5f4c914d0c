"""The model being served, and its hot reload from the model directory's ``current`` pointer.

A poller notices a newly published version, loads and validates it in a worker thread, then swaps one reference:
requests in flight keep the model object they started with, so a swap never fails a request. A version that fails
validation is counted and remembered (not retried every poll); the previous model keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from movierecs.api.metrics import MODEL_CREATED, MODEL_INFO, MODEL_LOAD_FAILURES
from movierecs.model.artifact import ArtifactError, LoadedModel, current_version_path, load_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelStatus:
    version: str | None
    loaded_at: datetime | None
    last_error: str | None


class ModelHolder:
    def __init__(self, model_dir: Path) -> None:
        self._model_dir = model_dir
        self._model: LoadedModel | None = None
        self._loaded_path: Path | None = None
        self._failed_path: Path | None = None
        self._last_error: str | None = None
        self._loaded_at: datetime | None = None

    @property
    def model(self) -> LoadedModel | None:
        return self._model

    def status(self) -> ModelStatus:
        return ModelStatus(self._model.version if self._model else None, self._loaded_at, self._last_error)

    def refresh(self) -> bool:
        """Load the current version if it is new. Blocking: call from a worker thread. True if a swap happened."""
        target = current_version_path(self._model_dir)
        if target is None or target in (self._loaded_path, self._failed_path):
            return False
        try:
            model = load_model(target)
        except ArtifactError as exc:
            self._failed_path, self._last_error = target, str(exc)
            MODEL_LOAD_FAILURES.inc()
            logger.error("model version rejected; keeping the previous one",
                         extra={"path": str(target), "error": str(exc)})
            return False
        previous = self._model
        self._model, self._loaded_path, self._last_error = model, target, None
        self._loaded_at = datetime.now().astimezone()
        if previous is not None:
            MODEL_INFO.remove(previous.version)
        MODEL_INFO.labels(model.version).set(1)
        MODEL_CREATED.set(_created_timestamp(model.metadata))
        logger.info("model loaded", extra={"version": model.version, "path": str(target)})
        return True

    async def poll_forever(self, interval_s: float) -> None:
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:
                MODEL_LOAD_FAILURES.inc()
                logger.exception("model refresh failed")
            await asyncio.sleep(interval_s)


def _created_timestamp(metadata: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(metadata["created_at"])).timestamp()
    except (KeyError, ValueError):
        return 0.0
