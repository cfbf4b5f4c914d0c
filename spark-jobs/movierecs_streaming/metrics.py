"""Prometheus metrics of the streaming job, served over HTTP from the driver.

A ``StreamingQueryListener`` turns each query progress report into gauges; the sink adds dead letters as they are
stored. The names are the ones the Helm dashboards and alerts query (charts/movierecs-observability).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from pyspark.sql.streaming import StreamingQueryListener

from movierecs_streaming.sinks import BatchResult

log = logging.getLogger(__name__)


class StreamingMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.input_rows_per_second = Gauge(
            "movierecs_streaming_input_rows_per_second", "Rows/s arriving from the source (last batch)", registry=r
        )
        self.processed_rows_per_second = Gauge(
            "movierecs_streaming_processed_rows_per_second", "Rows/s processed (last batch)", registry=r
        )
        self.batch_duration_seconds = Gauge(
            "movierecs_streaming_batch_duration_seconds", "Wall time of the last micro-batch", registry=r
        )
        self.batch_rows = Gauge("movierecs_streaming_batch_rows", "Input rows of the last micro-batch", registry=r)
        self.dead_letters_total = Counter(
            "movierecs_streaming_dead_letters_total", "Records stored in dead_letters", registry=r
        )
        self.events_total = Counter(
            "movierecs_streaming_events_total", "Events stored (first time seen)", registry=r
        )
        self.duplicates_total = Counter(
            "movierecs_streaming_duplicates_total", "Valid records skipped as already-stored event_ids", registry=r
        )
        self.last_progress_timestamp_seconds = Gauge(
            "movierecs_streaming_last_progress_timestamp_seconds",
            "Unix time of the last progress or idle report of the query",
            registry=r,
        )
        self.lag_records = Gauge(
            "movierecs_streaming_lag_records", "Records in the topic not yet read by the query", registry=r
        )
        self.server: Any = None

    def serve(self, port: int, address: str = "0.0.0.0") -> int:
        """Start the HTTP endpoint; returns the bound port (``0`` picks a free one)."""
        self.server, _thread = start_http_server(port, addr=address, registry=self.registry)
        return int(self.server.server_port)

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def record_batch(self, result: BatchResult) -> None:
        self.dead_letters_total.inc(result.dead_letters_inserted)
        self.events_total.inc(result.events_inserted)
        self.duplicates_total.inc(result.duplicates_skipped)

    def record_progress(self, progress: dict[str, Any]) -> None:
        self.input_rows_per_second.set(float(progress.get("inputRowsPerSecond") or 0.0))
        self.processed_rows_per_second.set(float(progress.get("processedRowsPerSecond") or 0.0))
        self.batch_rows.set(int(progress.get("numInputRows") or 0))
        duration_ms = (progress.get("durationMs") or {}).get("triggerExecution")
        if duration_ms is not None:
            self.batch_duration_seconds.set(duration_ms / 1000.0)
        lag = lag_records(progress.get("sources") or [])
        if lag is not None:
            self.lag_records.set(lag)
        self.last_progress_timestamp_seconds.set(time.time())

    def record_idle(self) -> None:
        self.input_rows_per_second.set(0.0)
        self.processed_rows_per_second.set(0.0)
        self.last_progress_timestamp_seconds.set(time.time())


def _offsets(value: Any) -> dict[str, dict[str, int]] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def lag_records(sources: list[dict[str, Any]]) -> int | None:
    """Sum over Kafka partitions of (latest offset - end offset of the last batch), if the source reports both."""
    total, known = 0, False
    for source in sources:
        end, latest = _offsets(source.get("endOffset")), _offsets(source.get("latestOffset"))
        if not end or not latest:
            continue
        for topic, partitions in latest.items():
            if not isinstance(partitions, dict):
                continue
            for partition, offset in partitions.items():
                done = (end.get(topic) or {}).get(partition, 0)
                total += max(0, int(offset) - int(done))
                known = True
    return total if known else None


class MetricsListener(StreamingQueryListener):
    def __init__(self, metrics: StreamingMetrics, query_name: str | None = None) -> None:
        self.metrics = metrics
        self.query_name = query_name

    def _mine(self, name: str | None) -> bool:
        return self.query_name is None or name == self.query_name

    def onQueryStarted(self, event: Any) -> None:
        if self._mine(event.name):
            self.metrics.last_progress_timestamp_seconds.set(time.time())

    def onQueryProgress(self, event: Any) -> None:
        progress = event.progress
        if not self._mine(progress.name):
            return
        try:
            self.metrics.record_progress(json.loads(progress.json))
        except Exception:  # a metrics bug must never stop the query
            log.exception("could not record query progress")

    def onQueryIdle(self, event: Any) -> None:
        self.metrics.record_idle()

    def onQueryTerminated(self, event: Any) -> None:
        return None
