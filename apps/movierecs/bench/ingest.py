"""``movierecs bench ingest``: events/s through ``POST /events`` against raw aiokafka produce, same broker, same run.

Both sides send the same events in the same batch size with acks=all, and wait for every acknowledgement.
The API runs in its own process (started here, on a topic of the benchmark's own, so real data stays clean);
request bodies are encoded before the clock starts, so the load generator's own JSON work is not counted.
The two sides alternate for ``--rounds`` rounds and the median of each is reported: on a small shared machine a
single short run swings by ±20 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import httpx
from aiokafka import AIOKafkaProducer

from movierecs.api.publisher import PARTITIONER, records_by_partition, send_record_batches
from movierecs.bench.server import api_server
from movierecs.contract import Action, EventIn
from movierecs.settings import ConnectionSettings


def register(benches: argparse._SubParsersAction) -> None:
    parser = benches.add_parser("ingest", help="POST /events throughput vs raw Kafka produce")
    parser.add_argument("--events", type=int, default=100_000, help="events per side and round")
    parser.add_argument("--batch", type=int, default=500, help="events per request / per producer flush")
    parser.add_argument("--concurrency", type=int, default=4, help="requests (or batches) in flight")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the median is reported")
    parser.set_defaults(func=run)


def make_batches(total: int, batch: int) -> list[list[EventIn]]:
    events = [
        EventIn(user_id=f"bench{i % 997}", movie_id=f"m{i % 1682}", action=Action.RATE if i % 3 else Action.VIEW,
                rating=float(1 + i % 5) if i % 3 else None)
        for i in range(total)
    ]
    return [events[i:i + batch] for i in range(0, total, batch)]


async def bench_api(url: str, batches: list[list[EventIn]], concurrency: int) -> float:
    bodies = [json.dumps([e.model_dump(mode="json", exclude_none=True) for e in b]).encode() for b in batches]
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await client.post("/events", content=bodies[0], headers=headers)  # warm-up: producer connected, paths hot
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)

        async def worker() -> None:
            while not queue.empty():
                response = await client.post("/events", content=queue.get_nowait(), headers=headers)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def bench_raw(bootstrap: str, topic: str, batches: list[list[EventIn]], concurrency: int,
                    record_batches: bool) -> float:
    """Produce straight to Kafka: one ``send()`` per event, or the API's own record-batch path."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5,
                                partitioner=PARTITIONER)
    await producer.start()
    try:
        wire = [[e.complete() for e in b] for b in batches]
        await producer.send_and_wait(topic, wire[0][0].to_kafka_value(), key=wire[0][0].kafka_key())
        partitions = sorted(await producer.partitions_for(topic))
        queue: asyncio.Queue[list] = asyncio.Queue()
        for batch in wire:
            queue.put_nowait(batch)

        async def worker() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                if record_batches:
                    futures = await send_record_batches(producer, topic, records_by_partition(batch, partitions))
                else:
                    futures = [await producer.send(topic, e.to_kafka_value(), key=e.kafka_key()) for e in batch]
                await asyncio.gather(*futures)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started
    finally:
        await producer.stop()


def run(args: argparse.Namespace) -> int:
    settings = ConnectionSettings()
    bootstrap = settings.kafka_bootstrap_servers
    topic = f"movierecs.bench.ingest.{uuid.uuid4().hex[:8]}"
    batches = make_batches(args.events, args.batch)
    print(f"ingest benchmark: {args.events:,} events per side and round, batches of {args.batch}, "
          f"{args.concurrency} in flight, {args.rounds} rounds, broker {bootstrap}, topic {topic}")
    env = {"MOVIERECS_EVENTS_TOPIC": topic, "MOVIERECS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "MOVIERECS_MONGO_URI": settings.mongo_uri}
    rates: dict[str, list[float]] = {"send": [], "batches": [], "api": []}
    api_cpu_s = 0.0
    with api_server(env) as server:
        for round_no in range(1, args.rounds + 1):
            for side in ("send", "batches"):
                seconds = asyncio.run(bench_raw(bootstrap, f"{topic}.raw-{side}", batches, args.concurrency,
                                                record_batches=side == "batches"))
                rates[side].append(args.events / seconds)
            cpu_before = server.cpu_seconds()
            rates["api"].append(args.events / asyncio.run(bench_api(server.url, batches, args.concurrency)))
            api_cpu_s += server.cpu_seconds() - cpu_before
            print(f"  round {round_no}: " + "   ".join(f"{side} {r[-1]:>9,.0f}/s" for side, r in rates.items()))
    send_eps, batches_eps, api_eps = (statistics.median(rates[side]) for side in ("send", "batches", "api"))
    print(f"raw produce, send() per event     : {send_eps:>10,.0f} events/s  (median; what a plain client does)")
    print(f"raw produce, record batches       : {batches_eps:>10,.0f} events/s  (median; the API's own Kafka path)")
    print(f"POST /events (API, HTTP+validate) : {api_eps:>10,.0f} events/s  (median; server CPU "
          f"{1e6 * api_cpu_s / (args.events * args.rounds):.0f} us/event)")
    print(f"ratio API / raw send()            : {api_eps / send_eps:>10.2f}   (goal >= 0.5)")
    print(f"ratio API / raw record batches    : {api_eps / batches_eps:>10.2f}   (the cost of HTTP and validation)")
    return 0
