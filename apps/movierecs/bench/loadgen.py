"""An open-loop HTTP load generator, run as its own process: ``python -m movierecs.bench.loadgen``.

Requests are *scheduled* at a fixed rate and latency is measured from the scheduled time, so a slow server cannot
hide its queueing delay by slowing the client down (no coordinated omission). Prints one JSON line of results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


async def run(url: str, method: str, body_template: str | None, users: int, rate: float, duration_s: float,
              connections: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    total = int(rate * duration_s)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        semaphore = asyncio.Semaphore(connections * 4)

        async def one(i: int, scheduled: float) -> None:
            nonlocal errors
            async with semaphore:
                content = body_template.replace("{user}", f"u{1 + i % users}") if body_template else None
                try:
                    response = await client.request(method, url, content=content,
                                                    headers={"content-type": "application/json"})
                    if response.status_code >= 400:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - scheduled)

        start = time.perf_counter() + 0.2
        tasks = []
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {"requests": total, "errors": errors, "achieved_rps": total / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default=None, help="request body; {user} becomes u1..u<users>")
    parser.add_argument("--users", type=int, default=943)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.method, args.body, args.users, args.rate, args.duration,
                             args.connections))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
