"""What the API process holds for its lifetime, opened and closed by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import AsyncMongoClient

from movierecs.api.publisher import EventPublisher
from movierecs.settings import ApiSettings


@dataclass
class ApiResources:
    settings: ApiSettings
    mongo: AsyncMongoClient
    publisher: EventPublisher

    @property
    def db(self):
        return self.mongo[self.settings.mongo_db]

    @classmethod
    def open(cls, settings: ApiSettings) -> ApiResources:
        # Short timeouts: a request must fail fast (and fall back) rather than hang when mongod is down.
        mongo: AsyncMongoClient = AsyncMongoClient(
            settings.mongo_uri, serverSelectionTimeoutMS=1500, connectTimeoutMS=1500, socketTimeoutMS=5000,
            tz_aware=True,
        )
        return cls(settings=settings, mongo=mongo, publisher=EventPublisher(settings))

    async def close(self) -> None:
        await self.publisher.close()
        await self.mongo.close()
