"""Planning of the Python Kafka source: read limits and offsets, without a broker."""

from __future__ import annotations

from movierecs_streaming.kafka_source import KafkaRange, KafkaStreamReader, plan_limit


def test_all_available_without_a_limit() -> None:
    assert plan_limit({0: 5, 1: 0}, {0: 10, 1: 3}, None) == {0: 10, 1: 3}


def test_limit_is_shared_in_proportion_to_backlog() -> None:
    end = plan_limit({0: 0, 1: 0, 2: 0}, {0: 600, 1: 300, 2: 100}, 100)
    assert end == {0: 60, 1: 30, 2: 10}
    assert sum(end.values()) <= 100


def test_every_partition_with_a_backlog_advances() -> None:
    end = plan_limit({0: 0, 1: 0}, {0: 10_000, 1: 1}, 10)
    assert end[1] == 1 and end[0] >= 1


def test_never_moves_backwards() -> None:
    assert plan_limit({0: 50}, {0: 40}, 10) == {0: 50}


def test_options_are_case_insensitive_and_partitions_follow_offsets() -> None:
    reader = KafkaStreamReader(
        {"kafka.bootstrap.servers": "x:1", "subscribe": "t", "startingoffsets": "EARLIEST", "maxoffsetspertrigger": "7"}
    )
    assert reader.starting_offsets == "earliest" and reader.max_offsets_per_trigger == 7
    ranges = reader.partitions({"t": {"0": 5, "1": 9}}, {"t": {"0": 8, "1": 9, "2": 4}})
    assert ranges == [KafkaRange("t", 0, 5, 8), KafkaRange("t", 2, 0, 4)]
