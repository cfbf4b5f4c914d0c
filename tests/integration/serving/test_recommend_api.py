"""The recommendation endpoints against a real TorchScript artifact, real mongod and the real broker."""

from __future__ import annotations

from datetime import datetime

import pytest

from movierecs.contract import Collections
from tests.integration.helpers import consume, values
from tests.integration.serving.conftest import profile_doc

pytestmark = pytest.mark.integration

BRIEF = {
    "user_id": "u123",
    "k": 5,
    "user_events": [
        {"movie_id": "m1", "action": "view", "timestamp": "2023-01-01T12:00:00"},
        {"movie_id": "m2", "action": "rate", "rating": 4.5, "timestamp": "2023-01-01T12:05:00"},
    ],
}


def test_brief_example_returns_k_unseen_movies_and_publishes_the_events(client, kafka_bootstrap, topic):
    response = client.post("/recommend", json=BRIEF)
    assert response.status_code == 200, response.text
    body = response.json()
    recommendations = body["recommendations"]
    assert len(recommendations) == 5 and len(set(recommendations)) == 5
    assert not {"m1", "m2"} & set(recommendations)
    assert all(m.startswith("m") for m in recommendations)
    datetime.fromisoformat(body["generated_at"])
    assert body["source"] == "model" and body["model_version"] and body["fallback"] is None
    assert body["published"] == 2
    published = values(consume(kafka_bootstrap, topic, expected=2))
    assert sorted(e["movie_id"] for e in published) == ["m1", "m2"]


def test_history_from_the_profile_is_used_and_excluded(client, serving_db):
    serving_db[Collections.USER_PROFILES].insert_one(
        profile_doc("u7", [("m50", "rate", 5.0), ("m172", "rate", 5.0), ("m181", "view", None)])
    )
    body = client.post("/recommend", json={"user_id": "u7", "k": 20}).json()
    assert body["source"] == "model"
    assert not {"m50", "m172", "m181"} & set(body["recommendations"])


def test_a_new_rating_changes_the_answer(client, serving_db):
    profiles = serving_db[Collections.USER_PROFILES]
    profiles.insert_one(profile_doc("u8", [("m1", "rate", 5.0), ("m71", "rate", 5.0)]))
    before = client.post("/recommend", json={"user_id": "u8", "k": 10}).json()["recommendations"]
    # What the streaming job does for new events: the profile grows; no retraining happens.
    profiles.replace_one({"_id": "u8"}, profile_doc("u8", [("m1", "rate", 5.0), ("m71", "rate", 5.0),
                                                          ("m183", "rate", 5.0), ("m176", "rate", 5.0),
                                                          ("m195", "rate", 5.0)]))
    after = client.post("/recommend", json={"user_id": "u8", "k": 10}).json()["recommendations"]
    assert before != after
    assert not {"m183", "m176", "m195"} & set(after)


def test_unknown_user_without_events_gets_the_popular_list(client):
    body = client.post("/recommend", json={"user_id": "nobody", "k": 3}).json()
    assert body["source"] == "popular" and body["fallback"] is None
    assert body["recommendations"] == ["m50", "m100", "m181"]


def test_unknown_movie_ids_in_history_are_ignored(client):
    events = [{"movie_id": "m999999", "action": "view"}, {"movie_id": "m1", "action": "rate", "rating": 5}]
    body = client.post("/recommend", json={"user_id": "u-odd", "k": 5, "user_events": events}).json()
    assert len(body["recommendations"]) == 5 and "m999999" not in body["recommendations"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"user_id": {"$gt": ""}}, 422),
        ({"user_id": "u1", "k": 0}, 422),
        ({"user_id": "u1", "k": 101}, 422),
        ({"user_id": "u1", "user_events": [{"movie_id": "m1", "action": "rate", "rating": 9}]}, 422),
        ({"user_id": "u1", "extra": True}, 422),
        ({}, 422),
    ],
)
def test_invalid_requests_are_4xx_with_an_error_body(client, payload, status):
    response = client.post("/recommend", json=payload)
    assert response.status_code == status
    assert set(response.json()["error"]) >= {"code", "message"}


def test_user_recommendations_have_titles_scores_and_reasons(client, serving_db):
    serving_db[Collections.USER_PROFILES].insert_one(profile_doc("u9", [("m1", "rate", 5.0), ("m50", "view", None)]))
    body = client.get("/users/u9/recommendations", params={"k": 5}).json()
    items = body["items"]
    assert len(items) == 5 and not {"m1", "m50"} & {i["movie_id"] for i in items}
    assert all(i["title"] for i in items)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert all(i["reason"] in ("because you rated Toy Story 5/5", "because you watched Star Wars") for i in items)


def test_genre_filter(client, serving_db, catalog):
    comedies = {m["_id"] for m in catalog if "Comedy" in m["genres"]}
    serving_db[Collections.USER_PROFILES].insert_one(profile_doc("u10", [("m1", "rate", 4.0)]))
    items = client.get("/users/u10/recommendations", params={"k": 8, "genre": "Comedy"}).json()["items"]
    assert len(items) == 8 and {i["movie_id"] for i in items} <= comedies


def test_movie_endpoints(client):
    movie = client.get("/movies/m50").json()
    assert movie["title"] == "Star Wars" and movie["stats"]["views"] == 100
    assert client.get("/movies/m0").status_code == 404
    similar = client.get("/movies/m1/similar", params={"k": 4}).json()
    assert len(similar["items"]) == 4 and "m1" not in {i["movie_id"] for i in similar["items"]}
    assert client.get("/movies/m999999/similar").status_code == 404
    assert [i["movie_id"] for i in client.get("/movies/popular", params={"window": "hour"}).json()["items"]] == ["m300"]
    week = client.get("/movies/popular", params={"window": "week"}).json()["items"]
    assert [i["movie_id"] for i in week] == ["m50", "m300"]
    assert client.get("/movies/popular", params={"window": "all", "k": 2}).json()["items"][0]["movie_id"] == "m50"
    assert client.get("/movies/popular", params={"window": "year"}).status_code == 422


def test_readiness_and_metrics_report_the_model(client):
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["checks"]["model"]
    client.post("/recommend", json={"user_id": "nobody", "k": 3})
    metrics = client.get("/metrics").text
    assert f'movierecs_api_model_info{{version="{ready["checks"]["model"]}"}} 1.0' in metrics
    assert 'movierecs_api_recommendations_total{source="popular"}' in metrics
    assert "movierecs_api_profile_lookup_seconds_count" in metrics
