"""Kill the query mid-stream and restart it from its checkpoint: every event counts exactly once."""

from __future__ import annotations

import random
from collections import Counter

import pymongo
import pytest
from pyspark.errors import StreamingQueryException

from movierecs.contract import Collections
from movierecs_streaming.sinks import BatchResult

from .conftest import JobFactory, count, database
from .helpers import event, minutes, produce, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.spark]


class CrashAfterCommit(RuntimeError):
    """Raised after the sink's transaction committed but before Spark records the batch as done."""


def make_events(rng: random.Random, start: int, n: int) -> list[dict]:
    events = []
    for i in range(start, start + n):
        rating = rng.choice([None, 1.0, 2.5, 3.0, 4.5, 5.0])
        events.append(event(f"r{i}", f"u{rng.randrange(40)}", f"m{rng.randrange(60)}", rating=rating,
                            at=minutes(rng.randrange(600))))
    return events


def test_crash_and_restart_from_checkpoint_store_every_event_exactly_once(
    make_job: JobFactory, kafka_bootstrap: str, topic: str, mongo_client: pymongo.MongoClient, mongo_db_name: str
) -> None:
    db = database(mongo_client, mongo_db_name)
    rng = random.Random(7)
    first = make_events(rng, 0, 1500)
    # Some events are sent twice, far apart (across batches and across the restart).
    replays = rng.sample(first, 100)
    produce(kafka_bootstrap, topic, first)

    batches: list[BatchResult] = []

    def crash_on_third_batch(result: BatchResult) -> None:
        batches.append(result)
        if len(batches) == 3:
            raise CrashAfterCommit(f"simulated crash after batch {result.batch_id} was written")

    # Small batches, and several transactions per batch so a crash can fall between them.
    small_batches = {"max_records_per_trigger": 200, "events_per_transaction": 64}
    crashing = make_job(settings=small_batches, after_batch=crash_on_third_batch)
    query = crashing.start()
    # Mid-stream: more events while the query runs.
    second = make_events(rng, 1500, 700)
    produce(kafka_bootstrap, topic, second + replays)
    with pytest.raises(StreamingQueryException, match="simulated crash"):
        query.awaitTermination(120)
    crashing.stop(grace_s=0)
    stored_at_crash = count(db, Collections.EVENTS)
    assert 0 < stored_at_crash < 2200

    # Restart from the checkpoint: the crashed batch is replayed. Stop this run abruptly, mid-stream, too.
    resumed: list[BatchResult] = []
    interrupted = make_job(settings=small_batches, after_batch=resumed.append)
    interrupted.start()
    wait_for(lambda: count(db, Collections.EVENTS) > stored_at_crash + 200, what="progress after restart")
    interrupted.stop(grace_s=0)
    # The crashed batch ran again with the same rows; its events were already stored, so nothing was applied.
    crashed, replayed = batches[-1], resumed[0]
    assert (replayed.batch_id, replayed.rows) == (crashed.batch_id, crashed.rows)
    assert replayed.events_inserted == 0 and replayed.duplicates_skipped == crashed.events_inserted > 0

    sent = {e["event_id"]: e for e in first + second}
    final = make_job(settings={"max_records_per_trigger": 1000})
    final.start()
    wait_for(lambda: count(db, Collections.EVENTS) == len(sent), timeout_s=120, what="every event stored")
    wait_for(lambda: final.query is not None and not final.query.status["isDataAvailable"]
             and final.query.lastProgress is not None and final.query.lastProgress["numInputRows"] == 0,
             what="the query to drain the topic")

    views = Counter(e["user_id"] for e in sent.values() if e["action"] == "view")
    rates = Counter(e["user_id"] for e in sent.values() if e["action"] == "rate")
    for profile in db[Collections.USER_PROFILES].find():
        assert profile["counts"] == {"view": views[profile["_id"]], "rate": rates[profile["_id"]]}, profile["_id"]
    assert db[Collections.USER_PROFILES].count_documents({}) == len(views | rates)

    stats = list(db[Collections.MOVIE_STATS].find())
    assert sum(s["views"] for s in stats) == sum(views.values())
    assert sum(s["ratings_count"] for s in stats) == sum(rates.values())
    assert sum(s["rating_sum"] for s in stats) == pytest.approx(
        sum(e["rating"] for e in sent.values() if e["rating"] is not None)
    )
    activity = list(db[Collections.MOVIE_ACTIVITY].find())
    assert sum(a["events"] for a in activity) == len(sent)
    for e in rng.sample(list(sent.values()), 20):
        stored = db[Collections.EVENTS].find_one({"_id": e["event_id"]})
        assert (stored["user_id"], stored["movie_id"], stored["rating"]) == (e["user_id"], e["movie_id"], e["rating"])
