"""The ``movierecs`` console script. Each feature registers its own subcommands here."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

# Modules exposing ``register(subparsers)``; each adds subcommands whose handler is ``args.func(args) -> int``.
# Imported lazily so ``movierecs status`` does not pay for torch or pyspark.
COMMAND_MODULES: tuple[str, ...] = (
    "movierecs.stack.commands",
    "movierecs.api.commands",
    "movierecs.bench.commands",
    "movierecs.model.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="movierecs", description="movie-recs: real-time movie recommendations")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        register: Callable[[argparse._SubParsersAction], None] = importlib.import_module(module_name).register
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
