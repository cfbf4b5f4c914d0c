"""The MongoDB sink: one transaction per micro-batch, so a replayed batch changes nothing.

Exactly-once *effect*: Spark may run a micro-batch again after a crash (same offsets, same rows). Inside one
majority-acknowledged transaction the sink looks up which of the batch's event_ids are already stored, inserts
only the others, and derives every profile, statistic and activity increment from exactly those new events. The
transaction commits all of it or none of it, so an event's increments are applied once, together with the event
itself, whether it arrives twice in a batch, in two batches, or again after a restart from an older checkpoint.
Dead letters are insert-once by their record coordinates (topic|partition|offset).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pymongo
from pymongo.client_session import ClientSession
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern
from pyspark.sql import DataFrame

from movierecs.contract import Collections
from movierecs_streaming import documents

log = logging.getLogger(__name__)

MAJORITY = WriteConcern("majority")
# Large batches are split into several finds/inserts inside the same transaction.
_CHUNK = 20_000


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    rows: int
    events_inserted: int
    duplicates_skipped: int
    dead_letters_inserted: int


def ensure_indexes(db: Any) -> None:
    """Indexes the readers rely on (idempotent; run at start)."""
    db[Collections.EVENTS].create_index([("user_id", 1), ("timestamp", -1)])
    db[Collections.EVENTS].create_index([("movie_id", 1), ("timestamp", -1)])
    db[Collections.MOVIE_STATS].create_index([("views", -1)])
    db[Collections.MOVIE_STATS].create_index([("ratings_count", -1)])
    db[Collections.MOVIE_ACTIVITY].create_index([("hour", -1), ("movie_id", 1)])
    db[Collections.DEAD_LETTERS].create_index([("dead_lettered_at", -1)])
    db[Collections.DEAD_LETTERS].create_index([("reason", 1)])


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MongoSink:
    def __init__(self, client: pymongo.MongoClient, database: str) -> None:
        self.client = client
        self.db = client.get_database(database, write_concern=MAJORITY)

    def ensure_indexes(self) -> None:
        ensure_indexes(self.db)

    def write_rows(self, batch_id: int, rows: list[dict[str, Any]]) -> BatchResult:
        split = documents.split_rows(rows)
        outcome: dict[str, int] = {}

        def apply(session: ClientSession) -> None:
            outcome.clear()
            outcome.update(self._apply(session, split))

        with self.client.start_session() as session:
            session.with_transaction(
                apply,
                read_concern=ReadConcern("snapshot"),
                write_concern=MAJORITY,
                read_preference=pymongo.ReadPreference.PRIMARY,
            )
        return BatchResult(
            batch_id=batch_id,
            rows=len(rows),
            events_inserted=outcome.get("inserted", 0),
            duplicates_skipped=len(rows) - len(split.dead_letters) - outcome.get("inserted", 0),
            dead_letters_inserted=outcome.get("dead_letters", 0),
        )

    def _apply(self, session: ClientSession, split: documents.SplitBatch) -> dict[str, int]:
        db = self.db
        dead_inserted = 0
        for chunk in _chunks([documents.dead_letter_update(r) for r in split.dead_letters]):
            written = db[Collections.DEAD_LETTERS].bulk_write(chunk, ordered=False, session=session)
            dead_inserted += written.upserted_count

        new_events = []
        for chunk in _chunks(split.events):
            ids = [row["event_id"] for row in chunk]
            stored = {d["_id"] for d in db[Collections.EVENTS].find({"_id": {"$in": ids}}, {"_id": 1}, session=session)}
            new_events.extend(row for row in chunk if row["event_id"] not in stored)
        if not new_events:
            return {"inserted": 0, "dead_letters": dead_inserted}

        for chunk in _chunks(new_events):
            db[Collections.EVENTS].insert_many(
                [documents.event_document(r) for r in chunk], ordered=False, session=session
            )
        now = datetime.now(UTC)
        for collection, updates in (
            (Collections.USER_PROFILES, documents.profile_updates(new_events, now)),
            (Collections.MOVIE_STATS, documents.movie_stats_updates(new_events)),
            (Collections.MOVIE_ACTIVITY, documents.activity_updates(new_events)),
        ):
            for chunk in _chunks(updates):
                db[collection].bulk_write(chunk, ordered=False, session=session)
        return {"inserted": len(new_events), "dead_letters": dead_inserted}


def foreach_batch_writer(
    sink: MongoSink, on_result: Callable[[BatchResult], None] | None = None
) -> Callable[[DataFrame, int], None]:
    """The ``foreachBatch`` function: collect the micro-batch once (Arrow) and write it in one transaction."""

    def write(batch: DataFrame, batch_id: int) -> None:
        rows = batch.toArrow().to_pylist()
        if not rows:
            return
        result = sink.write_rows(batch_id, rows)
        log.info(
            "batch written",
            extra={
                "batch_id": batch_id,
                "rows": result.rows,
                "events_inserted": result.events_inserted,
                "duplicates_skipped": result.duplicates_skipped,
                "dead_letters_inserted": result.dead_letters_inserted,
            },
        )
        if on_result is not None:
            on_result(result)

    return write
