"""Staff act on a live conversation from the admin, and its owner's page is told."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.integration.socket_client import BrowserSocket
from tests.integration.talk import open_conversation, say

pytestmark = [
    pytest.mark.app_env(CONVERSATION_LEASE_TTL_S="2", LIVE_MAX_BACKOFF_MS="300"),
    pytest.mark.emulator_config(reply_chunk_delay_s=0.01),
]

STAFF, STAFF_PASSWORD = "support@example.com", "support-password-123"


def admin_post(
    app_server, public_id: str, action: str, data: dict[str, str] | None = None
) -> int:
    """A superuser, signed in through the site's login, presses an action button."""
    app_server.run_python(
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.filter(email={STAFF!r}).exists() or "
        "get_user_model().objects.create_superuser("
        f"username={STAFF!r}, email={STAFF!r}, password={STAFF_PASSWORD!r})"
    )
    cookie = app_server.login(STAFF, STAFF_PASSWORD)
    [(pk,)] = app_server.query(
        "SELECT id FROM conversations_conversation WHERE public_id = {}", public_id
    )
    page_url = f"/admin/conversations/conversation/{pk}/change/"
    with httpx.Client(base_url=app_server.url, cookies={"sessionid": cookie}) as client:
        page = client.get(page_url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.status_code
        response = client.post(
            f"/admin/conversations/conversation/{pk}/{action}/",
            data={"csrfmiddlewaretoken": token.group(1), **(data or {})},
            headers={"Referer": app_server.url + page_url},
        )
    return response.status_code


async def test_ending_a_live_conversation_stops_it_and_it_stays_stopped(
    app_server, account
):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "hello")
    assert admin_post(app_server, public_id, "end") == 302
    stopped = await socket.expect(
        "status", lambda e: e["status"] == "disconnected", within_s=10
    )
    assert stopped["reason"] == "user"
    created = len(socket.of("session.created"))
    # No reconnect follows: the page stays stopped until the user resumes.
    with pytest.raises(TimeoutError):
        await socket.expect("session.created", within_s=1.5)
    assert len(socket.of("session.created")) == created
    await socket.close()


async def test_expiring_the_handle_makes_the_next_run_restore_from_the_transcript(
    app_server, account
):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "remember me")
    assert admin_post(app_server, public_id, "expire-handle") == 302
    await socket.close()
    again = await BrowserSocket.open(app_server.workers[0], public_id, account)
    await again.hello(last_seq=2)
    if (await again.expect("presence"))["role"] == "viewer":
        await again.send(type="takeover")
    restored = await again.expect("context.restored", within_s=10)
    assert restored["source"] == "transcript"
    answer = await say(again, "do you remember?")
    assert answer["content"].startswith('Turn 2. You said "do you remember?"')
    await again.close()
    assert app_server.runs(public_id)[-1]["began"] == "restored_from_transcript"


async def test_deleting_a_live_conversation_closes_its_socket(app_server, account):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "hello")
    assert admin_post(app_server, public_id, "delete", {"post": "yes"}) == 302
    deleted = await socket.expect("error", within_s=10)
    assert deleted["code"] == "deleted"
    assert app_server.transcript(public_id) == []
    await socket.close()
    assert socket.connection.close_code == 4404
