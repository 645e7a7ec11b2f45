"""A WebSocket handshake is accepted only from this site's own origin."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from config.origins import same_origin
from conversations import services
from tests.conversations.sockets import open_socket

SITE = "http://127.0.0.1:8000"


def handshake(origin: str | None, host: str = "127.0.0.1:8000", **scope) -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "headers": headers, **scope}


def test_the_sites_own_origin_is_accepted():
    assert same_origin(handshake(SITE))


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port
        "https://127.0.0.1:8000",  # another scheme
        "http://127.0.0.1",  # the default port is another port
        "http://localhost:3000",  # an allowed host, but not this site's
        "chrome-extension://127.0.0.1",
        "https://evil.example",
        "null",
    ],
)
def test_any_other_scheme_host_or_port_is_refused(origin):
    assert not same_origin(handshake(origin))


def test_a_handshake_without_an_origin_is_refused():
    assert not same_origin(handshake(None))


def test_a_host_outside_allowed_hosts_is_refused_even_when_origin_matches_it():
    assert not same_origin(handshake("http://evil.example", host="evil.example"))


def test_a_tls_handshake_takes_the_https_origin():
    assert same_origin(handshake("https://127.0.0.1:8000", scheme="wss"))
    assert not same_origin(handshake(SITE, scheme="wss"))


def test_without_a_host_header_the_server_address_is_the_host():
    scope = {
        "type": "websocket",
        "headers": [(b"origin", SITE.encode())],
        "server": ("127.0.0.1", 8000),
    }
    assert same_origin(scope)


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    scope = handshake("https://127.0.0.1:8000")
    scope["headers"].append((b"x-forwarded-proto", b"https"))
    assert same_origin(scope)


def test_a_csrf_trusted_origin_is_accepted(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    assert same_origin(handshake("https://app.example.com"))


def test_a_wildcard_csrf_trusted_origin_covers_its_subdomains(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]
    assert same_origin(handshake("https://eu.example.com"))
    assert not same_origin(handshake("http://eu.example.com"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",
        "https://127.0.0.1:8000",
        "http://localhost:3000",
        "chrome-extension://127.0.0.1",
    ],
)
async def test_the_socket_refuses_an_allowed_host_on_another_scheme_or_port(
    user, origin
):
    conversation = await sync_to_async(services.create_conversation)(
        owner=user, title="Origins", mode="text"
    )
    communicator, connected = await open_socket(
        conversation, user, origin=(b"origin", origin.encode())
    )
    assert not connected
