"""A real published TorchScript artifact and a MongoDB database holding the catalog and user profiles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
import pytest
from fastapi.testclient import TestClient

from movierecs.api.app import create_app
from movierecs.contract import Collections
from movierecs.settings import ApiSettings

TRAIN_SLICE_USERS = 300


def train_and_publish(model_dir: Path, seed: int = 42, epochs: int = 2) -> Path:
    """A small but real model: the first users of MovieLens-100K, a few epochs, exported and published."""
    from movierecs.data.movielens import load_movielens
    from movierecs.model.artifact import publish_model
    from movierecs.model.training import TrainConfig, train_model

    ratings = load_movielens().ratings
    users = sorted(ratings["user_id"].unique())[:TRAIN_SLICE_USERS]
    config = TrainConfig(dim=32, hidden=64, heads=2, max_epochs=epochs, patience=epochs, seed=seed,
                         time_budget_s=30, item_item_max=300)
    result = train_model(ratings[ratings["user_id"].isin(users)], config, progress=False)
    return publish_model(model_dir, result.model, result.vocab, max_history=config.max_len)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models")
    train_and_publish(directory)
    return directory


@pytest.fixture(scope="session")
def catalog() -> list[dict[str, Any]]:
    from movierecs.data.movielens import load_movielens

    movies = load_movielens().movies
    return [{"_id": r.movie_id, "title": r.title, "year": r.year, "genres": list(r.genres)}
            for r in movies.itertuples()]


def profile_doc(user_id: str, events: list[tuple[str, str, float | None]]) -> dict[str, Any]:
    """A ``user_profiles`` document in the shape the streaming job writes (docs/data-model.md)."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    recent = [
        {"event_id": f"{user_id}-{i}", "movie_id": movie, "action": action, "rating": rating,
         "timestamp": start + timedelta(minutes=i)}
        for i, (movie, action, rating) in enumerate(events)
    ]
    return {
        "_id": user_id,
        "recent": recent,
        "ratings": {r["movie_id"]: {"rating": r["rating"], "timestamp": r["timestamp"], "event_id": r["event_id"]}
                    for r in recent if r["rating"] is not None},
        "seen": sorted({r["movie_id"] for r in recent}),
        "counts": {"view": sum(r["action"] == "view" for r in recent),
                   "rate": sum(r["action"] == "rate" for r in recent)},
        "last_event_at": recent[-1]["timestamp"] if recent else None,
    }


@pytest.fixture
def serving_db(mongo_client: pymongo.MongoClient, mongo_db_name: str, catalog) -> Any:
    db = mongo_client[mongo_db_name]
    db[Collections.MOVIES].insert_many(catalog)
    # Movie statistics for the popular list: m50 (Star Wars) most active, then m100, m181 …
    db[Collections.MOVIE_STATS].insert_many(
        [{"_id": movie, "views": 100 - 10 * i, "ratings_count": 0, "rating_sum": 0.0, "rating_mean": 0.0}
         for i, movie in enumerate(["m50", "m100", "m181", "m258", "m1"])]
    )
    hour = datetime(2023, 1, 1, 12, tzinfo=UTC)
    db[Collections.MOVIE_ACTIVITY].insert_many([
        {"_id": f"m300|{hour:%Y-%m-%dT%H}", "movie_id": "m300", "hour": hour, "views": 7, "ratings": 0, "events": 7},
        {"_id": f"m50|{hour - timedelta(days=3):%Y-%m-%dT%H}", "movie_id": "m50",
         "hour": hour - timedelta(days=3), "views": 50, "ratings": 0, "events": 50},
    ])
    return db


def api_settings(kafka_bootstrap: str, mongo_uri: str, db_name: str, model_dir: Path, topic: str,
                 **overrides: Any) -> ApiSettings:
    return ApiSettings(kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri, mongo_db=db_name,
                       model_dir=model_dir, events_topic=topic, model_poll_interval_s=0.2, **overrides)


@pytest.fixture
def client(kafka_bootstrap, mongo_uri, serving_db, model_dir, topic) -> Iterator[TestClient]:
    settings = api_settings(kafka_bootstrap, mongo_uri, serving_db.name, model_dir, topic)
    with TestClient(create_app(settings)) as test_client:
        yield test_client
