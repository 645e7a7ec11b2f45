"""The API key, tokens and resumption handles never reach a browser, a page or a log."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.integration.socket_client import BrowserSocket
from tests.integration.talk import EMAIL, say


async def test_handle_and_key_stay_on_the_server(app_server, account):
    public_id = app_server.create_conversation(EMAIL)
    socket = await BrowserSocket.open(app_server.workers[0], public_id, account)
    await socket.hello()
    await socket.expect("session.created")
    await say(socket, "keep my secrets")
    app_server.fault({"action": "drop"})
    await socket.expect("session.created")
    await say(socket, "still secret")
    await socket.close()

    handle = app_server.run_python_json(
        "import json\n"
        "from conversations.models import Conversation\n"
        f"c = Conversation.objects.get(public_id={public_id!r})\n"
        "print(json.dumps(c.resumption_handle))\n"
    )
    assert handle
    async with httpx.AsyncClient(
        base_url=app_server.url, cookies={"sessionid": account}
    ) as client:
        pages = [
            (await client.get(f"/conversations/{public_id}/{path}")).text
            for path in ("", "export.md", "export.json")
        ]
    assert all("keep my secrets" in page for page in pages), "pages were not served"
    pages += [json.dumps(socket.events), app_server.workers[0].log()]
    for text in pages:
        assert handle not in text
        assert "emulator-key" not in text
        assert "auth_tokens/" not in text


# A key the emulator accepts and nothing else contains, so any trace of it is a leak.
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
    app_server, account, auth_mode
):
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
    assert handles, "no handle was issued"
    assert bool(tokens) == (auth_mode == "ephemeral")
    log = app_server.workers[0].log()
    assert "DEBUG conversations.live.session new resumption handle" in log, (
        "the workers did not log at DEBUG"
    )
    secrets = [DEBUG_KEY, *handles, *tokens]
    secrets += [token.removeprefix("auth_tokens/") for token in tokens]
    leaked = [secret for secret in secrets if secret in log]
    assert leaked == [], f"{len(leaked)} of {len(secrets)} secrets are in the log"
