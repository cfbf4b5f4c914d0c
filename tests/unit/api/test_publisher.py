"""Grouping a request's events into per-partition record batches (pure: no broker)."""

from __future__ import annotations

import json

from aiokafka.partitioner import DefaultPartitioner

from movierecs.api.publisher import records_by_partition
from movierecs.contract import Action, EventIn


def events(users: list[str]) -> list:
    return [EventIn(user_id=u, movie_id=f"m{i}", action=Action.VIEW).complete() for i, u in enumerate(users)]


def test_each_user_lands_on_the_partition_the_kafka_partitioner_picks_in_order():
    batch = events(["u1", "u2", "u1", "u3", "u1", "u2"])
    grouped = records_by_partition(batch, [2, 0, 1])
    partitioner = DefaultPartitioner()
    for partition, records in grouped.items():
        for key, _ in records:
            assert partitioner(key, [0, 1, 2], [0, 1, 2]) == partition
    u1 = [json.loads(v)["movie_id"] for records in grouped.values() for k, v in records if k == b"u1"]
    assert u1 == ["m0", "m2", "m4"]  # one user's events keep their request order
    assert sum(len(r) for r in grouped.values()) == len(batch)


def test_values_are_the_events_wire_form():
    batch = events(["u9"])
    [(key, value)] = next(iter(records_by_partition(batch, [0]).values()))
    assert key == b"u9"
    assert value == batch[0].to_kafka_value()
