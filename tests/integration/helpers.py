"""Helpers for integration tests that read back what reached the real broker."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer

from movierecs.stack.servers import free_port

__all__ = ["consume", "free_port", "values"]




async def _consume(bootstrap: str, topic: str, expected: int, timeout_s: float) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while len(records) < expected and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


def consume(bootstrap: str, topic: str, expected: int, timeout_s: float = 15.0) -> list[Any]:
    """Every record of ``topic`` from the beginning, waiting until ``expected`` arrived (or the timeout)."""
    return asyncio.run(_consume(bootstrap, topic, expected, timeout_s))


def values(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]
