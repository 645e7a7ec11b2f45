"""The security matrix: attacks on a running instance, each row what was tried and held.

Real Daphne, real sockets, the emulator over the network. Run with ``-s`` to see
the table. Rows: anonymous and foreign sockets and URLs, origins, CSRF, unknown
socket paths, hostile frames, headers, and secrets in the log at DEBUG.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.integration.socket_client import BrowserSocket
from tests.integration.talk import EMAIL, say

pytestmark = pytest.mark.slow

REFUSED = "HTTP 403"


async def handshake(
    worker, path: str, cookie: str | None = None, origin: str | None = "site"
) -> str:
    """Open a socket as a page would; what the server answered."""
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    try:
        async with connect(
            f"{worker.ws_url}{path}",
            origin=worker.url if origin == "site" else origin,
            additional_headers=headers,
            open_timeout=10,
        ):
            return "accepted"
    except InvalidStatus as refused:
        return f"HTTP {refused.response.status_code}"


def socket_path(public_id: str) -> str:
    return f"/ws/conversations/{public_id}/"


class LogWatch:
    """What a worker logs between two points."""

    def __init__(self, worker) -> None:
        self.worker = worker
        self.start = len(worker.log())

    def troubles(self) -> list[str]:
        added = self.worker.log()[self.start :]
        return [
            line
            for line in added.splitlines()
            if "Traceback" in line or " ERROR " in line or " 500 " in line
        ]


# -- sockets ---------------------------------------------------------------------


async def test_an_anonymous_socket_is_refused(site, matrix):
    with matrix.row("socket", "anonymous, owner's conversation", REFUSED) as row:
        row.seen = await handshake(site.worker, socket_path(site.public_id))
        assert row.seen == REFUSED


async def test_a_strangers_socket_is_refused(site, matrix):
    with matrix.row("socket", "another user, owner's conversation", REFUSED) as row:
        row.seen = await handshake(
            site.worker, socket_path(site.public_id), site.stranger
        )
        assert row.seen == REFUSED


async def test_a_socket_to_a_conversation_that_does_not_exist_is_refused(site, matrix):
    with matrix.row("socket", "owner, a made-up conversation id", REFUSED) as row:
        row.seen = await handshake(
            site.worker, socket_path(str(uuid.uuid4())), site.owner
        )
        assert row.seen == REFUSED


async def test_the_owners_socket_from_the_site_is_accepted(site, matrix):
    with matrix.row("socket", "owner, from the site's origin", "accepted") as row:
        row.seen = await handshake(site.worker, socket_path(site.public_id), site.owner)
        assert row.seen == "accepted"


# -- origins ---------------------------------------------------------------------

FOREIGN_ORIGINS = [
    "http://127.0.0.1:9999",
    "https://127.0.0.1:{port}",
    "http://localhost:{port}",
    "http://localhost:3000",
    "chrome-extension://127.0.0.1",
    "https://evil.example",
    "null",
    None,
]


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_the_owners_socket_from_another_origin_is_refused(site, matrix, origin):
    shown = origin.format(port=site.worker.port) if origin else None
    with matrix.row("origin", f"owner, Origin: {shown or '(none)'}", REFUSED) as row:
        row.seen = await handshake(
            site.worker, socket_path(site.public_id), site.owner, origin=shown
        )
        assert row.seen == REFUSED


# -- unknown socket paths --------------------------------------------------------

UNKNOWN_PATHS = [
    "/ws/conversations/xyz/",
    "/ws/conversations/<ID>/",  # the owner's id in upper case
    "/ws/conversations/<id>",
    "/ws/nowhere/",
]


@pytest.mark.parametrize("template", UNKNOWN_PATHS)
async def test_an_unknown_socket_path_is_refused_without_a_traceback(
    site, matrix, template
):
    path = template.replace("<ID>", site.public_id.upper())
    path = path.replace("<id>", site.public_id)
    with matrix.row(
        "socket path", f"owner, {template}", f"{REFUSED}, nothing logged"
    ) as row:
        log = LogWatch(site.worker)
        status = await handshake(site.worker, path, site.owner)
        troubles = log.troubles()
        row.seen = f"{status}, {len(troubles)} error lines"
        assert status == REFUSED
        assert troubles == []


# -- hostile frames --------------------------------------------------------------

HOSTILE_FRAMES = [
    ("[" * 8000, "invalid_json"),
    ('{"type":"text","text":"\\ud800"}', "invalid_text"),
    ('{"type":"text","text":"a\\u0000b"}', "invalid_text"),
    ('{"type":"hello","last_seq":1e999}', "invalid_last_seq"),
    ('{"type":"hello","last_seq":' + "9" * 5000 + "}", "invalid_json"),
]


@pytest.mark.parametrize(("frame", "code"), HOSTILE_FRAMES)
async def test_a_hostile_frame_gets_its_code_and_no_traceback(
    site, matrix, frame, code
):
    shown = frame if len(frame) < 40 else f"{frame[:20]}… ({len(frame)} chars)"
    with matrix.row("frame", shown, f"error {code}, nothing logged") as row:
        log = LogWatch(site.worker)
        socket = await BrowserSocket.open(site.worker, site.public_id, site.owner)
        if not frame.startswith('{"type":"hello"'):
            await socket.hello()
        await socket.connection.send(frame)
        error = await socket.expect("error")
        await socket.close()
        troubles = log.troubles()
        row.seen = f"error {error['code']}, {len(troubles)} error lines"
        assert error["code"] == code
        assert troubles == []


# -- pages -----------------------------------------------------------------------

PAGES = ["", "export.md", "export.json", "rename/", "delete/"]


@pytest.mark.parametrize("page", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login(site, matrix, page):
    url = f"/conversations/{site.public_id}/{page}"
    shown = f"/conversations/<id>/{page}"
    with matrix.row("URL", f"anonymous GET {shown}", "302 to the login") as row:
        response = httpx.get(f"{site.worker.url}{url}")
        row.seen = f"{response.status_code} {response.headers.get('location', '')}"
        row.seen = row.seen.replace(site.public_id, "<id>")
        assert response.status_code == 302
        assert response.headers["location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", PAGES)
def test_a_stranger_gets_not_found_for_the_owners_pages(site, matrix, page):
    url = f"/conversations/{site.public_id}/{page}"
    shown = f"/conversations/<id>/{page}"
    with matrix.row("URL", f"another user GET {shown}", "404") as row:
        response = httpx.get(
            f"{site.worker.url}{url}", cookies={"sessionid": site.stranger}
        )
        row.seen = str(response.status_code)
        assert response.status_code == 404


@pytest.mark.parametrize("page", ["rename/", "delete/"])
def test_a_stranger_cannot_change_the_owners_conversation(site, matrix, page):
    url = f"/conversations/{site.public_id}/{page}"
    shown = f"/conversations/<id>/{page}"
    with matrix.row("URL", f"another user POST {shown} (with CSRF)", "404") as row:
        with form_client(site, site.stranger) as client:
            response = client.post(url, data={"title": "mine now"})
        row.seen = str(response.status_code)
        assert response.status_code == 404
        assert title_of(site) == "Ada's"


def test_a_non_staff_user_is_kept_out_of_the_admin(site, matrix):
    with matrix.row("URL", "owner (not staff) GET /admin/", "302 to the login") as row:
        response = httpx.get(
            f"{site.worker.url}/admin/", cookies={"sessionid": site.owner}
        )
        row.seen = f"{response.status_code} {response.headers.get('location', '')}"
        assert response.status_code == 302
        assert "/login/" in response.headers["location"]


# -- CSRF ------------------------------------------------------------------------


@contextmanager
def form_client(site, cookie: str, origin: str | None = None) -> Iterator[httpx.Client]:
    """A signed-in client holding a CSRF token, as a page of the site would."""
    with httpx.Client(
        base_url=site.worker.url, cookies={"sessionid": cookie}
    ) as client:
        page = client.get("/conversations/new/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the form"
        client.headers["X-CSRFToken"] = token.group(1)
        client.headers["Origin"] = origin or site.worker.url
        client.headers["Referer"] = f"{site.worker.url}/conversations/new/"
        yield client


def title_of(site) -> str:
    return site.server.run_python_json(
        "import json\n"
        "from conversations.models import Conversation\n"
        f"c = Conversation.objects.get(public_id={site.public_id!r})\n"
        "print(json.dumps(c.title))\n"
    )


def test_a_post_without_a_csrf_token_is_refused(site, matrix):
    with matrix.row("CSRF", "owner POST /conversations/new/, no token", "403") as row:
        response = httpx.post(
            f"{site.worker.url}/conversations/new/",
            data={"title": "forged", "mode": "text"},
            cookies={"sessionid": site.owner},
            headers={"Origin": site.worker.url},
        )
        row.seen = str(response.status_code)
        assert response.status_code == 403


def test_a_post_from_another_origin_is_refused(site, matrix):
    origin = f"http://localhost:{site.worker.port}"
    with matrix.row(
        "CSRF", f"owner POST rename, token, Origin: {origin}", "403"
    ) as row:
        with form_client(site, site.owner, origin=origin) as client:
            response = client.post(
                f"/conversations/{site.public_id}/rename/", data={"title": "forged"}
            )
        row.seen = str(response.status_code)
        assert response.status_code == 403
        assert title_of(site) == "Ada's"


def test_a_post_with_a_token_from_the_site_is_accepted(site, matrix):
    with matrix.row(
        "CSRF", "owner POST /conversations/new/, token, site origin", "302"
    ) as row:
        with form_client(site, site.owner) as client:
            response = client.post(
                "/conversations/new/", data={"title": "Genuine", "mode": "text"}
            )
        row.seen = str(response.status_code)
        assert response.status_code == 302


# -- headers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "who"),
    [("/accounts/login/", "anonymous"), ("/", "owner"), ("/admin/", "anonymous")],
)
def test_pages_carry_the_content_and_permissions_policies(site, matrix, page, who):
    with matrix.row(
        "headers", f"{who} GET {page}", "CSP self only, microphone=(self)"
    ) as row:
        response = httpx.get(
            f"{site.worker.url}{page}",
            cookies={"sessionid": site.owner} if who == "owner" else {},
            follow_redirects=True,
        )
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response.headers["content-security-policy"].split(";")
        )
        permissions = response.headers["permissions-policy"].split(", ")
        row.seen = (
            f"{response.url.path}: script-src {policy['script-src']}, "
            f"style-src {policy['style-src']}; {permissions[0]}"
        )
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'"
        assert policy["style-src"] == "'self'"
        assert "microphone=(self)" in permissions


# -- secrets at DEBUG ------------------------------------------------------------

# A key the emulator accepts and nothing else contains: any trace of it is a leak.
DEBUG_KEY = "AIzaSyDEBUG-only-key-0123456789abcdef"


@pytest.mark.emulator_config(api_keys=frozenset({DEBUG_KEY}))
@pytest.mark.parametrize(
    "auth_mode",
    [
        pytest.param(
            mode,
            marks=pytest.mark.app_env(
                DJANGO_LOG_LEVEL="DEBUG",
                DJANGO_DEBUG="1",
                GEMINI_API_KEY=DEBUG_KEY,
                LIVE_AUTH_MODE=mode,
            ),
        )
        for mode in ("key", "ephemeral")
    ],
)
async def test_no_key_token_or_handle_is_logged_at_debug(
    app_server, account, matrix, auth_mode
):
    with matrix.row(
        "secrets",
        f"a conversation and a reconnect at DEBUG, {auth_mode} mode",
        "no key, token or handle in the log",
    ) as row:
        public_id = app_server.create_conversation(EMAIL)
        socket = await BrowserSocket.open(app_server.workers[0], public_id, account)
        await socket.hello()
        await socket.expect("session.created")
        await say(socket, "a first turn")
        app_server.fault({"action": "drop"})  # the next setup carries a handle
        await socket.expect("session.created", lambda e: e["resumed"])
        await say(socket, "a second turn")
        await socket.close()

        live = app_server.emulator.emulator
        handles = list(live.handles.issued)
        tokens = list(live.tokens.tokens)
        log = app_server.workers[0].log()
        secrets = [DEBUG_KEY, *handles, *tokens]
        secrets += [token.removeprefix("auth_tokens/") for token in tokens]
        leaked = [secret for secret in secrets if secret in log]
        row.seen = (
            f"{len(leaked)} of {len(secrets)} secrets in {len(log) // 1024} KiB of log"
        )
        assert handles, "no handle was issued"
        assert bool(tokens) == (auth_mode == "ephemeral")
        assert "DEBUG conversations.live.handles new resumption handle" in log, (
            "the worker did not log at DEBUG"
        )
        assert leaked == []
