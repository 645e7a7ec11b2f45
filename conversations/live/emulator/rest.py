"""Plain HTTP on the emulator's port: token minting, faults and ground truth."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .tokens import MintError, issue_token, token_resource

if TYPE_CHECKING:
    from .server import LiveEmulator

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "INVALID_ARGUMENT",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @classmethod
    def build(
        cls, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> HttpRequest:
        path, _, query = target.partition("?")
        return cls(method, path, parse_qs(query), headers, body)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: dict[str, Any]

    def encode(self) -> bytes:
        return json.dumps(self.body).encode()


def error(status: int, message: str) -> HttpResponse:
    """A Google-style JSON error body."""
    return HttpResponse(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "status": STATUS_NAMES.get(status, HTTPStatus(status).phrase.upper()),
            }
        },
    )


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (UnicodeDecodeError, ValueError) as exc:
        raise MintError(400, "Invalid JSON payload received.") from exc


def route(emulator: LiveEmulator, request: HttpRequest) -> HttpResponse:
    """Answer one HTTP request."""
    routes = {
        "/v1alpha/auth_tokens": ("POST", _mint),
        "/emulator/faults": ("POST", _faults),
        "/emulator/sessions": ("GET", _sessions),
        "/emulator/loop_lag": ("GET", _loop_lag),
    }
    if request.path not in routes:
        return error(404, f"No route for {request.path}.")
    method, handler = routes[request.path]
    if request.method != method:
        return error(405, f"{request.path} accepts {method} only.")
    try:
        return handler(emulator, request)
    except MintError as exc:
        return error(exc.status, exc.message)


def _mint(emulator: LiveEmulator, request: HttpRequest) -> HttpResponse:
    key = request.headers.get("x-goog-api-key") or (request.query.get("key") or [""])[0]
    if not key:
        return error(
            401, "Method doesn't allow unregistered callers. Please use an API key."
        )
    if key not in emulator.config.api_keys:
        return error(403, "API key not valid. Please pass a valid API key.")
    ledger = emulator.tokens
    if ledger.failing_mints > 0:
        ledger.failing_mints -= 1
        return error(503, "The service is currently unavailable.")
    token = issue_token(_json_body(request), ledger)
    return HttpResponse(200, token_resource(token))


def _faults(emulator: LiveEmulator, request: HttpRequest) -> HttpResponse:
    body = _json_body(request)
    try:
        return HttpResponse(200, emulator.apply_fault(body))
    except ValueError as exc:
        return error(400, str(exc))


def _sessions(emulator: LiveEmulator, request: HttpRequest) -> HttpResponse:
    return HttpResponse(200, emulator.ground_truth())


def _loop_lag(emulator: LiveEmulator, request: HttpRequest) -> HttpResponse:
    """The loop lag since the last reset; ``?reset=1`` starts a new count."""
    summary = emulator.loop_lag.summary()
    if request.query.get("reset") == ["1"]:
        emulator.loop_lag.reset()
    return HttpResponse(200, summary)
