"""``movierecs bench streaming``: the Spark streaming job's throughput and end-to-end latency, in one run.

1. Produce N contract events to a topic of the benchmark's own (3 partitions, keyed by user).
2. Baseline: read all N back with a plain aiokafka consumer from the same broker (raw consume events/s).
3. Start the streaming job (local Spark, the job's own settings) on that topic and a fresh database, and time
   until all N events are in MongoDB (sustained events/s, from query start, JVM start-up excluded).
4. Latency: produce single events at a low rate and time each from send to its user's profile becoming visible
   (a change stream on user_profiles); report p50/p95/max.

The topic stays on the broker (Tansu keeps it in memory); the database and checkpoint are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from movierecs.api.publisher import PARTITIONER, records_by_partition, send_record_batches
from movierecs.bench.loadgen import percentile
from movierecs.contract import Action, Collections, Event
from movierecs.stack.manager import create_topics

PARTITIONS = 3
GOAL_EVENTS_PER_S = 10_000
GOAL_P95_S = 3.0


def register(benches: argparse._SubParsersAction) -> None:
    parser = benches.add_parser("streaming", help="streaming job events/s vs raw consume, and end-to-end latency")
    parser.add_argument("--events", type=int, default=200_000, help="events for the throughput run")
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--movies", type=int, default=1_682)
    parser.add_argument("--latency-events", type=int, default=40, help="single events for the latency run")
    parser.add_argument("--latency-rate", type=float, default=4.0, help="latency events per second")
    parser.add_argument("--max-records-per-trigger", type=int, default=None, help="override the job setting")
    parser.add_argument("--trigger-interval", default=None, help="override the job setting, e.g. '500 milliseconds'")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.set_defaults(func=run)


def make_event(i: int, users: int, movies: int, now: datetime) -> Event:
    rate = i % 3 != 0
    return Event(
        event_id=f"bench-{i}",
        user_id=f"bu{(i * 7919) % users}",
        movie_id=f"m{1 + (i * 104_729) % movies}",
        action=Action.RATE if rate else Action.VIEW,
        rating=0.5 * (1 + i % 10) if rate else None,
        timestamp=now - timedelta(seconds=(i * 37) % 3_600),  # live traffic: the last hour
    )


async def produce_bulk(bootstrap: str, topic: str, events: list[Event]) -> float:
    """Send every event (keyed by user) in large record batches, as the API does; seconds taken."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all", linger_ms=5,
                                max_batch_size=1 << 20, partitioner=PARTITIONER)
    await producer.start()
    started = time.perf_counter()
    try:
        grouped = records_by_partition(events, sorted(await producer.partitions_for(topic)))
        await asyncio.gather(*await send_record_batches(producer, topic, grouped))
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def consume_all(bootstrap: str, topic: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_bytes=64 << 20,
        max_partition_fetch_bytes=16 << 20,
    )
    await consumer.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000)
            seen += sum(len(records) for records in batches.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


def wait_for_count(
    collection: pymongo.collection.Collection, expected: int, timeout_s: float, alive: Callable[[], bool]
) -> float:
    started = time.perf_counter()
    while collection.estimated_document_count() < expected or collection.count_documents({}) < expected:
        if not alive():
            raise RuntimeError("the streaming query stopped")
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"only {collection.count_documents({})} of {expected} events after {timeout_s:.0f}s")
        time.sleep(0.1)
    return time.perf_counter() - started


def measure_latency(bootstrap: str, topic: str, db: pymongo.database.Database, n: int, rate: float) -> list[float]:
    """Send ``n`` single events (new users) at ``rate``/s; seconds from send to the profile's insert."""
    visible: dict[str, float] = {}
    ready = threading.Event()
    done = threading.Event()

    def watch() -> None:
        pipeline = [{"$match": {"operationType": "insert"}}]
        with db[Collections.USER_PROFILES].watch(pipeline, max_await_time_ms=50) as stream:
            ready.set()
            while not done.is_set():
                change = stream.try_next()
                if change is not None:
                    visible.setdefault(change["documentKey"]["_id"], time.perf_counter())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ready.wait(10)
    sent: dict[str, float] = {}

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all", linger_ms=0)
        await producer.start()
        try:
            for i in range(n):
                event = Event(event_id=f"lat-{uuid.uuid4().hex}", user_id=f"lat{i}-{uuid.uuid4().hex[:8]}",
                              movie_id="m1", action=Action.RATE, rating=4.0, timestamp=datetime.now(UTC))
                sent[event.user_id] = time.perf_counter()
                await producer.send_and_wait(topic, event.to_kafka_value(), key=event.kafka_key())
                await asyncio.sleep(1.0 / rate)
        finally:
            await producer.stop()

    asyncio.run(send())
    deadline = time.perf_counter() + 30
    while len(visible.keys() & sent.keys()) < n and time.perf_counter() < deadline:
        time.sleep(0.1)
    done.set()
    watcher.join(5)
    return sorted(visible[user] - sent[user] for user in sent if user in visible)


def run(args: argparse.Namespace) -> int:
    from movierecs_streaming.job import StreamingJob
    from movierecs_streaming.settings import StreamingSettings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    base = StreamingSettings()
    suffix = uuid.uuid4().hex[:10]
    topic, database = f"bench.streaming.{suffix}", f"bench_streaming_{suffix}"
    checkpoint = Path(tempfile.mkdtemp(prefix="movierecs-bench-streaming-"))
    overrides: dict[str, object] = {}
    if args.max_records_per_trigger:
        overrides["max_records_per_trigger"] = args.max_records_per_trigger
    if args.trigger_interval:
        overrides["trigger_interval"] = args.trigger_interval
    settings = base.model_copy(
        update={"events_topic": topic, "mongo_db": database, "checkpoint_location": checkpoint,
                "starting_offsets": "earliest", "query_name": f"bench_{suffix}", **overrides}
    )
    bootstrap = settings.kafka_bootstrap_servers
    now = datetime.now(UTC)
    events = [make_event(i, args.users, args.movies, now) for i in range(args.events)]
    print(f"streaming benchmark: {args.events:,} events ({args.users:,} users, {args.movies:,} movies), "
          f"broker {bootstrap}, topic {topic}, database {database}")
    print(f"job settings: source={settings.source} trigger={settings.trigger_interval} "
          f"max_records_per_trigger={settings.max_records_per_trigger} master={settings.spark_master}")

    create_topics(bootstrap, [topic], PARTITIONS)
    produce_s = asyncio.run(produce_bulk(bootstrap, topic, events))
    raw_s = asyncio.run(consume_all(bootstrap, topic, args.events))

    client: pymongo.MongoClient = pymongo.MongoClient(settings.mongo_uri, tz_aware=True)
    job = StreamingJob(settings)
    job.spark.sparkContext.setLogLevel("ERROR")
    try:
        query = job.start()
        stream_s = wait_for_count(client[database][Collections.EVENTS], args.events, 900, lambda: query.isActive)
        progress = job.query.recentProgress if job.query else []
        batches = [p for p in progress if p["numInputRows"] > 0]
        latencies = measure_latency(bootstrap, topic, client[database], args.latency_events, args.latency_rate)
    finally:
        job.stop(grace_s=5)
        job.spark.stop()
        if not args.keep:
            client.drop_database(database)
        client.close()
        shutil.rmtree(checkpoint, ignore_errors=True)

    raw_eps, stream_eps = args.events / raw_s, args.events / stream_s
    print(f"produce (aiokafka, acks=all)     : {args.events / produce_s:>10,.0f} events/s  ({produce_s:.2f} s)")
    print(f"raw consume (aiokafka, baseline) : {raw_eps:>10,.0f} events/s  ({raw_s:.2f} s)")
    print(f"streaming job Kafka -> MongoDB   : {stream_eps:>10,.0f} events/s  ({stream_s:.2f} s from query start, "
          f"{len(batches)} non-empty batches in recent progress)")
    steady = batches[1:]  # the first batch also pays for JVM/Python-worker warm-up and code generation
    if steady:
        steady_eps = sum(p["numInputRows"] for p in steady) / (sum(p["durationMs"]["triggerExecution"]
                                                                   for p in steady) / 1000)
        median_ms = statistics.median(p["durationMs"]["triggerExecution"] for p in steady)
        print(f"  steady state (batches 2..{len(batches)})  : {steady_eps:>10,.0f} events/s  "
              f"(median batch {median_ms / 1000:.1f} s for {steady[0]['numInputRows']:,} rows; first batch "
              f"{batches[0]['durationMs']['triggerExecution'] / 1000:.1f} s)")
    print(f"ratio streaming / raw consume    : {stream_eps / raw_eps:>10.3f}")
    met = "met" if stream_eps >= GOAL_EVENTS_PER_S else "NOT met"
    print(f"goal >= {GOAL_EVENTS_PER_S:,} events/s          : {met}")
    if not latencies:
        print("latency: no event became visible")
        return 1
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"latency produce -> user_profiles : p50 {p50:.2f} s  p95 {p95:.2f} s  max {latencies[-1]:.2f} s "
          f"({len(latencies)}/{args.latency_events} events at {args.latency_rate:g}/s)")
    print(f"goal p95 <= {GOAL_P95_S:g} s                : {'met' if p95 <= GOAL_P95_S else 'NOT met'}")
    return 0
