"""Fixtures of the streaming integration tests: the shared SparkSession and a factory of jobs under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pymongo
import pytest
from bson.codec_options import CodecOptions
from pyspark.sql import SparkSession

from movierecs_streaming.job import StreamingJob
from movierecs_streaming.settings import StreamingSettings
from tests.spark_fixtures import spark  # noqa: F401  (the shared session fixture)

JobFactory = Callable[..., StreamingJob]


@pytest.fixture
def make_job(
    spark: SparkSession,  # noqa: F811  (the imported fixture)
    kafka_bootstrap: str,
    mongo_uri: str,
    mongo_db_name: str,
    topic: str,
    tmp_path: Path,
) -> Iterator[JobFactory]:
    jobs: list[StreamingJob] = []

    def factory(**overrides: object) -> StreamingJob:
        settings = StreamingSettings(
            kafka_bootstrap_servers=kafka_bootstrap,
            events_topic=topic,
            mongo_uri=mongo_uri,
            mongo_db=mongo_db_name,
            checkpoint_location=tmp_path / "checkpoint",
            starting_offsets="earliest",
            trigger_interval="200 milliseconds",
            query_name=f"test_{mongo_db_name}",
            **overrides.pop("settings", {}),  # type: ignore[arg-type]
        )
        job = StreamingJob(settings, spark=spark, **overrides)  # type: ignore[arg-type]
        jobs.append(job)
        return job

    yield factory
    for job in jobs:
        job.stop(grace_s=0)


def database(client: pymongo.MongoClient, name: str) -> pymongo.database.Database:
    """The test database with timezone-aware datetimes (the shared client returns naive UTC)."""
    return client.get_database(name, codec_options=CodecOptions(tz_aware=True))


def count(db: pymongo.database.Database, collection: str) -> int:
    return db[collection].count_documents({})


