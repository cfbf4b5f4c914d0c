"""The streaming job end to end: real broker, real mongod, the session's SparkSession."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pymongo
import pytest

from movierecs.contract import PROFILE_RECENT_LIMIT, Collections
from movierecs_streaming.metrics import StreamingMetrics
from movierecs_streaming.transforms import Reason

from .conftest import JobFactory, count, database
from .helpers import event, minutes, produce, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.spark]

def test_valid_invalid_duplicate_and_out_of_order_events(
    make_job: JobFactory, kafka_bootstrap: str, topic: str, mongo_client: pymongo.MongoClient, mongo_db_name: str
) -> None:
    db = database(mongo_client, mongo_db_name)
    metrics = StreamingMetrics()
    port = metrics.serve(0, address="127.0.0.1")
    job = make_job(metrics=metrics)
    job.start()

    # Phase 1: valid events (one repeated in the same batch), newest first for u1/m1, and every kind of bad record.
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    valid = [
        event("e1", "u1", "m1", rating=2.0, at=minutes(10)),
        event("e2", "u1", "m1", rating=4.0, at=minutes(5)),  # older: must not replace the rating of e1
        event("e3", "u1", "m2", at=minutes(7)),
        event("e4", "u2", "m1", rating=3.5, at=minutes(1)),
        event("e1", "u1", "m1", rating=2.0, at=minutes(10)),  # same event_id in the same batch
    ]
    invalid = {
        "{not json": "{not json",
        '["an", "array"]': '["an", "array"]',
        "x1": {**event("x1", "u9", "m9"), "action": "click"},
        "x2": {**event("x2", "u9", "m9"), "user_id": None},
        "x3": event("x3", "u9", "m9", rating=7.0),
        "x4": event("x4", "u9", "m9", rating=3.25),
        "x5": {**event("x5", "u9", "m9"), "rating": 3.0},
        "x6": {**event("x6", "u9", "m9"), "movie_id": {"$gt": ""}},
        "x7": {**event("x7", "u9", "m9"), "timestamp": future},
        "x8": {**event("x8", "u9", "m9"), "event_id": 42},
        "x9": {**event("e3", "u9", "m9"), "action": "click"},  # a bad record reusing a valid event_id
    }
    expected_reasons = {
        "{not json": Reason.INVALID_JSON,
        '["an", "array"]': Reason.NOT_AN_OBJECT,
        "x1": Reason.UNKNOWN_ACTION,
        "x2": f"{Reason.MISSING_FIELD}:user_id",
        "x3": Reason.RATING_OUT_OF_RANGE,
        "x4": Reason.RATING_NOT_IN_STEPS,
        "x5": Reason.RATING_NOT_ALLOWED,
        "x6": f"{Reason.WRONG_TYPE}:movie_id",
        "x7": Reason.TIMESTAMP_IN_FUTURE,
        "x8": f"{Reason.WRONG_TYPE}:event_id",
        "x9": Reason.UNKNOWN_ACTION,
    }
    bad_values = list(invalid.values())
    produce(kafka_bootstrap, topic, valid[:2] + bad_values + valid[2:])
    wait_for(lambda: count(db, Collections.EVENTS) == 4 and count(db, Collections.DEAD_LETTERS) == len(invalid),
             what="phase 1 events and dead letters")

    dead = {d["raw"]: d for d in db[Collections.DEAD_LETTERS].find()}
    for key, reason in expected_reasons.items():
        value = invalid[key]
        raw = value if isinstance(value, str) else json.dumps(value)  # stored exactly as sent
        document = dead[raw]
        assert reason in document["reason"].split("; "), (key, document["reason"])
        assert document["_id"] == f"{topic}|{document['partition']}|{document['offset']}"
        assert document["topic"] == topic and document["dead_lettered_at"] and "kafka_timestamp" in document

    # Phase 2, a later batch: an already stored event_id again, and older/newer events out of order.
    produce(kafka_bootstrap, topic, [
        event("e1", "u1", "m1", rating=2.0, at=minutes(10)),
        event("e5", "u1", "m1", rating=5.0, at=minutes(20)),  # newest rating for u1/m1
        event("e6", "u1", "m3", at=minutes(0)),  # oldest of u1's events, arriving last
    ])
    wait_for(lambda: count(db, Collections.EVENTS) == 6, what="phase 2 events")
    wait_for(lambda: db[Collections.USER_PROFILES].find_one({"_id": "u1"})["counts"]["view"] == 2,
             what="phase 2 profile")

    u1 = db[Collections.USER_PROFILES].find_one({"_id": "u1"})
    assert u1["counts"] == {"view": 2, "rate": 3}
    assert [r["event_id"] for r in u1["recent"]] == ["e6", "e2", "e3", "e1", "e5"]  # by event time
    assert u1["ratings"]["m1"]["rating"] == 5.0 and u1["ratings"]["m1"]["event_id"] == "e5"
    assert sorted(u1["seen"]) == ["m1", "m2", "m3"]
    assert u1["last_event_at"] == minutes(20)
    u2 = db[Collections.USER_PROFILES].find_one({"_id": "u2"})
    assert u2["counts"] == {"view": 0, "rate": 1} and u2["ratings"]["m1"]["rating"] == 3.5

    m1 = db[Collections.MOVIE_STATS].find_one({"_id": "m1"})
    assert (m1["views"], m1["ratings_count"], m1["rating_sum"]) == (0, 4, 14.5)
    assert m1["rating_mean"] == pytest.approx(14.5 / 4)
    assert db[Collections.MOVIE_STATS].find_one({"_id": "m2"})["views"] == 1
    hour = db[Collections.MOVIE_ACTIVITY].find_one({"_id": "m1|2024-05-01T12"})
    assert hour["events"] == 4 and hour["ratings"] == 4 and hour["hour"] == minutes(0)

    e1 = db[Collections.EVENTS].find_one({"_id": "e1"})
    assert e1["user_id"] == "u1" and e1["timestamp"] == minutes(10) and e1["source"]["topic"] == topic

    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    metrics.close()
    for name in ("movierecs_streaming_input_rows_per_second", "movierecs_streaming_processed_rows_per_second",
                 "movierecs_streaming_batch_duration_seconds", "movierecs_streaming_batch_rows",
                 "movierecs_streaming_dead_letters_total", "movierecs_streaming_last_progress_timestamp_seconds",
                 "movierecs_streaming_lag_records"):
        assert f"\n{name} " in body, name
    assert f"\nmovierecs_streaming_dead_letters_total {float(len(invalid))}" in body


def test_recent_history_is_capped(
    make_job: JobFactory, kafka_bootstrap: str, topic: str, mongo_client: pymongo.MongoClient, mongo_db_name: str
) -> None:
    db = database(mongo_client, mongo_db_name)
    total = PROFILE_RECENT_LIMIT + 30
    # Newest first, so the cap has to keep the latest by event time, not by arrival.
    values = [event(f"c{i}", "heavy", f"m{i}", at=minutes(i)) for i in reversed(range(total))]
    produce(kafka_bootstrap, topic, values)
    make_job(settings={"max_records_per_trigger": 60}).start()
    wait_for(lambda: count(db, Collections.EVENTS) == total, what="all events")
    profile = db[Collections.USER_PROFILES].find_one({"_id": "heavy"})
    assert profile["counts"]["view"] == total
    assert len(profile["recent"]) == PROFILE_RECENT_LIMIT
    assert [r["event_id"] for r in profile["recent"]] == [f"c{i}" for i in range(30, total)]
