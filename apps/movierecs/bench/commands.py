"""``movierecs bench <name>``: each benchmark module registers its own sub-command here."""

from __future__ import annotations

import argparse
import importlib

BENCH_MODULES: tuple[str, ...] = (
    "movierecs.bench.ingest",
    "movierecs.bench.streaming",
    "movierecs.bench.serving",
    "movierecs.bench.freshness",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark and print its figures")
    benches = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    for module_name in BENCH_MODULES:
        importlib.import_module(module_name).register(benches)
