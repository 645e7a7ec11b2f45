"""The API key, tokens and resumption handles never reach a browser, a page or a log."""

from __future__ import annotations

import json

import httpx

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
