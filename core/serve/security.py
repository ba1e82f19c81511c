"""Who may call: bearer API keys (compared as SHA-256 digests, in constant time) and a request size limit."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .config import ServeConfig, hash_key
from .errors import ApiError, error_body

__all__ = ["BodyLimit", "Keys"]


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _matches(token: str | None, digests: Sequence[str]) -> bool:
    """Whether ``token`` hashes to one of ``digests`` (every digest compared, in constant time)."""
    digest = hash_key(token) if token is not None else ""
    found = False
    for known in digests:
        found |= hmac.compare_digest(digest.encode(), known.encode())
    return found and token is not None


class Keys:
    """The client and admin key digests of a config (the environment's keys hashed once, at start)."""

    def __init__(self, config: ServeConfig) -> None:
        self.clients = config.auth.client_digests()
        self.admins = config.auth.admin_digests()

    @property
    def open(self) -> bool:
        return not self.clients

    def client(self, request: Request) -> None:
        """Refuse a request without a valid client key (an admin key also serves as one)."""
        if self.open:
            return
        token = _bearer(request)
        if not (_matches(token, self.clients) or _matches(token, self.admins)):
            raise ApiError(
                401,
                "invalid or missing API key: send 'Authorization: Bearer <key>'",
                "invalid_request_error",
                "invalid_api_key",
            )

    def admin(self, request: Request) -> None:
        """Refuse an admin call without the admin key; with no keys at all (loopback only) admin is open."""
        if self.admins:
            if not _matches(_bearer(request), self.admins):
                raise ApiError(401, "this endpoint needs the admin key", "invalid_request_error", "invalid_api_key")
        elif not self.open:
            raise ApiError(
                403,
                "admin endpoints are off: no admin key is configured (auth.admin_key or auth.admin_key_env)",
                "permission_error",
                "admin_disabled",
            )


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets a 413 (by its Content-Length, or as it streams in)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        message = f"request body over the limit of {self.limit} bytes (limits.max_request_bytes)"
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            return await JSONResponse(error_body(message, "invalid_request_error", "request_too_large"), 413)(
                scope, receive, send
            )
        seen = 0

        async def limited() -> dict[str, Any]:
            nonlocal seen
            event = await receive()
            if event["type"] == "http.request":
                seen += len(event.get("body", b""))
                if seen > self.limit:
                    raise ApiError(413, message, "invalid_request_error", "request_too_large")
            return event

        await self.app(scope, limited, send)
