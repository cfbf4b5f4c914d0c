"""The MongoDB sink: events and their increments are committed together, so a replayed batch changes nothing.

Exactly-once *effect*: Spark may run a micro-batch again after a crash (same offsets, same rows). The invariant
kept is per event: *an event is stored if and only if its profile, statistics and activity increments are
applied*. The batch's valid events are written in chunks; for each chunk one majority-acknowledged transaction
looks up which event_ids are already stored, inserts only the others and applies the increments derived from
exactly those new events. A crash between chunks leaves some chunks committed; the replay finds their events
stored and skips them. So an event counts once whether it arrives twice in a batch, in two batches, or again
after a restart from an older checkpoint. Chunks keep each transaction within WiredTiger's cache (a chunk that
still does not fit is halved). Dead letters are insert-once by their record coordinates (topic|partition|offset).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pymongo
from pymongo.client_session import ClientSession
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern
from pyspark.sql import DataFrame

from movierecs.contract import Collections
from movierecs_streaming import documents

log = logging.getLogger(__name__)

MAJORITY = WriteConcern("majority")
_CHUNK = 20_000
# WiredTiger refuses a transaction whose changes do not fit in its cache (small on the local stack).
TRANSACTION_TOO_LARGE_FOR_CACHE = 388


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


def _too_large_for_one_transaction(error: OperationFailure) -> bool:
    codes = {error.code}
    codes.update(e.get("code") for e in (error.details or {}).get("writeErrors", []))
    return TRANSACTION_TOO_LARGE_FOR_CACHE in codes


class MongoSink:
    def __init__(self, client: pymongo.MongoClient, database: str, events_per_transaction: int) -> None:
        self.client = client
        self.db = client.get_database(database, write_concern=MAJORITY)
        self.events_per_transaction = events_per_transaction

    def ensure_indexes(self) -> None:
        ensure_indexes(self.db)

    def write_rows(self, batch_id: int, rows: list[dict[str, Any]]) -> BatchResult:
        split = documents.split_rows(rows)
        dead_inserted = self._write_dead_letters(split.dead_letters)
        inserted = sum(self._write_events(chunk) for chunk in _chunks(split.events, self.events_per_transaction))
        return BatchResult(
            batch_id=batch_id,
            rows=len(rows),
            events_inserted=inserted,
            duplicates_skipped=len(rows) - len(split.dead_letters) - inserted,
            dead_letters_inserted=dead_inserted,
        )

    def _write_dead_letters(self, rows: list[dict[str, Any]]) -> int:
        inserted = 0
        for chunk in _chunks([documents.dead_letter_update(r) for r in rows]):
            inserted += self.db[Collections.DEAD_LETTERS].bulk_write(chunk, ordered=False).upserted_count
        return inserted

    def _write_events(self, events: list[dict[str, Any]]) -> int:
        """Store the new ones among ``events`` with their increments, in one transaction (halved if too big)."""
        try:
            return self._transaction(events)
        except OperationFailure as error:
            if not _too_large_for_one_transaction(error) or len(events) < 2:
                raise
            half = len(events) // 2
            log.warning("transaction too large for the cache, splitting", extra={"events": len(events)})
            return self._write_events(events[:half]) + self._write_events(events[half:])

    def _transaction(self, events: list[dict[str, Any]]) -> int:
        inserted = 0

        def apply(session: ClientSession) -> None:
            nonlocal inserted
            inserted = self._apply(session, events)

        with self.client.start_session() as session:
            session.with_transaction(
                apply,
                read_concern=ReadConcern("snapshot"),
                write_concern=MAJORITY,
                read_preference=pymongo.ReadPreference.PRIMARY,
            )
        return inserted

    def _apply(self, session: ClientSession, events: list[dict[str, Any]]) -> int:
        db = self.db
        ids = [row["event_id"] for row in events]
        stored = {d["_id"] for d in db[Collections.EVENTS].find({"_id": {"$in": ids}}, {"_id": 1}, session=session)}
        new_events = [row for row in events if row["event_id"] not in stored]
        if not new_events:
            return 0
        db[Collections.EVENTS].insert_many(
            [documents.event_document(r) for r in new_events], ordered=False, session=session
        )
        now = datetime.now(UTC)
        for collection, updates in (
            (Collections.USER_PROFILES, documents.profile_updates(new_events, now)),
            (Collections.MOVIE_STATS, documents.movie_stats_updates(new_events)),
            (Collections.MOVIE_ACTIVITY, documents.activity_updates(new_events)),
        ):
            db[collection].bulk_write(updates, ordered=False, session=session)
        return len(new_events)


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
