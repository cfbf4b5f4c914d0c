"""`movierecs load-movielens` against the real broker and mongod: catalog documents and contract events."""

from __future__ import annotations

import re

import pytest

from movierecs.cli import main
from movierecs.contract import Collections, parse_kafka_value
from movierecs.data.movielens import load_movielens
from tests.integration.helpers import consume

pytestmark = pytest.mark.integration
SLICE = 150


def test_catalog_and_a_slice_of_ratings_replayed_as_valid_events(trainer_env, kafka_bootstrap, topic,
                                                                   mongo_client, mongo_db_name, capsys):
    assert main(["load-movielens", "--limit", str(SLICE), "--batch-size", "40", "--no-progress"]) == 0
    assert f"events: {SLICE} ratings published to {topic}" in capsys.readouterr().out

    movies = mongo_client[mongo_db_name][Collections.MOVIES]
    assert movies.count_documents({}) == 1682
    assert movies.find_one({"_id": "m50"}) == {"_id": "m50", "title": "Star Wars", "year": 1977,
                                               "genres": ["Action", "Adventure", "Romance", "Sci-Fi", "War"]}

    records = consume(kafka_bootstrap, topic, SLICE)
    assert len(records) == SLICE
    events = [parse_kafka_value(r.value) for r in records]  # raises if any record breaks the contract
    assert all(r.key == e.user_id.encode() for r, e in zip(records, events, strict=True))
    assert all(re.fullmatch(r"ml-u\d+-m\d+-\d+", e.event_id) for e in events)
    assert all(e.action == "rate" and e.rating is not None for e in events)
    oldest = load_movielens().ratings.sort_values("timestamp", kind="mergesort").head(SLICE)
    expected_ids = {f"ml-{u}-{m}-{t}" for u, m, t in zip(oldest.user_id, oldest.movie_id, oldest.timestamp,
                                                          strict=True)}
    assert {e.event_id for e in events} == expected_ids

    # A re-run publishes the same event ids (the streaming job deduplicates them) and upserts the catalog.
    assert main(["load-movielens", "--limit", str(SLICE), "--no-progress"]) == 0
    again = [parse_kafka_value(r.value) for r in consume(kafka_bootstrap, topic, 2 * SLICE)]
    assert len(again) == 2 * SLICE and {e.event_id for e in again} == expected_ids
    assert movies.count_documents({}) == 1682
