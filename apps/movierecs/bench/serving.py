"""``movierecs bench serving``: POST /recommend against a bare endpoint of the same server, in the same run.

1. Maximum throughput with wrk (a C load generator in its own process) on ``GET /healthz`` (bare) and on
   ``POST /recommend`` over the MovieLens users; the ratio recommend/bare.
2. Latency p50/p99 of ``POST /recommend`` at half the measured maximum rate, with an open-loop generator
   (``movierecs.bench.loadgen``) in another process.
Needs the local stack with data and a model (``make up``); the API under test is started here with its settings.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from movierecs.bench.server import api_server
from movierecs.settings import ConnectionSettings

LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = '{"user_id": "u' .. (counter % {users} + 1) .. '", "k": 10}'
  return wrk.format("POST", "/recommend", {["content-type"] = "application/json"}, body)
end
"""


def register(benches: argparse._SubParsersAction) -> None:
    parser = benches.add_parser("serving", help="POST /recommend vs a bare endpoint (needs `make up`)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=943, help="user ids u1..uN (MovieLens-100K has 943)")
    parser.set_defaults(func=run)


def wrk(url: str, duration: int, connections: int, script: Path | None = None) -> float:
    argv = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", url]
    if script is not None:
        argv[1:1] = ["-s", str(script)]
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} failed requests during the wrk run on {url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return float(match.group(1))


def open_loop(url: str, rate: float, duration: int, users: int) -> dict[str, float]:
    argv = [sys.executable, "-m", "movierecs.bench.loadgen", f"{url}/recommend", "--method", "POST",
            "--body", '{"user_id": "{user}", "k": 10}', "--users", str(users), "--rate", str(rate),
            "--duration", str(duration)]
    return json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def run(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk")
        return 2
    settings = ConnectionSettings()
    env = {"MOVIERECS_MONGO_URI": settings.mongo_uri, "MOVIERECS_MODEL_DIR": str(settings.model_dir.resolve()),
           "MOVIERECS_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}
    with tempfile.TemporaryDirectory() as tmp, api_server(env, require_ready=True) as server:
        url = server.url
        script = Path(tmp) / "recommend.lua"
        script.write_text(LUA.replace("{users}", str(args.users)))
        wrk(f"{url}/healthz", 2, args.connections)  # warm-up
        wrk(url, 2, args.connections, script)
        bare = wrk(f"{url}/healthz", args.duration, args.connections)
        rec = wrk(url, args.duration, args.connections, script)
        half = open_loop(url, rec / 2, args.duration, args.users)
    print(f"serving benchmark: wrk -t1 -c{args.connections} -d{args.duration}s, users u1..u{args.users}")
    print(f"GET /healthz (bare)   : {bare:>9,.0f} req/s")
    print(f"POST /recommend       : {rec:>9,.0f} req/s")
    print(f"ratio recommend/bare  : {rec / bare:>9.2f}   (goal >= 0.5)")
    print(f"at half max ({half['achieved_rps']:,.0f} req/s, open loop): p50 {half['p50_ms']:.1f} ms, "
          f"p99 {half['p99_ms']:.1f} ms, errors {half['errors']}   (goal p99 <= 15 ms)")
    return 0
