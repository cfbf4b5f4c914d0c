"""Producing records and waiting for their effect, for the streaming integration tests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer


def event(event_id: str, user: str, movie: str, rating: float | None = None, at: datetime | None = None) -> dict:
    moment = at or datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    return {
        "event_id": event_id,
        "user_id": user,
        "movie_id": movie,
        "action": "rate" if rating is not None else "view",
        "rating": rating,
        "timestamp": moment.isoformat().replace("+00:00", "Z"),
    }


def minutes(n: int) -> datetime:
    return datetime(2024, 5, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=n)


def encode(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode()


def produce(bootstrap: str, topic: str, values: Sequence[Any]) -> None:
    """Send values (dicts as JSON, str/bytes as is) keyed by user_id when there is one; wait for all acks."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=5)
        await producer.start()
        try:
            futures = []
            for value in values:
                key = value.get("user_id") if isinstance(value, dict) else None
                futures.append(
                    await producer.send(topic, encode(value), key=key.encode() if isinstance(key, str) else None)
                )
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(send())


def wait_for(check: Callable[[], bool], timeout_s: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
