"""Same-origin WebSocket handshakes, judged exactly as Django's CSRF judges a POST.

A browser sends ``Origin`` on every WebSocket handshake but no CSRF token, so the
origin is the only thing that ties a socket to a page of this site. It must match
the scheme, host and port the handshake came on (the host one of ``ALLOWED_HOSTS``)
or one of ``CSRF_TRUSTED_ORIGINS``: the rule ``CsrfViewMiddleware`` applies to
every unsafe HTTP request, so HTTP and WebSocket accept the same origins.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from channels.security.websocket import WebsocketDenier
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

Scope = dict[str, Any]


class HandshakeRequest(HttpRequest):
    """The parts of a WebSocket handshake that Django's host and origin checks read."""

    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self._secure_transport = scope.get("scheme") in ("wss", "https")
        server = scope.get("server") or ("unknown", 0)
        self.META["SERVER_NAME"] = str(server[0])
        self.META["SERVER_PORT"] = str(server[1])
        headers: dict[str, list[str]] = defaultdict(list)
        for name, value in scope.get("headers", []):
            key = "HTTP_" + name.decode("latin1").upper().replace("-", "_")
            headers[key].append(value.decode("latin1"))
        self.META.update({key: ",".join(values) for key, values in headers.items()})

    def _get_scheme(self) -> str:
        # ``SECURE_PROXY_SSL_HEADER`` (X-Forwarded-Proto) still takes precedence.
        return "https" if self._secure_transport else "http"


def _no_view(request: HttpRequest) -> HttpResponse:
    raise AssertionError("only the origin check of CsrfViewMiddleware is used")


def same_origin(scope: Scope) -> bool:
    """Whether the handshake's ``Origin`` is this site's, as CSRF would see it."""
    request = HandshakeRequest(scope)
    if "HTTP_ORIGIN" not in request.META:
        return False
    # Django's own origin rule (exact origin, or a trusted origin with its
    # wildcards), so a socket is never looser than a form.
    return CsrfViewMiddleware(_no_view)._origin_verified(request)


class SameOriginValidator:
    """Refuse, at the handshake, a WebSocket whose page is not on this site."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and not same_origin(scope):
            await WebsocketDenier.as_asgi()(scope, receive, send)
            return
        await self.application(scope, receive, send)
