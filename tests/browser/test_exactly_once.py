"""A typed turn is stored and answered exactly once, whatever happens to the socket.

The page's socket runs through a tap (Playwright's WebSocket routing) that passes
frames between the page and the real server, and can drop, hold or cut at a
chosen frame. After a cut the page sees a closed socket; the server either sees
the browser leave, or (a socket that died silently) keeps its end open and goes
on holding the conversation until the page takes it back.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from .helpers import (
    assistant_reply,
    open_conversation,
    send_text,
    shown_seqs,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser

FORWARD, DROP, HOLD, CUT_BEFORE, CUT_AFTER = (
    "forward",
    "drop",
    "hold",
    "cut before",
    "cut after",
)


@dataclass
class Frame:
    up: bool  # page → server
    data: str | bytes

    @cached_property
    def message(self) -> dict:
        if not isinstance(self.data, str):
            return {}
        try:
            message = json.loads(self.data)
        except ValueError:
            return {}
        return message if isinstance(message, dict) else {}

    def sent(self, kind: str) -> bool:
        return self.up and self.message.get("type") == kind

    def received(self, kind: str, role: str | None = None) -> bool:
        message = self.message
        return (
            not self.up
            and message.get("type") == kind
            and (role is None or message.get("role") == role)
        )


Rule = Callable[[Frame], str]


@dataclass
class Link:
    page_side: WebSocketRoute
    server_side: WebSocketRoute
    frames: list[Frame] = field(default_factory=list)
    held: list[Frame] = field(default_factory=list)
    closed: bool = False

    def deliver(self, frame: Frame) -> None:
        (self.server_side if frame.up else self.page_side).send(frame.data)

    def cut(self, *, server_notices: bool) -> None:
        """The page's socket dies; the server hears of it or not."""
        self.closed = True
        self.page_side.close(code=1011, reason="cut by the test")
        if server_notices:
            self.server_side.close(code=1000, reason="cut by the test")

    def sent_texts(self) -> list[dict]:
        return [frame.message for frame in self.frames if frame.sent("text")]


class SocketTap:
    """Stands on the page's conversation socket, across reconnects and reloads."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.links: list[Link] = []
        self.rule: Rule | None = None
        self.server_notices_cuts = True
        page.route_web_socket(re.compile(r"/ws/conversations/"), self._attach)

    def _attach(self, page_side: WebSocketRoute) -> None:
        link = Link(page_side=page_side, server_side=page_side.connect_to_server())
        self.links.append(link)
        page_side.on_message(lambda data: self._pass(link, Frame(up=True, data=data)))
        link.server_side.on_message(
            lambda data: self._pass(link, Frame(up=False, data=data))
        )
        page_side.on_close(lambda code, reason: self._page_closed(link))
        link.server_side.on_close(lambda code, reason: self._server_closed(link))

    def _pass(self, link: Link, frame: Frame) -> None:
        if link.closed:
            return
        link.frames.append(frame)
        verdict = self.rule(frame) if self.rule else FORWARD
        if verdict in (FORWARD, CUT_AFTER):
            link.deliver(frame)
        elif verdict == HOLD:
            link.held.append(frame)
        if verdict in (CUT_BEFORE, CUT_AFTER):
            self.rule = None
            link.cut(server_notices=self.server_notices_cuts)

    def _page_closed(self, link: Link) -> None:
        if not link.closed:
            link.closed = True
            link.server_side.close()

    def _server_closed(self, link: Link) -> None:
        if not link.closed:
            link.closed = True
            link.page_side.close()

    def release(self) -> None:
        """Deliver what the rule held, in order, on the sockets still open."""
        for link in self.links:
            held, link.held = link.held, []
            if not link.closed:
                for frame in held:
                    link.deliver(frame)

    def inject(self, message: dict) -> None:
        """A frame to the page as if the server had sent it."""
        self.links[-1].page_side.send(json.dumps(message))

    def wait_for(self, condition: Callable[[], bool], timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "the socket never got there"
            self.page.wait_for_timeout(20)

    def sent_texts(self) -> list[dict]:
        return [text for link in self.links for text in link.sent_texts()]


def stored_items(app_server, public_id: str) -> list[dict]:
    code = (
        "import json\n"
        "from conversations.models import TranscriptItem\n"
        "rows = TranscriptItem.objects.filter("
        f"conversation__public_id={public_id!r}).order_by('seq')\n"
        "print(json.dumps([{'seq': r.seq, 'role': r.role, 'content': r.content, "
        "'id': r.client_turn_id} for r in rows]))\n"
    )
    return app_server.run_python_json(code)


def reply_text(turn: int, said: str, first: str) -> str:
    return f'Turn {turn}. You said "{said}". You first said "{first}".'


def pending_turns(page: Page) -> list[dict]:
    return page.evaluate("window.continuum.pendingTurns")


def assert_each_turn_once(app_server, page: Page, public_id: str, turns: list[str]):
    """Page and database hold every turn once, each answered once, counted right."""
    expect(page.locator(".item--pending")).to_have_count(0)
    expect(page.locator(".item--caption")).to_have_count(0)
    stored = stored_items(app_server, public_id)
    assert [(item["role"], item["content"]) for item in stored] == [
        pair
        for number, text in enumerate(turns, start=1)
        for pair in (("user", text), ("assistant", reply_text(number, text, turns[0])))
    ]
    assert shown_seqs(page) == [item["seq"] for item in stored]
    for text in turns:
        bubbles = page.locator("#transcript li.item--user", has_text=text)
        expect(bubbles).to_have_count(1)
    assert pending_turns(page) == []
    key = f"continuum:turns:{public_id}"
    assert page.evaluate("key => sessionStorage.getItem(key)", key) is None
    return stored


def cut_when_sent(frame: Frame) -> str:
    """The turn never reaches the server."""
    return CUT_BEFORE if frame.sent("text") else FORWARD


def cut_when_stored(frame: Frame) -> str:
    """Stored, and perhaps on its way to Live, but the page never hears of it."""
    return CUT_BEFORE if frame.received("transcript.item", "user") else FORWARD


def cut_mid_reply(frame: Frame) -> str:
    """Acknowledged; the reply has begun streaming when the socket dies."""
    return CUT_AFTER if frame.received("transcript.delta", "assistant") else FORWARD


def cut_when_answered_unheard() -> Rule:
    """The reply is stored before the page heard anything since it sent the turn."""
    sent = False

    def rule(frame: Frame) -> str:
        nonlocal sent
        if frame.up:
            sent = sent or frame.sent("text")
            return FORWARD
        if not sent:
            return FORWARD
        if frame.received("transcript.item", "assistant"):
            return CUT_BEFORE
        return DROP

    return rule


def cut_after_reply_without_ack(frame: Frame) -> str:
    """The page gets the reply but never its turn's acknowledgement."""
    if frame.received("transcript.item", "user"):
        return DROP
    if frame.received("transcript.item", "assistant"):
        return CUT_AFTER
    return FORWARD


# `resent`: whether the page sends the turn again after the reconnect. It does not
# when the replay after hello already brought the stored turn.
@pytest.mark.parametrize(
    "server_notices", [True, False], ids=["server-notices", "silently-dead"]
)
@pytest.mark.parametrize(
    ("rule", "resent"),
    [
        pytest.param(lambda: cut_when_sent, True, id="before-the-server-stored-it"),
        pytest.param(lambda: cut_when_stored, False, id="stored-before-the-reply"),
        pytest.param(lambda: cut_mid_reply, False, id="mid-reply"),
        pytest.param(
            cut_when_answered_unheard, False, id="answered-before-the-page-heard"
        ),
        pytest.param(
            lambda: cut_after_reply_without_ack,
            True,
            id="after-the-reply-before-the-ack",
        ),
    ],
)
def test_a_socket_cut_during_a_typed_turn_loses_and_doubles_nothing(
    rule, resent, server_notices, app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "Cut", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    tap = SocketTap(page)
    open_conversation(page, public_id)
    wait_until_live(page)
    first, cut, after = "Remember seven.", "Cut around me.", "And after that?"
    send_text(page, first)
    expect(assistant_reply(page, 1)).to_be_visible()

    tap.rule = rule()
    tap.server_notices_cuts = server_notices
    send_text(page, cut)
    tap.wait_for(lambda: len(tap.links) >= 2 and tap.links[0].closed)
    wait_until_live(page)
    if not server_notices:
        # The old socket still held the conversation: the page took it back,
        # by itself and without a word.
        assert any(frame.sent("takeover") for frame in tap.links[1].frames)
        continuing = page.locator(".toast", has_text="You are continuing here")
        expect(continuing).to_have_count(0)
    expect(assistant_reply(page, 2)).to_contain_text(reply_text(2, cut, first))
    # One more turn: a late duplicate would be stored before it, or counted by Live.
    send_text(page, after)
    expect(assistant_reply(page, 3)).to_be_visible()

    stored = assert_each_turn_once(app_server, page, public_id, [first, cut, after])
    (sent_id,) = {text["id"] for text in tap.sent_texts() if text["text"] == cut}
    assert stored[2]["id"] == sent_id
    again = [text for link in tap.links[1:] for text in link.sent_texts()]
    assert [text["text"] for text in again] == ([cut] if resent else []) + [after]
    assert len({item["id"] for item in stored if item["role"] == "user"}) == 3


@pytest.mark.parametrize("lost", ["before-the-server", "before-the-ack"])
def test_a_reload_right_after_sending_loses_and_doubles_nothing(
    lost, app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "Reload", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    tap = SocketTap(page)
    open_conversation(page, public_id)
    wait_until_live(page)
    turn = "Typed just before the reload."

    if lost == "before-the-server":
        tap.rule = lambda frame: DROP if frame.sent("text") else FORWARD
    else:
        tap.rule = lambda frame: (
            DROP if frame.received("transcript.item", "user") else FORWARD
        )
    send_text(page, turn)
    expect(page.locator(".item--pending")).to_contain_text(turn)
    lost_frame = (
        (lambda frame: frame.sent("text"))
        if lost == "before-the-server"
        else (lambda frame: frame.received("transcript.item", "user"))
    )
    tap.wait_for(lambda: any(lost_frame(frame) for frame in tap.links[0].frames))
    [sent] = tap.sent_texts()

    tap.rule = lambda frame: HOLD if frame.sent("text") else FORWARD
    page.reload()
    wait_until_live(page)
    if lost == "before-the-server":
        # Shown as on its way, and sent again under the same id.
        pending = page.locator(".item--pending")
        expect(pending).to_contain_text(turn)
        expect(pending).to_contain_text("sending…")
        assert pending_turns(page) == [{"id": sent["id"], "text": turn}]
        tap.wait_for(lambda: len(tap.links[-1].held) == 1)
        assert tap.links[-1].held[0].message == sent
        tap.release()
    else:
        # The server-rendered history already holds it under its id: nothing to send.
        expect(page.locator("#transcript li[data-seq='1']")).to_have_attribute(
            "data-turn-id", sent["id"]
        )
        expect(page.locator(".item--pending")).to_have_count(0)
    expect(assistant_reply(page, 1)).to_be_visible()
    tap.rule = None
    send_text(page, "And then?")
    expect(assistant_reply(page, 2)).to_be_visible()

    assert_each_turn_once(app_server, page, public_id, [turn, "And then?"])
    resent = [text for text in tap.links[-1].sent_texts() if text["text"] == turn]
    assert len(resent) == (1 if lost == "before-the-server" else 0)


def test_an_older_runs_disconnect_after_a_newer_runs_connect_changes_nothing(
    app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "Runs", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    tap = SocketTap(page)
    open_conversation(page, public_id)
    wait_until_live(page)
    app_server.fault({"action": "drop"})
    older, newer = 0, 1
    panel = page.locator("[data-live-panel]")
    expect(panel).to_have_attribute("data-run-id", str(newer))
    wait_until_live(page)

    # The previous run's relay, winding down late (as after a device switch).
    for status in ("disconnecting", "disconnected"):
        tap.inject(
            {
                "type": "status",
                "status": status,
                "reason": "device_switch",
                "run_id": older,
            }
        )
    # Frames arrive in order: once this one shows, the ones above were handled.
    tap.inject({"type": "warning", "kind": "test", "message": "Handled in order."})
    expect(page.locator(".toast", has_text="Handled in order.")).to_be_visible()
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "connected")
    expect(page.locator("#final")).to_be_hidden()
    expect(page.get_by_label("Message")).to_be_enabled()
    send_text(page, "Still here?")
    expect(assistant_reply(page, 1)).to_be_visible()

    # The same event from the current run is heard.
    tap.inject(
        {
            "type": "status",
            "status": "disconnected",
            "reason": "device_switch",
            "run_id": newer,
        }
    )
    expect(status).to_have_attribute("data-status", "disconnected")
    expect(page.get_by_label("Message")).to_be_disabled()
