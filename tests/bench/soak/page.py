"""A simulated conversation page: its sockets, hello, takeovers and server events.

It behaves as static/js/conversation/live-conversation.js does; its typed and
voice turns are in typed_turns and voice_turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from websockets.exceptions import InvalidHandshake

from tests.bench.soak.answers import match_answers
from tests.bench.soak.limits import TAKEOVER_ANSWER_S
from tests.bench.soak.page_socket import PageSocket
from tests.bench.soak.typed_turns import TypedTurns
from tests.bench.soak.voice_turns import VoiceTurns
from tests.harness import Worker

if TYPE_CHECKING:
    from tests.bench.soak.phases import Soak

# The page shows a Resume button for these; the simulated person presses it.
RESUMABLE_REASONS = {"gave_up", "error"}
# Events that name their run; the page ignores those of a run older than the
# newest it has seen (static/js/conversation/runs.js).
RUN_EVENTS = {"status", "session.created", "context.restored"}
# Reasons an owner's own upstream never ends with while its socket is open.
FOREIGN_REASONS = {"browser_left", "device_switch"}


class Page:
    """One conversation's page, wherever it is open: its turns and its sockets."""

    def __init__(self, soak: Soak, index: int, public_id: str, mode: str) -> None:
        self.soak = soak
        self.index = index
        self.public_id = public_id
        self.mode = mode
        self.rng = random.Random(f"{soak.seed}-{index}")
        self.home = soak.server.workers[index % len(soak.server.workers)]
        self.socket: PageSocket | None = None
        self.sockets: set[PageSocket] = set()  # every open one, old devices too
        self.items: dict[int, dict[str, Any]] = {}
        self.last_seq = 0
        self.typed = TypedTurns(self)
        self.voice = VoiceTurns(self)
        self.audio_dropped_warnings = 0
        self.upstream = ""
        self.latest_run: int | None = None
        self.cut_armed = False
        self._changed = asyncio.Event()
        self._reconnecting = False

    @property
    def label(self) -> str:
        return f"c{self.index} ({self.mode}, {self.public_id[:8]})"

    @property
    def is_owner(self) -> bool:
        return self.socket is not None and self.socket.is_owner

    async def until(self, predicate: Callable[[], bool], within_s: float) -> bool:
        """Wait until ``predicate()`` holds (re-checked on every page event)."""
        deadline = time.monotonic() + within_s
        while True:
            self._changed.clear()
            if predicate():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._changed.wait()

    # -- the person ------------------------------------------------------------------
    async def converse(self, turns: int) -> None:
        await self.until(lambda: self.is_owner, self.soak.options.turn_timeout_s)
        for turn in range(turns):
            if self.is_typed_turn(turn):
                await self.typed.type_turn(turn)
            else:
                await self.voice.speak_turn(turn)
            self.soak.tally.turns_done += 1
            await asyncio.sleep(self.rng.uniform(0.1, 0.6))

    def is_typed_turn(self, turn: int) -> bool:
        # Voice conversations type now and then too, which also tags their Live
        # sessions with text only they hold.
        return self.mode == "text" or turn % 4 == 0

    def settled(self) -> bool:
        if not self.is_owner or self.typed.outbox:
            return False
        items = [self.items[seq] for seq in sorted(self.items)]
        return not match_answers(items).unanswered

    # -- sockets ---------------------------------------------------------------------
    async def connect(self, worker: Worker | None = None) -> PageSocket | None:
        """Open a socket (retrying with backoff) and say hello; None past the end."""
        delay = 0.0
        while not self.soak.closing:
            target = worker if worker and worker.process.poll() is None else None
            target = target or self.soak.live_worker(self.home)
            try:
                socket = await PageSocket.open(self, target, self.soak.cookie(target))
            except (OSError, TimeoutError, InvalidHandshake):
                await asyncio.sleep(delay)
                delay = min(1.0, delay * 2 + 0.2) * self.rng.uniform(0.5, 1.0)
                continue
            return socket
        return None

    async def open(self) -> None:
        socket = await self.connect()
        if socket is not None:
            await self.adopt(socket)

    async def adopt(self, socket: PageSocket) -> None:
        """Make ``socket`` this page's socket and greet the server on it."""
        self.socket = socket
        self.sockets.add(socket)
        self.upstream = ""
        await socket.send(type="hello", last_seq=self.last_seq)

    def on_socket_closed(self, socket: PageSocket) -> None:
        self.sockets.discard(socket)
        self._changed.set()
        if socket is not self.socket or self.soak.closing or self._reconnecting:
            return
        self.socket = None
        self.soak.spawn(self._reconnect())

    async def _reconnect(self) -> None:
        self._reconnecting = True
        try:
            self.soak.tally.sockets["reconnects"] += 1
            socket = await self.connect()
            if socket is not None:
                await self.adopt(socket)
        finally:
            self._reconnecting = False

    def cut(self, *, on_next_send: bool) -> bool:
        """Fault: the network under the page's socket goes away.

        ``on_next_send``: right after the page next sends something (a typed turn,
        a piece of an utterance), when the page cannot know whether it arrived.
        """
        socket = self.socket
        if socket is None or socket.closed.is_set():
            return False
        if on_next_send:
            self.cut_armed = True
        else:
            socket.abort()
        return True

    def cut_if_armed(self, socket: PageSocket) -> None:
        if self.cut_armed:
            self.cut_armed = False
            self.soak.tally.sockets["cuts right after a send"] += 1
            socket.abort()

    async def take_over_elsewhere(self) -> bool:
        """Fault: the person continues on another device, which takes over."""
        old = self.socket
        if old is None or not old.is_owner:
            return False
        other = self.soak.other_worker(old.worker)
        socket = await self.connect(other)
        if socket is None:
            return False
        # Another device is another page, with its own view of the runs.
        self.latest_run = None
        await self.adopt(socket)
        self.soak.spawn(self._retire(old))
        return True

    async def _retire(self, old: PageSocket) -> None:
        # The old device steps aside once told so; a dead one never is.
        told = await self.until(
            lambda: old.replaced.is_set() or old.closed.is_set(),
            TAKEOVER_ANSWER_S + 5,
        )
        if not told:
            self.soak.tally.sockets["device.replaced missing"] += 1
        await old.close()

    async def close(self) -> None:
        await asyncio.gather(*(socket.close() for socket in list(self.sockets)))

    # -- server events ---------------------------------------------------------------
    async def on_event(self, socket: PageSocket, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "transcript.delta":
            return
        if socket is self.socket and not self._admit(event):
            self.soak.tally.sockets["older run's events ignored"] += 1
            return
        if kind == "transcript.item":
            self._record(event)
        elif kind == "context.restored":
            for item in event.get("items") or []:
                self._record(item)
        elif kind == "error":
            self.soak.tally.errors[str(event.get("code"))] += 1
        elif kind == "warning" and event.get("kind") == "audio_dropped":
            self.audio_dropped_warnings += 1
        if kind == "device.replaced":
            socket.replaced.set()
        if socket is self.socket:
            await self._on_own_event(socket, kind, event)
        self._changed.set()

    def _admit(self, event: dict[str, Any]) -> bool:
        """The page's run gate: an older run's events must not undo a newer's."""
        run_id = event.get("run_id")
        if event.get("type") not in RUN_EVENTS or not isinstance(run_id, int):
            return True
        if self.latest_run is not None and run_id < self.latest_run:
            return False
        self.latest_run = run_id
        return True

    async def _on_own_event(
        self, socket: PageSocket, kind: str | None, event: dict[str, Any]
    ) -> None:
        if kind == "presence":
            await self._on_presence(socket, event)
        elif kind == "status":
            self._on_status(socket, event)
        elif kind == "error" and event.get("code") == "takeover_failed":
            # The person presses "Continue here" again (the watchdog does).
            socket.takeover_asked_at = None
        elif kind == "device.replaced":
            self.soak.tally.sockets["device.replaced at the page's own socket"] += 1
            socket.role = "viewer"

    async def _on_presence(self, socket: PageSocket, event: dict[str, Any]) -> None:
        if event.get("role") == "owner":
            became = socket.role != "owner"
            socket.role = "owner"
            socket.takeover_asked_at = None
            if became:
                await self.typed.resend_unacknowledged(socket)
            return
        socket.role = "viewer"
        if socket.takeover_asked_at is None:
            # This page held the conversation a moment ago: take it back.
            await self.ask_takeover(socket)

    async def ask_takeover(self, socket: PageSocket) -> None:
        socket.takeover_asked_at = time.monotonic()
        self.soak.tally.sockets["takeover requests"] += 1
        await socket.send(type="takeover")

    def _on_status(self, socket: PageSocket, event: dict[str, Any]) -> None:
        status, reason = event.get("status"), event.get("reason")
        tally = self.soak.tally
        tally.statuses[f"{status}:{reason}" if reason else str(status)] += 1
        self.upstream = str(status)
        if status != "disconnected":
            return
        note = f"{self.label} at {self.soak.elapsed():.1f}s, last seq {self.last_seq}"
        if reason == "gave_up":
            tally.give_ups.append(f"{note}: disconnected, gave_up")
        if socket.role == "owner" and reason in FOREIGN_REASONS:
            owned_for = time.monotonic() - socket.opened_at
            tally.stale_statuses.append(
                f"{note}: the owner socket (open for {owned_for:.1f}s on "
                f":{socket.worker.port}) got disconnected/{reason}"
            )
        if socket.role == "owner" and reason in RESUMABLE_REASONS:
            self.soak.spawn(self._press_resume(socket))

    async def _press_resume(self, socket: PageSocket) -> None:
        await asyncio.sleep(self.rng.uniform(0.5, 1.5))
        if (
            socket is self.socket
            and socket.is_owner
            and self.upstream == "disconnected"
        ):
            self.soak.tally.sockets["resumes pressed"] += 1
            await socket.send(type="resume")

    def _record(self, item: dict[str, Any]) -> None:
        seq = item.get("seq")
        if not isinstance(seq, int) or seq in self.items:
            return
        self.items[seq] = item
        self.last_seq = max(self.last_seq, seq)
        if item.get("role") == "user":
            self.typed.acknowledge(item)
        elif item.get("role") == "assistant":
            self.typed.note_answer(item)
