"""A Kafka streaming source written as a PySpark Python data source, for when the Kafka connector jar is absent.

Produces the same columns as ``format("kafka")``: key, value, topic, partition, offset, timestamp, and accepts the
connector's option names (``kafka.bootstrap.servers``, ``subscribe``, ``startingOffsets``,
``maxOffsetsPerTrigger``), so the job passes one set of options to either source.

Offsets are checkpointed by Spark in the connector's JSON shape ``{"<topic>": {"<partition>": <next offset>}}``.
Each micro-batch is planned as one input partition per Kafka partition with records in it; a task reads its range
``[start, end)`` by assign + seek and stops at the end offset, so a replayed batch reads exactly the same records.

The reader runs in two places: the planning methods (``initialOffset``, ``latestOffset``, ``partitions``) in one
long-lived Python process next to the driver, and ``read`` in executor Python workers. Each process keeps one
aiokafka consumer (no consumer group, no commits) on a private event loop; nothing unpicklable travels with the
reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import ReadAllAvailable, ReadLimit, ReadMaxRows
from pyspark.sql.types import (
    BinaryType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

SOURCE_NAME = "movierecs_kafka"
# The Kafka connector's columns (built without DDL parsing: executors have no SparkContext to parse with).
KAFKA_SCHEMA = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
        StructField("timestamp", TimestampType()),
    ]
)

# Records handed to Spark per Arrow batch, and how long a task waits for records it knows exist.
_ARROW_BATCH_ROWS = 20_000
_READ_STALL_TIMEOUT_S = 60.0
_PROBE_TIMEOUT_S = 10.0

Offsets = dict[str, dict[str, int]]


class KafkaSourceError(RuntimeError):
    pass


class _KafkaClient:
    """A synchronous facade over one aiokafka consumer running on a private event loop."""

    def __init__(self, bootstrap_servers: str, probe: bool = False) -> None:
        from aiokafka import AIOKafkaConsumer

        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()

        async def create() -> AIOKafkaConsumer:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=bootstrap_servers,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_bytes=64 * 1024 * 1024,
                # The driver only probes high watermarks: the smallest fetch the broker will answer.
                max_partition_fetch_bytes=1024 if probe else 16 * 1024 * 1024,
                fetch_max_wait_ms=100,
                request_timeout_ms=15_000,
            )
            await consumer.start()
            return consumer

        self._consumer = self._run(create())

    def _run(self, coro: Any) -> Any:
        return self._loop.run_until_complete(coro)

    def partitions(self, topic: str) -> list[int]:
        with self._lock:
            # A fresh metadata fetch so new topics (auto-created) and added partitions are seen.
            self._run(self._consumer._client.force_metadata_update())
            found = self._consumer._client.cluster.partitions_for_topic(topic)
            return sorted(found or ())

    def offsets(self, topic: str, partitions: list[int], which: str) -> dict[int, int]:
        from aiokafka import TopicPartition

        if not partitions:
            return {}
        tps = [TopicPartition(topic, p) for p in partitions]
        with self._lock:
            if which == "beginning":
                found = self._run(self._consumer.beginning_offsets(tps))
            else:
                found = self._run(self._high_watermarks(tps))
        return {tp.partition: int(offset) for tp, offset in found.items()}

    async def _high_watermarks(self, tps: list[Any]) -> dict[Any, int]:
        """End offsets as the high watermark of a fetch response.

        ListOffsets(latest) is not enough: Tansu answers it with the base offset of the last record batch rather
        than the offset after its last record. A fetch from that offset returns the true high watermark (on real
        Kafka the fetch at the end returns nothing and the same number). Only one batch per partition is fetched.
        """
        listed = await self._consumer.end_offsets(tps)
        self._consumer.assign(tps)
        for tp in tps:
            self._consumer.seek(tp, listed[tp])
        deadline = time.monotonic() + _PROBE_TIMEOUT_S
        ends: dict[Any, int] = {}
        while len(ends) < len(tps) and time.monotonic() < deadline:
            fetched = await self._consumer.getmany(*tps, timeout_ms=100)
            for tp in tps:
                last = fetched.get(tp)
                highwater = self._consumer.highwater(tp)
                if highwater is not None or last:
                    ends[tp] = max(listed[tp], highwater or 0, last[-1].offset + 1 if last else 0)
        missing = [tp for tp in tps if tp not in ends]
        if missing:
            raise KafkaSourceError(f"no high watermark from the broker for {missing}")
        return ends

    def read_range(self, topic: str, partition: int, start: int, end: int) -> Iterator[list[Any]]:
        """Yield lists of records with ``start <= offset < end`` (fewer if the log has gaps)."""
        from aiokafka import TopicPartition

        tp = TopicPartition(topic, partition)

        async def assign_and_seek() -> None:
            # aiokafka creates futures on assignment, so this must run inside the loop.
            self._consumer.assign([tp])
            self._consumer.seek(tp, start)

        with self._lock:
            self._run(assign_and_seek())
            position = start
            last_progress = time.monotonic()
            while position < end:
                batches = self._run(self._consumer.getmany(tp, timeout_ms=500, max_records=_ARROW_BATCH_ROWS))
                records = [r for r in batches.get(tp, ()) if r.offset < end]
                if records:
                    last_progress = time.monotonic()
                    yield records
                position = self._run(self._consumer.position(tp))
                if time.monotonic() - last_progress > _READ_STALL_TIMEOUT_S:
                    raise KafkaSourceError(
                        f"no progress reading {topic}[{partition}] at offset {position} (planned end {end})"
                    )

    def close(self) -> None:
        try:
            self._run(self._consumer.stop())
        finally:
            self._loop.close()


# One client per process, bootstrap address and role: executor Python workers are reused across tasks.
_CLIENTS: dict[tuple[str, bool], _KafkaClient] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(bootstrap_servers: str, probe: bool = False) -> _KafkaClient:
    with _CLIENTS_LOCK:
        client = _CLIENTS.get((bootstrap_servers, probe))
        if client is None:
            client = _CLIENTS[(bootstrap_servers, probe)] = _KafkaClient(bootstrap_servers, probe)
        return client


def _drop_client(bootstrap_servers: str, probe: bool = False) -> None:
    with _CLIENTS_LOCK:
        client = _CLIENTS.pop((bootstrap_servers, probe), None)
    if client is not None:
        # Closing a broken client must not hide the original error.
        with contextlib.suppress(Exception):
            client.close()


@dataclass(frozen=True)
class KafkaRange(InputPartition):
    topic: str
    partition: int
    start: int
    end: int


def plan_limit(start: dict[int, int], latest: dict[int, int], max_rows: int | None) -> dict[int, int]:
    """End offsets for the next batch: all available, or ``max_rows`` shared in proportion to each backlog.

    Every partition with a backlog advances by at least one record, so no partition starves.
    """
    backlog = {p: max(0, latest[p] - start.get(p, 0)) for p in latest}
    total = sum(backlog.values())
    if max_rows is None or total <= max_rows:
        return {p: max(latest[p], start.get(p, 0)) for p in latest}
    end = {}
    for p, lag in backlog.items():
        share = (lag * max_rows) // total
        if lag > 0:
            share = max(1, share)
        end[p] = start.get(p, 0) + min(lag, share)
    return end


class KafkaStreamReader(DataSourceStreamReader):
    def __init__(self, options: dict[str, str]) -> None:
        # Spark hands options over case-insensitively (lower-cased keys); accept either spelling.
        options = {k.lower(): v for k, v in options.items()}
        self.bootstrap_servers = options["kafka.bootstrap.servers"]
        self.topic = options["subscribe"]
        self.starting_offsets = options.get("startingoffsets", "latest").lower()
        if self.starting_offsets not in ("earliest", "latest"):
            raise KafkaSourceError("startingOffsets must be 'earliest' or 'latest'")
        max_offsets = options.get("maxoffsetspertrigger")
        self.max_offsets_per_trigger = int(max_offsets) if max_offsets else None
        self._latest: Offsets | None = None

    # --- driver side -------------------------------------------------------------------------------------------

    def _log_offsets(self, which: str) -> dict[int, int]:
        client = _client(self.bootstrap_servers, probe=True)
        try:
            return client.offsets(self.topic, client.partitions(self.topic), which)
        except Exception:
            _drop_client(self.bootstrap_servers, probe=True)
            raise

    def _as_offsets(self, by_partition: dict[int, int]) -> Offsets:
        return {self.topic: {str(p): int(o) for p, o in sorted(by_partition.items())}}

    def _parse(self, offsets: dict) -> dict[int, int]:
        return {int(p): int(o) for p, o in offsets.get(self.topic, {}).items()}

    def initialOffset(self) -> dict:
        return self._as_offsets(self._log_offsets("end" if self.starting_offsets == "latest" else "beginning"))

    def getDefaultReadLimit(self) -> ReadLimit:
        if self.max_offsets_per_trigger:
            return ReadMaxRows(self.max_offsets_per_trigger)
        return ReadAllAvailable()

    def latestOffset(self, start: dict, limit: ReadLimit) -> dict:
        start_by_partition = self._parse(start)
        latest = self._log_offsets("end")
        if any(p not in start_by_partition for p in latest):
            # Partitions that appeared after the query started are read from their beginning.
            beginning = self._log_offsets("beginning")
            for p in latest:
                start_by_partition.setdefault(p, beginning.get(p, 0))
        self._latest = self._as_offsets(latest)
        max_rows = limit.max_rows if isinstance(limit, ReadMaxRows) else None
        end = plan_limit(start_by_partition, latest, max_rows)
        # Partitions that vanished from metadata keep their checkpointed offset.
        for p, offset in start_by_partition.items():
            end.setdefault(p, offset)
        return self._as_offsets(end)

    def reportLatestOffset(self) -> dict | None:
        return self._latest

    def partitions(self, start: dict, end: dict) -> list[InputPartition]:
        start_by_partition = self._parse(start)
        ranges: list[InputPartition] = []
        for p, end_offset in sorted(self._parse(end).items()):
            begin = start_by_partition.get(p, 0)
            if end_offset > begin:
                ranges.append(KafkaRange(self.topic, p, begin, end_offset))
        return ranges

    def commit(self, end: dict) -> None:
        # Progress lives in Spark's checkpoint; there is no consumer group to commit to.
        return None

    def stop(self) -> None:
        _drop_client(self.bootstrap_servers, probe=True)

    # --- executor side -----------------------------------------------------------------------------------------

    def read(self, partition: InputPartition) -> Iterator[Any]:
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_schema

        assert isinstance(partition, KafkaRange)
        schema = to_arrow_schema(KAFKA_SCHEMA, timezone="UTC")
        client = _client(self.bootstrap_servers)
        try:
            for records in client.read_range(partition.topic, partition.partition, partition.start, partition.end):
                n = len(records)
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array([r.key for r in records], pa.binary()),
                        pa.array([r.value for r in records], pa.binary()),
                        pa.array([partition.topic] * n, pa.string()),
                        pa.array([partition.partition] * n, pa.int32()),
                        pa.array([r.offset for r in records], pa.int64()),
                        pa.array([r.timestamp * 1000 for r in records], pa.int64()).cast(schema.field(5).type),
                    ],
                    schema=schema,
                )
        except Exception:
            _drop_client(self.bootstrap_servers)
            raise


class KafkaDataSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return SOURCE_NAME

    def schema(self) -> StructType:
        return KAFKA_SCHEMA

    def streamReader(self, schema: StructType) -> DataSourceStreamReader:
        return KafkaStreamReader(dict(self.options))
