"""Caps every request body before any route parses it: 413 in the API's error shape.

A declared Content-Length over the cap is refused before the body is read; a body that streams past the cap (no
or a dishonest Content-Length) raises an HTTP 413 from ``receive``: an ``HTTPException``, because FastAPI's own
body parsing lets only those through (anything else becomes a 400), and the error handlers render it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from movierecs.api.errors import PayloadTooLarge, error_response


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"request body exceeds {self.max_bytes} bytes"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(PayloadTooLarge.status_code, PayloadTooLarge.code, message)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(PayloadTooLarge.status_code, message)
            return incoming

        await self.app(scope, counting_receive, send)
