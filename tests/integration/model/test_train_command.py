"""`movierecs train` reading interactions from MongoDB `events` (the streaming job's shape) and publishing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from movierecs.cli import main
from movierecs.contract import Collections
from movierecs.data.events_source import read_interactions
from movierecs.data.movielens import load_movielens
from movierecs.model.artifact import current_version_path, load_model

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:`torch.jit.:DeprecationWarning")]
USERS = 80


def _event_docs() -> list[dict]:
    ratings = load_movielens().ratings
    ratings = ratings[ratings["user_id"].isin(sorted(ratings["user_id"].unique())[:USERS])]
    docs = []
    for u, m, r, t in zip(ratings.user_id, ratings.movie_id, ratings.rating, ratings.timestamp, strict=True):
        docs.append({"_id": f"ml-{u}-{m}-{t}", "user_id": u, "movie_id": m, "action": "rate", "rating": float(r),
                     "timestamp": datetime.fromtimestamp(int(t), UTC),
                     "source": {"topic": "t", "partition": 0, "offset": len(docs)}, "ingested_at": datetime.now(UTC)})
    docs.append({"_id": "view-1", "user_id": "u123", "movie_id": "m50", "action": "view", "rating": None,
                 "timestamp": datetime(2023, 1, 1, tzinfo=UTC), "source": {}, "ingested_at": datetime.now(UTC)})
    return docs


def test_train_from_mongodb_events_publishes_a_loadable_version(trainer_env, mongo_client, mongo_db_name, capsys):
    docs = _event_docs()
    mongo_client[mongo_db_name][Collections.EVENTS].insert_many(docs)
    frame = read_interactions(mongo_client[mongo_db_name])
    assert len(frame) == len(docs) and frame["rating"].isna().sum() == 1

    assert main(["train", "--max-epochs", "2", "--no-progress"]) == 0
    version = current_version_path(trainer_env)
    assert version is not None and f"published {version.name}" in capsys.readouterr().out
    model = load_model(trainer_env)
    assert model.metadata["data"]["source"] == "mongodb"
    assert model.metadata["data"]["interactions"] == len(docs)
    assert model.metadata["hyperparameters"]["max_epochs"] == 2
    assert {"val_ndcg_at_10", "validation"} <= set(model.metadata["metrics"])
    picks = model.recommend([("m50", "rate", 5.0, None), ("m181", "view", None, None)], k=10)
    assert len(picks) == 10 and {"m50", "m181"}.isdisjoint(m for m, _ in picks)


def test_train_without_events_says_what_to_do(trainer_env, capsys):
    assert main(["train", "--no-progress"]) == 2
    assert "load-movielens" in capsys.readouterr().err
    assert current_version_path(trainer_env) is None


def test_too_few_interactions_is_a_clear_error(trainer_env, mongo_client, mongo_db_name, capsys):
    mongo_client[mongo_db_name][Collections.EVENTS].insert_one(
        {"_id": "e1", "user_id": "u1", "movie_id": "m1", "action": "view", "rating": None,
         "timestamp": datetime(2023, 1, 1, tzinfo=UTC)})
    assert main(["train", "--no-progress"]) == 2
    assert "at least two distinct movies" in capsys.readouterr().err
