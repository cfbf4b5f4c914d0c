"""From one micro-batch's rows to MongoDB documents and update operations (pure Python, no I/O).

Shapes follow docs/data-model.md. Every update is built so that applying the same *new* events in any order gives
the same documents: ``recent`` is kept sorted by (timestamp, event_id) and capped, the rating per movie is the one
with the greatest (timestamp, event_id), counters are plain sums. Which events are new is decided by the sink,
inside the transaction that applies these updates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

from pymongo import UpdateOne

from movierecs.contract import PROFILE_RECENT_LIMIT, Action

Row = dict[str, Any]


@overload
def utc(value: datetime) -> datetime: ...


@overload
def utc(value: None) -> None: ...


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hour_bucket(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class SplitBatch:
    events: list[Row]
    dead_letters: list[Row]


def split_rows(rows: Iterable[Row]) -> SplitBatch:
    """Valid rows (first occurrence per event_id, in offset order) and dead-letter rows."""
    events: dict[str, Row] = {}
    dead: list[Row] = []
    for row in sorted(rows, key=lambda r: (r["topic"], r["partition"], r["offset"])):
        if row.get("reason") is not None:
            dead.append(row)
        elif row["event_id"] not in events:
            events[row["event_id"]] = row
    return SplitBatch(list(events.values()), dead)


def event_document(row: Row) -> dict[str, Any]:
    return {
        "_id": row["event_id"],
        "user_id": row["user_id"],
        "movie_id": row["movie_id"],
        "action": row["action"],
        "rating": row["rating"],
        "timestamp": utc(row["timestamp"]),
        "source": {"topic": row["topic"], "partition": row["partition"], "offset": row["offset"]},
        "ingested_at": utc(row["received_at"]),
    }


def dead_letter_id(row: Row) -> str:
    return f"{row['topic']}|{row['partition']}|{row['offset']}"


def dead_letter_update(row: Row) -> UpdateOne:
    """Insert-once by record coordinates: a replayed batch finds the document and changes nothing."""
    document: dict[str, Any] = {
        "raw": row["raw"],
        "key": row["key"],
        "reason": row["reason"],
        "topic": row["topic"],
        "partition": row["partition"],
        "offset": row["offset"],
        "kafka_timestamp": utc(row["kafka_timestamp"]),
        "dead_lettered_at": utc(row["received_at"]),
    }
    if row.get("raw_base64") is not None:
        document["raw_base64"] = row["raw_base64"]
    return UpdateOne({"_id": dead_letter_id(row)}, {"$setOnInsert": document}, upsert=True)


def _recent_item(row: Row) -> dict[str, Any]:
    return {
        "event_id": row["event_id"],
        "movie_id": row["movie_id"],
        "action": row["action"],
        "rating": row["rating"],
        "timestamp": utc(row["timestamp"]),
    }


def profile_updates(events: Sequence[Row], now: datetime) -> list[UpdateOne]:
    by_user: dict[str, list[Row]] = defaultdict(list)
    for row in events:
        by_user[row["user_id"]].append(row)
    updates = []
    for user_id, rows in by_user.items():
        latest: dict[str, Any] = {"last_event_at": max(utc(r["timestamp"]) for r in rows)}
        for row in rows:
            if row["action"] == Action.RATE.value:
                # $max compares embedded documents field by field in order: timestamp first, then event_id as
                # a deterministic tie-break. So the latest rating by event time wins whatever the arrival order.
                candidate = {"timestamp": utc(row["timestamp"]), "event_id": row["event_id"], "rating": row["rating"]}
                key = f"ratings.{row['movie_id']}"
                current = latest.get(key)
                if current is None or (candidate["timestamp"], candidate["event_id"]) > (
                    current["timestamp"],
                    current["event_id"],
                ):
                    latest[key] = candidate
        update = {
            "$push": {
                "recent": {
                    "$each": [_recent_item(r) for r in rows],
                    "$sort": {"timestamp": 1, "event_id": 1},
                    "$slice": -PROFILE_RECENT_LIMIT,
                }
            },
            "$addToSet": {"seen": {"$each": sorted({r["movie_id"] for r in rows})}},
            "$inc": {
                "counts.view": sum(r["action"] == Action.VIEW.value for r in rows),
                "counts.rate": sum(r["action"] == Action.RATE.value for r in rows),
            },
            "$max": latest,
            "$set": {"updated_at": now},
        }
        updates.append(UpdateOne({"_id": user_id}, update, upsert=True))
    return updates


def movie_stats_updates(events: Sequence[Row]) -> list[UpdateOne]:
    totals: dict[str, dict[str, Any]] = {}
    for row in events:
        total = totals.setdefault(row["movie_id"], {"views": 0, "ratings": 0, "sum": 0.0, "last": None})
        if row["action"] == Action.RATE.value:
            total["ratings"] += 1
            total["sum"] += row["rating"]
        else:
            total["views"] += 1
        moment = utc(row["timestamp"])
        total["last"] = moment if total["last"] is None else max(total["last"], moment)
    updates = []
    for movie_id, total in totals.items():
        # An update pipeline, so the mean is recomputed from the new totals in the same atomic write.
        pipeline = [
            {
                "$set": {
                    "views": {"$add": [{"$ifNull": ["$views", 0]}, total["views"]]},
                    "ratings_count": {"$add": [{"$ifNull": ["$ratings_count", 0]}, total["ratings"]]},
                    "rating_sum": {"$add": [{"$ifNull": ["$rating_sum", 0.0]}, total["sum"]]},
                    "last_event_at": {"$max": ["$last_event_at", total["last"]]},
                }
            },
            {
                "$set": {
                    "rating_mean": {
                        "$cond": [
                            {"$gt": ["$ratings_count", 0]},
                            {"$divide": ["$rating_sum", "$ratings_count"]},
                            None,
                        ]
                    }
                }
            },
        ]
        updates.append(UpdateOne({"_id": movie_id}, pipeline, upsert=True))
    return updates


def activity_updates(events: Sequence[Row]) -> list[UpdateOne]:
    buckets: dict[tuple[str, datetime], dict[str, int]] = {}
    for row in events:
        hour = hour_bucket(utc(row["timestamp"]))
        counts = buckets.setdefault((row["movie_id"], hour), {"views": 0, "ratings": 0, "events": 0})
        counts["ratings" if row["action"] == Action.RATE.value else "views"] += 1
        counts["events"] += 1
    return [
        UpdateOne(
            {"_id": f"{movie_id}|{hour:%Y-%m-%dT%H}"},
            {"$inc": counts, "$setOnInsert": {"movie_id": movie_id, "hour": hour}},
            upsert=True,
        )
        for (movie_id, hour), counts in buckets.items()
    ]
