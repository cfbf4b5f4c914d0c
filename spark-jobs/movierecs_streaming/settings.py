"""Settings of the streaming job, from ``MOVIERECS_*`` environment variables (see ``ConnectionSettings``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from movierecs.settings import ConnectionSettings


class StreamingSettings(ConnectionSettings):
    # Where Spark keeps offsets and dedup state; deleting it replays the topic (harmless: writes are idempotent).
    checkpoint_location: Path = Path(".state/checkpoints/streaming")
    # "auto": the Kafka connector when its jar is on the classpath (the cluster image), else the Python source.
    source: Literal["auto", "kafka", "python"] = "auto"
    starting_offsets: Literal["earliest", "latest"] = "earliest"
    # Bounds one micro-batch. Larger batches amortise Spark's per-batch cost and aggregate more increments per
    # user and movie (50k: 4.7k events/s on local[2], 20k: 3.4k; docs/benchmarks.md); a low-rate event is still
    # processed at the next trigger.
    max_records_per_trigger: int | None = Field(default=50_000, gt=0)
    # A Spark interval string, as in the Helm values ("5 seconds").
    trigger_interval: str = "500 milliseconds"
    # Duplicates of an event_id arriving within this processing-time window are dropped in Spark's state;
    # later ones are caught by the sink (an event_id already stored is never applied twice).
    dedup_window: str = "10 minutes"
    query_name: str = "movierecs-streaming"
    metrics_port: int = Field(default=9108, ge=0, le=65535)
    # Master for ``python -m movierecs_streaming``; ignored when spark-submit already set one.
    spark_master: str = "local[2]"
    shuffle_partitions: int = Field(default=2, gt=0)
    # Events per MongoDB transaction (an event and its increments always commit together): one per default batch;
    # a transaction too large for WiredTiger's cache is halved by the sink (100k overflowed a 0.25 GB cache).
    events_per_transaction: int = Field(default=50_000, gt=0)
    mongo_timeout_ms: int = Field(default=30_000, gt=0)


@lru_cache
def streaming_settings() -> StreamingSettings:
    return StreamingSettings()
