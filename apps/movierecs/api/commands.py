"""``movierecs serve``: run the API with uvicorn."""

from __future__ import annotations

import argparse

from movierecs.logs import configure_logging
from movierecs.settings import api_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP API (uvicorn)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    configure_logging(api_settings().log_level)
    uvicorn.run(
        "movierecs.api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
        log_config=None, access_log=False, proxy_headers=True,
    )
    return 0
