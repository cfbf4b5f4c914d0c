"""``movierecs up | down | status``: the local stack on 127.0.0.1."""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import Any

import pymongo

from movierecs.contract import DEAD_LETTER_TOPIC, Collections
from movierecs.logs import configure_logging
from movierecs.settings import ConnectionSettings
from movierecs.stack.manager import LocalStack, StackSettings, create_topics, run_step, status_json
from movierecs.stack.servers import ServerError


def register(subparsers: argparse._SubParsersAction) -> None:
    up = subparsers.add_parser("up", help="start the local stack (broker, mongod, streaming job, model, API)")
    up.add_argument("--no-bootstrap", action="store_true",
                    help="skip loading MovieLens and training a first model on first run")
    up.set_defaults(func=up_command)
    down = subparsers.add_parser("down", help="stop what `up` started")
    down.set_defaults(func=down_command)
    status = subparsers.add_parser("status", help="show each component of the local stack")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=status_command)


def build_stack(bootstrap: bool = True) -> LocalStack:
    settings = StackSettings()
    stack = LocalStack(settings)
    topic = ConnectionSettings().events_topic

    def after_broker(started: bool) -> None:
        if started:
            # The local broker keeps topics in memory: a fresh broker has none, so offsets in an old checkpoint
            # would point past the end. Start the job afresh; the MongoDB writes are idempotent by event_id.
            shutil.rmtree(stack.checkpoint_dir, ignore_errors=True)
        create_topics(stack.broker.address, [topic, DEAD_LETTER_TOPIC], settings.events_partitions)

    stack.after_start["broker"] = after_broker
    if bootstrap:
        stack.after_start["streaming"] = lambda _: bootstrap_data(stack)
    return stack


def bootstrap_data(stack: LocalStack) -> None:
    """First run only: a first model, then the MovieLens catalog + ratings replayed through Kafka.

    The model is trained first (from the MovieLens files, not from the replay) because Spark processing the replay
    takes both cores: trained alongside it, training ran into its time budget and kept a weaker stage.
    """
    from movierecs.model.artifact import current_version_path  # torch: only paid for by `up`

    env = stack.service_env()
    logs = stack.state_dir / "logs"
    client: pymongo.MongoClient[dict[str, Any]]
    with pymongo.MongoClient(stack.mongo.uri, serverSelectionTimeoutMS=5000) as client:
        db: pymongo.database.Database[dict[str, Any]] = client.get_database(ConnectionSettings().mongo_db)
        # Empty `events` also covers a restarted broker (in-memory: the replayed ratings are gone). A replay
        # while the first is still being processed is harmless: the streaming job is idempotent by event_id.
        needs_data = db[Collections.EVENTS].estimated_document_count() == 0
    if current_version_path(stack.state_dir / "models") is None:
        print("bootstrap  training a first model on MovieLens-100K (about 30 s) ...")
        run_step("train", [sys.executable, "-m", "movierecs", "train", "--source", "movielens", "--no-progress"],
                 env, logs / "train.log")
    if needs_data:
        print("bootstrap  loading MovieLens-100K: catalog into MongoDB, 100k ratings replayed through Kafka ...")
        run_step("load-movielens", [sys.executable, "-m", "movierecs", "load-movielens", "--no-progress"], env,
                 logs / "load-movielens.log")


def up_command(args: argparse.Namespace) -> int:
    configure_logging("WARNING")
    stack = build_stack(bootstrap=not args.no_bootstrap)
    try:
        stack.up()
    except (ServerError, RuntimeError) as exc:
        print(f"error: {exc}")
        return 1
    api = stack.api().address
    print(f"\nAPI        {api}  (docs {api}/docs, metrics {api}/metrics)")
    print(f"Kafka      {stack.broker.address}   MongoDB {stack.mongo.uri}   Spark metrics {stack.streaming().address}")
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
