"""``movierecs bench freshness``: from ``POST /events`` to recommendations that reflect the event, via the pipeline.

Each trial takes a brand-new user, asks for recommendations (popular list), then sends a view of the top pick
through the API. The event travels API -> Kafka -> Spark -> ``user_profiles``; the trial ends when
``POST /recommend`` (with no request events) no longer offers that movie, because it is now in the user's seen set.
Needs the whole local stack (``make up``).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import httpx

from movierecs.bench.loadgen import percentile


def register(benches: argparse._SubParsersAction) -> None:
    parser = benches.add_parser("freshness", help="event -> reflected in recommendations (needs `make up`)")
    parser.add_argument("--api-url", default="http://127.0.0.1:8000")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=30.0, help="give up on one trial after this long")
    parser.set_defaults(func=run)


def one_trial(client: httpx.Client, timeout_s: float) -> float:
    user = f"fresh-{uuid.uuid4().hex[:10]}"
    before = client.post("/recommend", json={"user_id": user, "k": 10}).raise_for_status().json()
    movie = before["recommendations"][0]
    sent = time.perf_counter()
    client.post("/events", json={"user_id": user, "movie_id": movie, "action": "view"}).raise_for_status()
    while time.perf_counter() - sent < timeout_s:
        after = client.post("/recommend", json={"user_id": user, "k": 10}).raise_for_status().json()
        if movie not in after["recommendations"]:
            return time.perf_counter() - sent
        time.sleep(0.02)
    raise TimeoutError(f"event for {user} not reflected within {timeout_s}s")


def run(args: argparse.Namespace) -> int:
    with httpx.Client(base_url=args.api_url, timeout=10) as client:
        client.get("/readyz").raise_for_status()
        seconds = sorted(one_trial(client, args.timeout) for _ in range(args.trials))
    print(f"freshness benchmark: {args.trials} trials, POST /events -> Kafka -> Spark -> MongoDB -> /recommend")
    print(f"p50 {percentile(seconds, 50):.2f} s   p95 {percentile(seconds, 95):.2f} s   "
          f"max {seconds[-1]:.2f} s   mean {statistics.mean(seconds):.2f} s   (goal p95 <= 3 s)")
    return 0
