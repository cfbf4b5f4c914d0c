"""POST /events against the real broker: what is accepted is on the topic; what is rejected publishes nothing."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from movierecs.api.app import create_app
from movierecs.settings import ApiSettings
from movierecs.stack.servers import BrokerServer
from tests.integration.helpers import consume, free_port, values

pytestmark = pytest.mark.integration

BRIEF = {
    "user_id": "u123",
    "user_events": [
        {"movie_id": "m1", "action": "view", "timestamp": "2023-01-01T12:00:00"},
        {"movie_id": "m2", "action": "rate", "rating": 4.5, "timestamp": "2023-01-01T12:05:00"},
    ],
}


def make_client(kafka_bootstrap: str, mongo_uri: str, topic: str, **overrides) -> TestClient:
    overrides.setdefault("model_dir", Path(tempfile.mkdtemp(prefix="no-models-")))
    settings = ApiSettings(kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri, events_topic=topic,
                           **overrides)
    return TestClient(create_app(settings))


@pytest.fixture
def client(kafka_bootstrap, mongo_uri, topic):
    with make_client(kafka_bootstrap, mongo_uri, topic) as test_client:
        yield test_client


def test_brief_payload_is_accepted_and_both_events_are_on_the_topic(client, kafka_bootstrap, topic):
    response = client.post("/events", json=BRIEF)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["topic"] == topic

    records = consume(kafka_bootstrap, topic, expected=2)
    assert {r.key for r in records} == {b"u123"}
    assert len({r.partition for r in records}) == 1, "one user's events share a partition (ordering)"
    published = sorted(values(records), key=lambda v: v["timestamp"])
    assert [v["event_id"] for v in published] == body["event_ids"]
    assert published[0] | {"event_id": None} == {
        "event_id": None, "user_id": "u123", "movie_id": "m1", "action": "view", "rating": None,
        "timestamp": "2023-01-01T12:00:00Z",
    }
    assert published[1]["rating"] == 4.5 and published[1]["action"] == "rate"


def test_client_event_id_is_kept(client, kafka_bootstrap, topic):
    event = {"event_id": "client-42", "user_id": "u9", "movie_id": "m3", "action": "view"}
    assert client.post("/events", json=event).json()["event_ids"] == ["client-42"]
    assert values(consume(kafka_bootstrap, topic, expected=1))[0]["event_id"] == "client-42"


def test_invalid_batch_is_rejected_whole_and_publishes_nothing(client, kafka_bootstrap, topic):
    bad = {"user_id": "u123", "user_events": [BRIEF["user_events"][0], {"movie_id": {"$gt": ""}, "action": "view"}]}
    response = client.post("/events", json=bad)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert error["details"][0]["index"] == 1 and error["details"][0]["loc"] == ["movie_id"]
    # A valid marker sent afterwards is the only record on the topic.
    client.post("/events", json={"user_id": "marker", "movie_id": "m1", "action": "view"})
    assert [v["user_id"] for v in values(consume(kafka_bootstrap, topic, expected=2, timeout_s=3))] == ["marker"]


def test_oversized_body_and_batch_are_413(kafka_bootstrap, mongo_uri, topic):
    with make_client(kafka_bootstrap, mongo_uri, topic, max_request_bytes=500, max_events_per_request=3) as client:
        big = {"user_id": "u1", "user_events": [{"movie_id": f"m{i}", "action": "view"} for i in range(40)]}
        assert client.post("/events", json=big).status_code == 413
        many = [{"user_id": "u1", "movie_id": "m1", "action": "view"}] * 4
        response = client.post("/events", json=many)
        assert response.status_code == 413 and "too many events" in response.json()["error"]["message"]


def test_every_route_caps_the_body_and_rejects_what_it_cannot_parse(kafka_bootstrap, mongo_uri, topic):
    with make_client(kafka_bootstrap, mongo_uri, topic, max_request_bytes=500) as client:
        declared = client.post("/recommend", json={"user_id": "u1", "user_events": [{"movie_id": "m1"}] * 50})
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "payload_too_large"

        def chunks():  # streamed, no Content-Length: counted as it arrives
            yield from (b" " * 200 for _ in range(5))

        for path in ("/events", "/recommend"):
            streamed = client.post(path, content=chunks(), headers={"content-type": "application/json"})
            assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large", path
    with make_client(kafka_bootstrap, mongo_uri, topic) as client:
        nested = b"[" * 100_000 + b"]" * 100_000  # 200 kB, under the cap, deeper than Python's recursion limit
        for path in ("/events", "/recommend"):
            response = client.post(path, content=nested, headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500 and "error" in response.json(), (path, response.text)


def test_api_keys_guard_writes_when_configured(kafka_bootstrap, mongo_uri, topic):
    with make_client(kafka_bootstrap, mongo_uri, topic, api_keys="k1, k2") as client:
        event = {"user_id": "u1", "movie_id": "m1", "action": "view"}
        assert client.post("/events", json=event).status_code == 401
        assert client.post("/events", json=event, headers={"X-API-Key": "nope"}).status_code == 401
        assert client.post("/events", json=event, headers={"X-API-Key": "clé".encode()}).status_code == 401
        assert client.post("/events", json=event, headers={"X-API-Key": "k2"}).status_code == 202
        assert client.post("/recommend", json={"user_id": "u1"}).status_code == 401
        assert client.post("/recommend", json={"user_id": "u1"}, headers={"X-API-Key": "k1"}).status_code == 200
        assert client.get("/healthz").status_code == 200


def test_health_readiness_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    # Broker and MongoDB are fine; with no model published in this test's model dir the API is not ready yet.
    assert ready.json()["checks"] == {"broker": "ok", "mongodb": "ok", "model": "not_loaded"}
    assert ready.status_code == 503
    client.post("/events", json={"user_id": "u1", "movie_id": "m1", "action": "view"})
    metrics = client.get("/metrics").text
    assert 'movierecs_api_request_seconds_count{method="POST",route="/events",status="202"}' in metrics
    assert 'movierecs_api_events_published_total{result="ok"}' in metrics


def test_openapi_documents_the_brief_example(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["brief"]["value"] == BRIEF


def test_broker_down_gives_503_within_bounded_time_and_readyz_names_it(mongo_uri, tmp_path):
    broker = BrokerServer(tmp_path, port=free_port())
    broker.start()
    try:
        with make_client(broker.address, mongo_uri, "t.down", publish_timeout_s=2.0) as client:
            event = {"user_id": "u1", "movie_id": "m1", "action": "view"}
            assert client.post("/events", json=event).status_code == 202
            broker.stop()
            started = time.monotonic()
            response = client.post("/events", json=event)
            elapsed = time.monotonic() - started
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"] == "broker_unavailable" and len(error["details"]["event_ids"]) == 1
            assert elapsed < 10, f"503 took {elapsed:.1f}s"
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["broker"] == "unreachable"
    finally:
        broker.stop()


def test_broker_down_at_start_still_serves_health(mongo_uri):
    with make_client(f"127.0.0.1:{free_port()}", mongo_uri, "t.none", publish_timeout_s=1.0) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/events", json={"user_id": "u1", "movie_id": "m1", "action": "view"}).status_code == 503
