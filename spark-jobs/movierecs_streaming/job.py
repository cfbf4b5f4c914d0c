"""Wiring of the streaming job: session, source, transforms, sink, metrics, lifecycle."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

import pymongo
from pyspark import SparkConf, SparkContext
from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery

from movierecs.logs import configure_logging
from movierecs_streaming import transforms
from movierecs_streaming.metrics import MetricsListener, StreamingMetrics
from movierecs_streaming.session import build_session
from movierecs_streaming.settings import StreamingSettings, streaming_settings
from movierecs_streaming.sinks import BatchResult, MongoSink, foreach_batch_writer
from movierecs_streaming.source import read_kafka

log = logging.getLogger(__name__)

# How long a graceful stop waits for the running micro-batch to finish before interrupting it.
_STOP_GRACE_S = 20.0


def _master_from_launcher() -> bool:
    """True when spark-submit (cluster or explicit --master) already chose the master."""
    SparkContext._ensure_initialized()
    return SparkConf().contains("spark.master")


def build_spark(settings: StreamingSettings) -> SparkSession:
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = None if _master_from_launcher() else settings.spark_master
    return build_session(settings.query_name, master=master, shuffle_partitions=settings.shuffle_partitions)


class StreamingJob:
    def __init__(
        self,
        settings: StreamingSettings,
        spark: SparkSession | None = None,
        metrics: StreamingMetrics | None = None,
        after_batch: Callable[[BatchResult], None] | None = None,
    ) -> None:
        self.settings = settings
        self.spark = spark or build_spark(settings)
        self.metrics = metrics or StreamingMetrics()
        self.listener = MetricsListener(self.metrics, settings.query_name)
        self.mongo: pymongo.MongoClient = pymongo.MongoClient(
            settings.mongo_uri,
            serverSelectionTimeoutMS=settings.mongo_timeout_ms,
            tz_aware=True,
        )
        self.sink = MongoSink(self.mongo, settings.mongo_db, settings.events_per_transaction)
        self.query: StreamingQuery | None = None
        self.after_batch = after_batch

    def _on_batch(self, result: BatchResult) -> None:
        self.metrics.record_batch(result)
        if self.after_batch is not None:
            self.after_batch(result)

    def start(self) -> StreamingQuery:
        settings = self.settings
        self.sink.ensure_indexes()
        routed = transforms.prepare(read_kafka(self.spark, settings), settings.dedup_window)
        self.spark.streams.addListener(self.listener)
        settings.checkpoint_location.mkdir(parents=True, exist_ok=True)
        self.query = (
            routed.writeStream.queryName(settings.query_name)
            .foreachBatch(foreach_batch_writer(self.sink, on_result=self._on_batch))
            .option("checkpointLocation", str(settings.checkpoint_location.resolve()))
            .trigger(processingTime=settings.trigger_interval)
            .start()
        )
        log.info(
            "streaming query started",
            extra={
                "query_id": str(self.query.id),
                "run_id": str(self.query.runId),
                "topic": settings.events_topic,
                "database": settings.mongo_db,
                "checkpoint": str(settings.checkpoint_location),
            },
        )
        return self.query

    def stop(self, grace_s: float = _STOP_GRACE_S) -> None:
        """Let the running micro-batch finish (bounded), then stop the query. Safe to call twice."""
        query = self.query
        if query is not None and query.isActive:
            deadline = time.monotonic() + grace_s
            while query.isActive and query.status.get("isTriggerActive") and time.monotonic() < deadline:
                time.sleep(0.1)
            query.stop()
            log.info("streaming query stopped", extra={"query_id": str(query.id)})
        with contextlib.suppress(Exception):  # already removed, or the session is gone
            self.spark.streams.removeListener(self.listener)
        self.mongo.close()

    def run_until_stopped(self, stop_requested: threading.Event) -> int:
        query = self.query or self.start()
        while not stop_requested.is_set() and query.isActive:
            query.awaitTermination(1)
        failure = query.exception()
        self.stop()
        if failure is not None:
            log.error("streaming query failed", extra={"error": str(failure)[:2000]})
            return 1
        return 0


def main() -> int:
    settings = streaming_settings()
    configure_logging(settings.log_level)
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    job = StreamingJob(settings)
    port = job.metrics.serve(settings.metrics_port)
    log.info("metrics endpoint listening", extra={"port": port})
    try:
        return job.run_until_stopped(stop_requested)
    finally:
        job.metrics.close()
        job.spark.stop()
