"""``movierecs load-movielens``: the catalog into MongoDB ``movies``, the ratings replayed as Kafka events.

Events go through Kafka like any client's, so the streaming job builds events, profiles and stats from them.
Event ids are deterministic (``ml-u196-m242-881250949``): a re-run publishes the same ids, which the streaming
job deduplicates, so the replay is idempotent. Ratings are sent in event-time order, in batches (each batch is
awaited, acks=all), optionally rate-limited.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pandas as pd
from aiokafka import AIOKafkaProducer
from pymongo import ReplaceOne
from pymongo.database import Database
from tqdm.auto import tqdm

from movierecs.contract import Action, Collections, Event


def event_id(user_id: str, movie_id: str, timestamp: int) -> str:
    return f"ml-{user_id}-{movie_id}-{timestamp}"


def rating_events(ratings: pd.DataFrame) -> Iterator[Event]:
    """Contract events for a ratings frame (``user_id, movie_id, rating, timestamp``), oldest first."""
    ordered = ratings.assign(_order=range(len(ratings))).sort_values(["timestamp", "_order"], kind="mergesort")
    for user, movie, rating, stamp in zip(
        ordered["user_id"], ordered["movie_id"], ordered["rating"], ordered["timestamp"], strict=True
    ):
        yield Event(
            event_id=event_id(user, movie, int(stamp)),
            user_id=user,
            movie_id=movie,
            action=Action.RATE,
            rating=float(rating),
            timestamp=datetime.fromtimestamp(int(stamp), UTC),
        )


def write_catalog(db: Database, movies: pd.DataFrame, batch_size: int = 1000) -> int:
    """Upsert ``{_id: movie_id, title, year, genres}`` documents; returns how many were written."""
    operations = [
        ReplaceOne(
            {"_id": movie},
            {"_id": movie, "title": title, "year": None if pd.isna(year) else int(year), "genres": list(genres)},
            upsert=True,
        )
        for movie, title, year, genres in zip(
            movies["movie_id"], movies["title"], movies["year"], movies["genres"], strict=True
        )
    ]
    for start in range(0, len(operations), batch_size):
        db[Collections.MOVIES].bulk_write(operations[start:start + batch_size], ordered=False)
    return len(operations)


async def publish_events(
    events: list[Event],
    bootstrap_servers: str,
    topic: str,
    batch_size: int = 1000,
    max_per_second: float = 0.0,
    idempotence: bool = False,
    request_timeout_ms: int = 30000,
    progress: bool = True,
) -> int:
    """Send events keyed by user (acks=all), one awaited batch at a time; ``max_per_second`` 0 = unlimited."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=20,
        request_timeout_ms=request_timeout_ms,
    )
    await producer.start()
    sent = 0
    started = time.monotonic()
    try:
        with tqdm(total=len(events), desc="replay", unit="event", disable=not progress) as bar:
            for start in range(0, len(events), batch_size):
                batch = events[start:start + batch_size]
                futures = [
                    await producer.send(topic, value=e.to_kafka_value(), key=e.kafka_key()) for e in batch
                ]
                await asyncio.gather(*futures)
                sent += len(batch)
                bar.update(len(batch))
                if max_per_second > 0:
                    ahead = sent / max_per_second - (time.monotonic() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
    finally:
        await producer.stop()
    return sent
