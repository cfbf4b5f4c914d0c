"""The whole loop: API -> Kafka -> Spark Structured Streaming -> MongoDB -> API recommendations (no mocks)."""

from __future__ import annotations

import time

import pymongo
import pytest
from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient

from movierecs.api.app import create_app
from movierecs.contract import Collections
from movierecs_streaming.job import StreamingJob
from movierecs_streaming.settings import StreamingSettings
from tests.integration.serving.conftest import api_settings
from tests.spark_fixtures import spark  # noqa: F401  (the shared session fixture)

pytestmark = [pytest.mark.integration, pytest.mark.spark]

BRIEF = {
    "user_id": "u123",
    "user_events": [
        {"movie_id": "m1", "action": "view", "timestamp": "2023-01-01T12:00:00"},
        {"movie_id": "m2", "action": "rate", "rating": 4.5, "timestamp": "2023-01-01T12:05:00"},
    ],
}


def wait_for_doc(collection: pymongo.collection.Collection, query: dict, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        doc = collection.find_one(query)
        if doc is not None:
            return doc
        time.sleep(0.2)
    raise AssertionError(f"no document matching {query} in {collection.name} within {timeout_s}s")


def produce_raw(bootstrap: str, topic: str, value: bytes) -> None:
    import asyncio

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=b"u123")
        finally:
            await producer.stop()

    asyncio.run(send())


def test_brief_events_flow_through_the_pipeline_into_recommendations(
    spark,  # noqa: F811
    kafka_bootstrap, mongo_uri, mongo_client, serving_db, model_dir, topic, tmp_path,
):
    streaming = StreamingSettings(
        kafka_bootstrap_servers=kafka_bootstrap, events_topic=topic, mongo_uri=mongo_uri, mongo_db=serving_db.name,
        checkpoint_location=tmp_path / "checkpoint", trigger_interval="200 milliseconds", source="python",
        query_name=f"e2e_{serving_db.name}",
    )
    job = StreamingJob(streaming, spark=spark)
    job.start()
    try:
        with TestClient(create_app(api_settings(kafka_bootstrap, mongo_uri, serving_db.name, model_dir,
                                                topic))) as client:
            assert client.post("/events", json=BRIEF).status_code == 202
            produce_raw(kafka_bootstrap, topic, b'{"user_id": {"$gt": ""}, "movie_id": "m3", "action": "view"}')

            profiles = serving_db[Collections.USER_PROFILES]
            profile = wait_for_doc(profiles, {"_id": "u123", "seen": {"$all": ["m1", "m2"]}})
            assert profile["ratings"]["m2"]["rating"] == 4.5
            stats = wait_for_doc(serving_db[Collections.MOVIE_STATS], {"_id": "m2", "ratings_count": 1})
            assert stats["rating_sum"] == 4.5
            dead = wait_for_doc(serving_db[Collections.DEAD_LETTERS], {"topic": topic})
            assert "user_id" in dead["reason"] and '"$gt"' in dead["raw"]

            # No events in this request: the answer comes from the profile the streaming job wrote.
            body = client.post("/recommend", json={"user_id": "u123", "k": 5}).json()
            assert body["source"] == "model" and len(body["recommendations"]) == 5
            assert not {"m1", "m2"} & set(body["recommendations"])
    finally:
        job.stop()
