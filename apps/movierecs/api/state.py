"""What the API process holds for its lifetime, opened and closed by the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient

from movierecs.api.publisher import EventPublisher
from movierecs.serving.caches import ServingCaches
from movierecs.serving.catalog import ProfileRepository
from movierecs.serving.model_holder import ModelHolder
from movierecs.serving.service import RecommendationService
from movierecs.settings import ApiSettings

CACHE_REFRESH_INTERVAL_S = 30.0


@dataclass
class ApiResources:
    settings: ApiSettings
    mongo: AsyncMongoClient
    publisher: EventPublisher
    recommendations: RecommendationService
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def db(self) -> Any:
        return self.mongo[self.settings.mongo_db]

    @classmethod
    def open(cls, settings: ApiSettings) -> ApiResources:
        # Short timeouts: a request must fail fast (and fall back) rather than hang when mongod is down.
        mongo: AsyncMongoClient = AsyncMongoClient(
            settings.mongo_uri, serverSelectionTimeoutMS=1500, connectTimeoutMS=1500, socketTimeoutMS=5000,
            tz_aware=True,
        )
        db = mongo[settings.mongo_db]
        service = RecommendationService(ModelHolder(settings.model_dir), ServingCaches.for_db(db),
                                        ProfileRepository(db))
        return cls(settings=settings, mongo=mongo, publisher=EventPublisher(settings), recommendations=service)

    async def start(self) -> None:
        """Connect what can be connected now; what cannot is retried in the background, never fatal."""
        await asyncio.gather(self.publisher.start(), self.recommendations.caches.refresh(),
                             asyncio.to_thread(self.recommendations.holder.refresh))
        self._tasks = [
            asyncio.create_task(self.recommendations.holder.poll_forever(self.settings.model_poll_interval_s)),
            asyncio.create_task(self.recommendations.caches.refresh_forever(CACHE_REFRESH_INTERVAL_S)),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.publisher.close()
        await self.mongo.close()
