"""``movierecs up | down | status``: the local stack on 127.0.0.1."""

from __future__ import annotations

import argparse

from movierecs.contract import DEAD_LETTER_TOPIC
from movierecs.logs import configure_logging
from movierecs.settings import ConnectionSettings
from movierecs.stack.manager import LocalStack, StackSettings, create_topics, status_json
from movierecs.stack.servers import ServerError


def register(subparsers: argparse._SubParsersAction) -> None:
    up = subparsers.add_parser("up", help="start the local stack (broker, mongod, streaming job, model, API)")
    up.set_defaults(func=up_command)
    down = subparsers.add_parser("down", help="stop what `up` started")
    down.set_defaults(func=down_command)
    status = subparsers.add_parser("status", help="show each component of the local stack")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=status_command)


def build_stack() -> LocalStack:
    settings = StackSettings()
    stack = LocalStack(settings)
    topic = ConnectionSettings().events_topic
    stack.after_start["broker"] = lambda: create_topics(
        stack.broker.address, [topic, DEAD_LETTER_TOPIC], settings.events_partitions
    )
    return stack


def up_command(_: argparse.Namespace) -> int:
    configure_logging("WARNING")
    stack = build_stack()
    try:
        stack.up()
    except (ServerError, RuntimeError) as exc:
        print(f"error: {exc}")
        return 1
    api = stack.api().address
    print(f"\nAPI        {api}  (docs {api}/docs, metrics {api}/metrics)")
    print(f"Kafka      {stack.broker.address}   MongoDB {stack.mongo.uri}")
    print(f"State      {stack.state_dir} (logs in {stack.state_dir / 'logs'}); stop with `movierecs down`")
    return 0


def down_command(_: argparse.Namespace) -> int:
    build_stack().down()
    return 0


def status_command(args: argparse.Namespace) -> int:
    stack = build_stack()
    if args.json:
        print(status_json(stack))
        return 0
    rows = stack.status()
    for row in rows:
        pid = row["pid"] if row["pid"] is not None else "-"
        print(f"{row['name']:<10} {row['state']:<20} {row['address']:<45} pid {pid}")
    return 0 if all(str(r["state"]).startswith("running") for r in rows) else 3
