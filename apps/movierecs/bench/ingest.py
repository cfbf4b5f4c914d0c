"""``movierecs bench ingest``: events/s through ``POST /events`` against raw aiokafka produce, same broker, same run.

Both sides send the same events in the same batch size with acks=all, and wait for every acknowledgement.
The API runs in its own process (started here, on a topic of the benchmark's own, so real data stays clean).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import httpx
from aiokafka import AIOKafkaProducer

from movierecs.bench.server import api_server
from movierecs.contract import Action, EventIn
from movierecs.settings import ConnectionSettings


def register(benches: argparse._SubParsersAction) -> None:
    parser = benches.add_parser("ingest", help="POST /events throughput vs raw Kafka produce")
    parser.add_argument("--events", type=int, default=50_000, help="events per side")
    parser.add_argument("--batch", type=int, default=500, help="events per request / per producer flush")
    parser.add_argument("--concurrency", type=int, default=4, help="requests (or batches) in flight")
    parser.set_defaults(func=run)


def make_batches(total: int, batch: int) -> list[list[EventIn]]:
    events = [
        EventIn(user_id=f"bench{i % 997}", movie_id=f"m{i % 1682}", action=Action.RATE if i % 3 else Action.VIEW,
                rating=float(1 + i % 5) if i % 3 else None)
        for i in range(total)
    ]
    return [events[i:i + batch] for i in range(0, total, batch)]


async def bench_api(url: str, batches: list[list[EventIn]], concurrency: int) -> float:
    bodies = [[e.model_dump(mode="json", exclude_none=True) for e in b] for b in batches]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await client.post("/events", json=bodies[0])  # warm-up: producer connected, code paths hot
        queue: asyncio.Queue[list[dict]] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)

        async def worker() -> None:
            while not queue.empty():
                response = await client.post("/events", json=queue.get_nowait())
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def bench_raw(bootstrap: str, topic: str, batches: list[list[EventIn]], concurrency: int) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5)
    await producer.start()
    try:
        wire = [[e.complete() for e in b] for b in batches]
        await producer.send_and_wait(topic, wire[0][0].to_kafka_value(), key=wire[0][0].kafka_key())
        queue: asyncio.Queue[list] = asyncio.Queue()
        for batch in wire:
            queue.put_nowait(batch)

        async def worker() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                futures = [await producer.send(topic, e.to_kafka_value(), key=e.kafka_key()) for e in batch]
                await asyncio.gather(*futures)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started
    finally:
        await producer.stop()


def run(args: argparse.Namespace) -> int:
    settings = ConnectionSettings()
    topic = f"movierecs.bench.ingest.{uuid.uuid4().hex[:8]}"
    batches = make_batches(args.events, args.batch)
    print(f"ingest benchmark: {args.events} events per side, batches of {args.batch}, "
          f"{args.concurrency} in flight, broker {settings.kafka_bootstrap_servers}, topic {topic}")
    raw_s = asyncio.run(bench_raw(settings.kafka_bootstrap_servers, topic + ".raw", batches, args.concurrency))
    env = {"MOVIERECS_EVENTS_TOPIC": topic, "MOVIERECS_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "MOVIERECS_MONGO_URI": settings.mongo_uri}
    with api_server(env) as url:
        api_s = asyncio.run(bench_api(url, batches, args.concurrency))
    raw_eps, api_eps = args.events / raw_s, args.events / api_s
    print(f"raw aiokafka produce : {raw_eps:>10,.0f} events/s  ({raw_s:.2f} s)")
    print(f"POST /events (API)   : {api_eps:>10,.0f} events/s  ({api_s:.2f} s)")
    print(f"ratio API / raw      : {api_eps / raw_eps:>10.2f}   (goal >= 0.5)")
    return 0
