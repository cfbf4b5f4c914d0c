"""``movierecs train``, ``movierecs evaluate`` and ``movierecs load-movielens``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from movierecs.logs import configure_logging
from movierecs.model.settings import TrainerSettings, trainer_settings

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train the recommender and publish a new model version")
    train.add_argument("--source", choices=["mongo", "movielens"], default="mongo",
                       help="interactions from MongoDB `events` (default) or straight from a MovieLens dataset")
    train.add_argument("--path", type=Path, help="MovieLens directory (default: the bundled ML-100K)")
    _training_options(train)
    train.add_argument("--model-dir", type=Path, help="model directory (default: MOVIERECS_MODEL_DIR)")
    train.add_argument("--keep", type=int, help="versions to keep (default: MOVIERECS_KEEP_VERSIONS)")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("evaluate", help="both offline protocols on MovieLens; JSON + PNG report")
    evaluate.add_argument("--path", type=Path, help="MovieLens directory (default: the bundled ML-100K)")
    evaluate.add_argument("--out-dir", type=Path, help="report directory (default: MOVIERECS_REPORTS_DIR)")
    _training_options(evaluate)
    evaluate.set_defaults(func=run_evaluate)

    load = subparsers.add_parser("load-movielens", help="catalog into MongoDB, ratings replayed as Kafka events")
    load.add_argument("--path", type=Path, help="MovieLens directory (default: the bundled ML-100K)")
    load.add_argument("--limit", type=int, default=0, help="only the oldest N ratings (0 = all)")
    load.add_argument("--batch-size", type=int, default=1000, help="events per awaited producer batch")
    load.add_argument("--rate", type=float, default=0.0, help="max events per second (0 = unlimited)")
    load.add_argument("--no-catalog", action="store_true", help="skip writing the `movies` collection")
    load.add_argument("--no-events", action="store_true", help="skip replaying ratings to Kafka")
    load.add_argument("--no-progress", action="store_true")
    load.set_defaults(func=run_load_movielens)


def _training_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="random seed (default: MOVIERECS_SEED)")
    parser.add_argument("--threads", type=int, help="torch threads (default: MOVIERECS_TORCH_THREADS)")
    parser.add_argument("--max-epochs", type=int, help="upper bound on epochs (early stopping usually ends first)")
    parser.add_argument("--time-budget", type=float, help="seconds of training before stopping")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _config(settings: TrainerSettings, args: argparse.Namespace) -> Any:
    from movierecs.model.training import TrainConfig

    config = TrainConfig(
        seed=args.seed if args.seed is not None else settings.seed,
        threads=args.threads or settings.torch_threads,
        time_budget_s=args.time_budget or settings.train_time_budget_s,
    )
    return replace(config, max_epochs=args.max_epochs) if args.max_epochs is not None else config


def run_train(args: argparse.Namespace) -> int:
    settings = trainer_settings()
    configure_logging(settings.log_level)
    from movierecs.data.movielens import DatasetError

    try:
        interactions, data_info = _training_data(settings, args)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if interactions.empty:
        print(
            f"error: no events in {settings.mongo_db}.events — run `movierecs load-movielens` (and the streaming "
            "job) first, or train with `--source movielens`",
            file=sys.stderr,
        )
        return 2
    try:
        path = train_and_publish(
            interactions, data_info, _config(settings, args), args.model_dir or settings.model_dir,
            keep=args.keep or settings.keep_versions, progress=not args.no_progress,
        )
    except ValueError as exc:  # too little data to train on
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"published {path.name} -> {path}")
    return 0


def _training_data(settings: TrainerSettings, args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    if args.source == "movielens":
        from movierecs.data.movielens import load_movielens

        dataset = load_movielens(args.path)
        return dataset.ratings, {**dataset.describe(), "source": "movielens"}
    import pymongo

    from movierecs.data.events_source import read_interactions

    client: pymongo.MongoClient = pymongo.MongoClient(settings.mongo_uri, serverSelectionTimeoutMS=10_000)
    try:
        interactions = read_interactions(client[settings.mongo_db])
    finally:
        client.close()
    return interactions, {"source": "mongodb", "database": settings.mongo_db, "collection": "events"}


def train_and_publish(
    interactions: Any, data_info: dict[str, Any], config: Any, model_dir: Path, keep: int = 5,
    progress: bool = True,
) -> Path:
    """Train on an interaction frame and publish the result as the new ``current`` version."""
    from movierecs.contract import PROFILE_RECENT_LIMIT
    from movierecs.model.artifact import publish_model
    from movierecs.model.training import learned_weighting, train_model

    result = train_model(interactions, config, progress=progress)
    metadata = {
        "data": {
            **data_info,
            "interactions": len(interactions),
            "users": int(interactions["user_id"].nunique()),
            "movies": len(result.vocab),
            "newest_event_at": float(interactions["timestamp"].max()),
        },
        "metrics": {"val_ndcg_at_10": result.best_val_ndcg, "validation": config.val_holdout},
        "hyperparameters": {**config.to_dict(), "item_item_lambda": result.item_item_lambda},
        "training": {"seconds": round(result.seconds, 2), "best_epoch": result.best_epoch,
                     "best_stage": result.best_stage,
                     "epochs_run": result.epochs_run, "stopped_by": result.stopped_by,
                     "learned_weighting": learned_weighting(result.model), "curve": result.curve},
    }
    path = publish_model(model_dir, result.model, result.vocab, max_history=PROFILE_RECENT_LIMIT,
                         extra_metadata=metadata, keep=keep)
    logger.info("model published", extra={"version": path.name, "seconds": result.seconds})
    return path


def _dataset_or_report(path: Any) -> Any:
    """The MovieLens dataset at ``path`` (bundled when None), or None after printing why it cannot be read."""
    from movierecs.data.movielens import DatasetError, load_movielens

    try:
        return load_movielens(path)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def run_evaluate(args: argparse.Namespace) -> int:
    settings = trainer_settings()
    configure_logging(settings.log_level)
    from movierecs.model.evaluation import evaluate_movielens
    from movierecs.model.report import build_report, format_table, write_report

    dataset = _dataset_or_report(args.path)
    if dataset is None:
        return 2
    config = _config(settings, args)
    started = time.perf_counter()
    results = evaluate_movielens(dataset.ratings, config, progress=not args.no_progress)
    print(format_table(results))
    report = build_report(results, dataset.describe(), config.to_dict(), " ".join(["movierecs", *sys.argv[1:]]))
    report["seconds"] = round(time.perf_counter() - started, 1)
    json_path, png_path = write_report(report, results, args.out_dir or settings.reports_dir)
    print(f"report: {json_path}\nchart:  {png_path}")
    return 0


def run_load_movielens(args: argparse.Namespace) -> int:
    settings = trainer_settings()
    configure_logging(settings.log_level)
    import pymongo

    from movierecs.data.replay import publish_events, rating_events, write_catalog

    dataset = _dataset_or_report(args.path)
    if dataset is None:
        return 2
    if not args.no_catalog:
        client: pymongo.MongoClient = pymongo.MongoClient(settings.mongo_uri, serverSelectionTimeoutMS=10_000)
        try:
            written = write_catalog(client[settings.mongo_db], dataset.movies)
        finally:
            client.close()
        print(f"catalog: {written} movies upserted into {settings.mongo_db}.movies")
    if not args.no_events:
        ratings = dataset.ratings.sort_values("timestamp", kind="mergesort")
        if args.limit:
            ratings = ratings.head(args.limit)
        events = list(rating_events(ratings))
        sent = asyncio.run(publish_events(
            events, settings.kafka_bootstrap_servers, settings.events_topic, batch_size=args.batch_size,
            max_per_second=args.rate, idempotence=settings.kafka_idempotence,
            request_timeout_ms=settings.kafka_request_timeout_ms, progress=not args.no_progress,
        ))
        print(f"events: {sent} ratings published to {settings.events_topic}")
    return 0
