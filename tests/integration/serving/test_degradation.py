"""Keep answering when MongoDB or the broker is down."""

from __future__ import annotations

import pymongo
import pytest
from fastapi.testclient import TestClient

from movierecs.api.app import create_app
from movierecs.contract import Collections
from movierecs.stack.servers import MongoServer
from tests.integration.helpers import free_port
from tests.integration.serving.conftest import api_settings, profile_doc

pytestmark = pytest.mark.integration


def test_mongod_down_falls_back_to_cached_popular_list(kafka_bootstrap, model_dir, tmp_path, topic, catalog):
    mongo = MongoServer(tmp_path / "mongo", port=free_port())
    mongo.start()
    try:
        with pymongo.MongoClient(mongo.uri) as direct:
            db = direct["movierecs"]
            db[Collections.MOVIES].insert_many(catalog[:300])
            db[Collections.MOVIE_STATS].insert_many([{"_id": "m258", "views": 9}, {"_id": "m7", "views": 5}])
            db[Collections.USER_PROFILES].insert_one(profile_doc("u1", [("m1", "rate", 5.0)]))
        settings = api_settings(kafka_bootstrap, mongo.uri, "movierecs", model_dir, topic)
        with TestClient(create_app(settings)) as client:
            assert client.post("/recommend", json={"user_id": "u1", "k": 2}).json()["source"] == "model"
            mongo.stop()

            body = client.post("/recommend", json={"user_id": "u1", "k": 2}).json()
            assert body["fallback"] == "popular" and body["degraded"] == "mongodb_unavailable"
            assert body["recommendations"] == ["m258", "m7"]

            # Events in the request still personalise, even without the stored profile.
            with_events = client.post("/recommend", json={
                "user_id": "u1", "k": 3, "user_events": [{"movie_id": "m1", "action": "rate", "rating": 5}]}).json()
            assert with_events["source"] == "model" and with_events["degraded"] == "mongodb_unavailable"
            assert "m1" not in with_events["recommendations"]

            user = client.get("/users/u1/recommendations", params={"k": 2})
            assert user.status_code == 200 and user.json()["fallback"] == "popular"
            assert user.json()["degraded"] == "mongodb_unavailable"
            popular = client.get("/movies/popular").json()
            assert popular["fallback"] == "cached_all_time" and popular["items"][0]["movie_id"] == "m258"
            assert client.get("/movies/m1").status_code == 200  # cached catalog entry, no statistics
            unreadable = client.get("/movies/m1500")  # not in the cached catalog: unknown or unreadable?
            assert unreadable.status_code == 503 and unreadable.json()["error"]["code"] == "service_unavailable"

            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["mongodb"] == "unreachable"
            # The Kubernetes probe's scope: this pod can still serve (degraded), so it stays in the Service.
            serving = client.get("/readyz", params={"scope": "serving"})
            assert serving.status_code == 200 and serving.json()["checks"]["mongodb"] == "unreachable"
            assert 'movierecs_api_recommendations_total{source="fallback"}' in client.get("/metrics").text
    finally:
        mongo.stop()


def test_broker_down_recommend_still_answers_and_reports_publishing(mongo_uri, serving_db, model_dir):
    settings = api_settings(f"127.0.0.1:{free_port()}", mongo_uri, serving_db.name, model_dir, "t.none",
                            publish_timeout_s=1.0)
    with TestClient(create_app(settings)) as client:
        body = client.post("/recommend", json={
            "user_id": "u1", "k": 4, "user_events": [{"movie_id": "m1", "action": "rate", "rating": 5}]}).json()
        assert body["source"] == "model" and len(body["recommendations"]) == 4 and "m1" not in body["recommendations"]
        assert body["published"] == 0 and "Kafka" in body["publish_error"]
        assert 'movierecs_api_events_published_total{result="error"}' in client.get("/metrics").text
