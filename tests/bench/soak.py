"""Soak: many conversations through a storm of faults; nothing may be lost.

    .venv/bin/python -m tests.bench.soak [--conversations 50] [--turns 30]
        [--workers 1|2] [--kill | --no-kill] [--seed N] [--log-dir DIR]

Real Daphne workers (``tests.harness.AppServer``) serve simulated pages that
behave as static/js/conversation/live-conversation.js does: hello with the last
seq seen, take the conversation back whenever they come back as a viewer, re-send
every typed turn (with its id) not yet acknowledged each time they own the
conversation again, and speak voice turns as real-time PCM. Faults come every
1-3 s: upstream drops, goAway, 1011 closes, failed token mints, expired handles,
stalls, browser socket cuts and device takeovers. One worker runs on SQLite and
the in-memory channel layer; two run on PostgreSQL and Redis (DATABASE_URL and
REDIS_URL, or local defaults), and one of them is killed mid-run.

The verdict comes from the stored transcripts and the emulator's ground truth:
no turn lost or doubled, every turn answered, every reply's "Turn k." equal to the
stored count (Live kept its context), the final Live session holding exactly the
stored turns, seq gap-free, no give-up, no stale status at a new owner, no page
left hanging (a hello or a takeover never answered), no exception in a worker's
log and no run left open once the pages closed. Prints the figures, the first
details of each defect and ``VERDICT: PASS`` or ``VERDICT: FAIL (...)``; exits 1
on any defect.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.harness import AppServer, Worker, fast_emulator_config
from tests.integration.talk import pcm16_silence, pcm16_tone

EMAIL, PASSWORD = "soak@example.com", "soak-password-123"
DEFAULT_DATABASE_URL = "postgres://postgres:postgres@127.0.0.1:5432/continuum"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
LEASE_TTL_S = 3
MAX_BACKOFF_MS = 1000
# A takeover is answered (owner or takeover_failed) within the lease TTL and a few
# seconds' grace; more than that, with room for a busy machine, is a hang.
TAKEOVER_ANSWER_S = LEASE_TTL_S + 8
# A hello is answered with the replay and a presence at once.
HELLO_ANSWER_S = 10
SEND_TIMEOUT_S = 10
# Once its socket is gone, a relay ends its run within the upstream close timeout.
RUNS_CLOSE_S = 20
FRAME_S = 0.02
FRAME_BYTES = int(16000 * FRAME_S) * 2
# Loud enough for the emulator's VAD, then silence long enough to end the turn.
UTTERANCE = pcm16_tone(0.6) + pcm16_silence(0.8)
UTTERANCE_FRAMES = [
    UTTERANCE[start : start + FRAME_BYTES]
    for start in range(0, len(UTTERANCE), FRAME_BYTES)
]
MAX_VOICE_ATTEMPTS = 3
WORDS = (
    "amber", "birch", "cedar", "delta", "ember", "fjord", "garnet", "harbor",
    "indigo", "juniper", "kestrel", "lantern", "meadow", "nectar", "orchid",
    "pebble", "quartz", "raven", "saffron", "tundra",
)  # fmt: skip
TYPED_TAG = re.compile(r"^c(\d+) t(\d+) ")
REPLY = re.compile(r'^Turn (\d+)\. You said "(.*?)"', re.S)
FULL_REPLY = re.compile(r'^Turn (\d+)\. You said "(.*?)"\. You first said "', re.S)
EMULATOR_FAULTS: dict[str, Callable[[random.Random], list[dict[str, Any]]]] = {
    "drop": lambda rng: [{"action": "drop"}],
    "goaway": lambda rng: [{"action": "goaway", "time_left_s": 1}],
    "close_1011": lambda rng: [{"action": "close", "code": 1011}],
    "fail_token_mints": lambda rng: [
        {"action": "fail_token_mints", "count": rng.randint(1, 2)},
        {"action": "drop"},
    ],
    "expire_handles": lambda rng: [{"action": "expire_handles"}, {"action": "drop"}],
    "stall": lambda rng: [{"action": "stall", "seconds": round(rng.uniform(1, 3), 1)}],
}
PAGE_FAULTS = ("socket_cut", "takeover")
FAULT_KINDS = (*EMULATOR_FAULTS, *PAGE_FAULTS)
# The page shows a Resume button for these; the simulated person presses it.
RESUMABLE_REASONS = {"gave_up", "error"}
# Events that name their run; the page ignores those of a run older than the
# newest it has seen (static/js/conversation/runs.js).
RUN_EVENTS = {"status", "session.created", "context.restored"}
# Reasons an owner's own upstream never ends with while its socket is open.
FOREIGN_REASONS = {"browser_left", "device_switch"}
DETAILS_SHOWN = 5
DEFECT_KINDS = (
    "lost",
    "doubled",
    "unanswered",
    "context_break",
    "final_session",
    "seq",
    "give_up",
    "stale_status",
    "stuck",
    "unsent",
    "open_run",
    "server_error",
    "time_limit",
)


@dataclass
class SoakOptions:
    conversations: int = 50
    turns: int = 30
    workers: int = 1
    kill: bool | None = None  # None: kill one worker when there are two
    seed: int | None = None
    voice_every: int = 3  # every n-th conversation is a voice one
    turn_timeout_s: float = 20.0
    settle_s: float = 90.0
    time_limit_s: float = 900.0  # for the turns; the settle period comes after
    fault_every_s: tuple[float, float] = (1.0, 3.0)
    progress: bool = False  # a line every 15 s while the turns run

    @property
    def kills_a_worker(self) -> bool:
        return self.workers > 1 and self.kill is not False


@dataclass
class Tally:
    """What the pages and the fault injector saw while the soak ran."""

    faults: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    sockets: Counter[str] = field(default_factory=Counter)
    give_ups: list[str] = field(default_factory=list)
    stale_statuses: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    text_latencies: list[float] = field(default_factory=list)
    voice_latencies: list[float] = field(default_factory=list)
    turns_done: int = 0
    killed: str = ""


@dataclass
class TypedTurn:
    turn_id: str
    text: str
    submitted_at: float
    sends: int = 0
    acked_seq: int | None = None
    answered_at: float | None = None


@dataclass
class Utterance:
    turn: int
    attempts: int = 0
    repeats: int = 0
    # The last attempt was spoken whole on an owner socket that stayed up.
    spoken_whole: bool = False
    heard: bool = False
    skipped: bool = False


# -- the page's socket ---------------------------------------------------------------


class PageSocket:
    """One browser socket of a page (one device); events go to the page."""

    def __init__(
        self, page: Page, worker: Worker, connection: ClientConnection
    ) -> None:
        self.page = page
        self.worker = worker
        self.connection = connection
        self.role: str | None = None
        self.takeover_asked_at: float | None = None
        self.opened_at = time.monotonic()
        self.replaced = asyncio.Event()
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, page: Page, worker: Worker, cookie: str) -> PageSocket:
        connection = await connect(
            f"{worker.ws_url}/ws/conversations/{page.public_id}/",
            origin=worker.url,
            additional_headers={"Cookie": f"sessionid={cookie}"},
            open_timeout=5,
            close_timeout=2,
        )
        return cls(page, worker, connection)

    @property
    def is_owner(self) -> bool:
        return self.role == "owner" and not self.closed.is_set()

    async def _read(self) -> None:
        try:
            async for frame in self.connection:
                if isinstance(frame, str):
                    await self.page.on_event(self, json.loads(frame))
        except (ConnectionClosed, OSError):
            pass
        except Exception:
            # A fault of the soak itself: show it, and carry on as after a cut.
            traceback.print_exc()
            self.page.soak.tally.sockets["soak errors"] += 1
        finally:
            self.closed.set()
            self.page.on_socket_closed(self)

    async def send(self, **frame: Any) -> bool:
        return await self._send(json.dumps(frame))

    async def send_audio(self, pcm16: bytes) -> bool:
        return await self._send(pcm16)

    async def _send(self, data: str | bytes) -> bool:
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await self.connection.send(data)
        except (ConnectionClosed, OSError):
            return False
        except TimeoutError:
            # A socket that takes nothing for this long is as good as dead.
            self.abort()
            return False
        return True

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, as a lost network does."""
        self.connection.transport.abort()

    async def close(self) -> None:
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            async with asyncio.timeout(5):
                await self.connection.close()
        self.abort()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


# -- the page ------------------------------------------------------------------------


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
        self.outbox: dict[str, TypedTurn] = {}
        self.typed: list[TypedTurn] = []
        self.typed_by_text: dict[str, TypedTurn] = {}
        self.utterances: list[Utterance] = []
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

    def _cut_if_armed(self, socket: PageSocket) -> None:
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
                await self._resend_unacknowledged(socket)
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
            self._acknowledge(item)
        elif item.get("role") == "assistant":
            self._note_answer(item)

    def _acknowledge(self, item: dict[str, Any]) -> None:
        turn = self.outbox.get(item.get("id") or "")
        if turn is None and not item.get("id"):
            # A server that does not echo ids yet: the text tells.
            turn = next(
                (t for t in self.outbox.values() if t.text == item.get("content")), None
            )
        if turn is not None:
            turn.acked_seq = item["seq"]
            del self.outbox[turn.turn_id]

    def _note_answer(self, item: dict[str, Any]) -> None:
        match = REPLY.match(item.get("content") or "")
        turn = self.typed_by_text.get(match.group(2)) if match else None
        if turn is not None and turn.answered_at is None:
            turn.answered_at = time.monotonic()
            self.soak.tally.text_latencies.append(turn.answered_at - turn.submitted_at)

    async def _resend_unacknowledged(self, socket: PageSocket) -> None:
        for turn in list(self.outbox.values()):
            await self._send_turn(socket, turn)

    async def _send_turn(self, socket: PageSocket, turn: TypedTurn) -> None:
        if self.cut_armed and self.rng.random() < 0.5:
            # Sent into a socket that had died already: it never arrives.
            turn.sends += 1
            self._cut_if_armed(socket)
            return
        if await socket.send(type="text", id=turn.turn_id, text=turn.text):
            turn.sends += 1
            self._cut_if_armed(socket)

    # -- the person ------------------------------------------------------------------
    async def converse(self, turns: int) -> None:
        await self.until(lambda: self.is_owner, self.soak.options.turn_timeout_s)
        for turn in range(turns):
            if self.is_typed_turn(turn):
                await self.type_turn(turn)
            else:
                await self.speak_turn(turn)
            self.soak.tally.turns_done += 1
            await asyncio.sleep(self.rng.uniform(0.1, 0.6))

    def is_typed_turn(self, turn: int) -> bool:
        # Voice conversations type now and then too, which also tags their Live
        # sessions with text only they hold.
        return self.mode == "text" or turn % 4 == 0

    async def type_turn(self, number: int) -> None:
        turn = TypedTurn(
            turn_id=f"c{self.index}-t{number}",
            text=f"c{self.index} t{number} {self.rng.choice(WORDS)}",
            submitted_at=time.monotonic(),
        )
        self.typed.append(turn)
        self.typed_by_text[turn.text] = turn
        self.outbox[turn.turn_id] = turn
        if self.socket is not None and self.socket.is_owner:
            await self._send_turn(self.socket, turn)
        await self.until(
            lambda: turn.answered_at is not None, self.soak.options.turn_timeout_s
        )

    async def speak_turn(self, number: int) -> None:
        utterance = Utterance(turn=number)
        self.utterances.append(utterance)
        # One budget for the turn, repeats included.
        deadline = time.monotonic() + self.soak.options.turn_timeout_s
        while utterance.attempts < MAX_VOICE_ATTEMPTS:
            # A person talks once the page says Live is there.
            if not await self.until(self.can_talk, _left(deadline)):
                utterance.skipped = utterance.attempts == 0
                return
            if utterance.attempts:
                utterance.repeats += 1
            if not await self._attempt(utterance, deadline):
                return

    def can_talk(self) -> bool:
        return self.is_owner and self.upstream == "connected"

    async def _attempt(self, utterance: Utterance, deadline: float) -> bool:
        """Speak once; True when the person should say it again."""
        socket = self.socket
        assert socket is not None
        base, dropped = self.last_seq, self.audio_dropped_warnings
        utterance.attempts += 1
        whole = await self._speak(socket)
        spoke_at = time.monotonic()

        def moved_on() -> bool:
            return self.socket is not socket or not socket.is_owner

        await self.until(
            lambda: self.answered_after(base) or moved_on(), _left(deadline)
        )
        if self.answered_after(base):
            utterance.heard = True
            self.soak.tally.voice_latencies.append(time.monotonic() - spoke_at)
            return False
        cut = moved_on()
        if cut:
            # Back on a socket, the replayed items tell whether it was heard.
            await self.until(lambda: self.is_owner, _left(deadline))
            await asyncio.sleep(0.5)
        utterance.heard = self.heard_after(base) is not None
        utterance.spoken_whole = whole and not cut
        told_dropped = self.audio_dropped_warnings > dropped
        return not utterance.heard and (cut or not whole or told_dropped)

    async def _speak(self, socket: PageSocket) -> bool:
        """Stream the utterance in real time; False if the socket went first."""
        started = time.monotonic()
        for number, frame in enumerate(UTTERANCE_FRAMES, start=1):
            if self.socket is not socket or not socket.is_owner:
                return False
            if not await socket.send_audio(frame):
                return False
            if self.rng.random() < 1 / len(UTTERANCE_FRAMES):
                self._cut_if_armed(socket)
            await asyncio.sleep(max(0.0, started + number * FRAME_S - time.monotonic()))
        return True

    def heard_after(self, seq: int) -> int | None:
        """Seq of the first spoken user item stored after ``seq``."""
        spoken = [
            s
            for s, item in self.items.items()
            if s > seq
            and item.get("role") == "user"
            and item.get("modality") == "audio"
        ]
        return min(spoken) if spoken else None

    def answered_after(self, seq: int) -> bool:
        heard = self.heard_after(seq)
        return heard is not None and any(
            s > heard and item.get("role") == "assistant"
            for s, item in self.items.items()
        )

    def settled(self) -> bool:
        if not self.is_owner or self.outbox:
            return False
        items = [self.items[seq] for seq in sorted(self.items)]
        return not match_answers(items).unanswered


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


# -- the run -------------------------------------------------------------------------


class Soak:
    """The workers, the pages and the faults of one run."""

    def __init__(self, server: AppServer, options: SoakOptions, seed: int) -> None:
        self.server = server
        self.options = options
        self.seed = seed
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.pages: list[Page] = []
        self.closing = False
        self.timed_out = False
        self.started = time.monotonic()
        self.turns_ended = 0.0
        self.settled_at = 0.0
        self._cookies: dict[int, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._faults_stopped = asyncio.Event()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cookie(self, worker: Worker) -> str:
        if worker.port not in self._cookies:
            self._cookies[worker.port] = self.server.login(EMAIL, PASSWORD, worker)
        return self._cookies[worker.port]

    def live_worker(self, preferred: Worker) -> Worker:
        alive = [w for w in self.server.workers if w.process.poll() is None]
        return preferred if preferred in alive else (alive or [preferred])[0]

    def other_worker(self, worker: Worker) -> Worker:
        others = [w for w in self.server.workers if w is not worker]
        return self.live_worker(others[0] if others else worker)

    # -- faults ----------------------------------------------------------------------
    async def inject_faults(self) -> None:
        low, high = self.options.fault_every_s
        while not self._faults_stopped.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.rng.uniform(low, high)):
                    await self._faults_stopped.wait()
            if self._faults_stopped.is_set():
                return
            kind = self.rng.choice(FAULT_KINDS)
            if await self._inject(kind):
                self.tally.faults[kind] += 1

    async def _inject(self, kind: str) -> bool:
        if kind in EMULATOR_FAULTS:
            for fault in EMULATOR_FAULTS[kind](self.rng):
                await asyncio.to_thread(self.server.fault, fault)
            return True
        page = self.rng.choice(self.pages)
        if kind == "socket_cut":
            on_next_send = self.rng.random() < 0.5
            if not on_next_send:
                await asyncio.sleep(self.rng.uniform(0, 0.5))
            return page.cut(on_next_send=on_next_send)
        return await page.take_over_elsewhere()

    async def kill_a_worker(self) -> None:
        """SIGKILL the second worker once about a third of the turns are done."""
        total = self.options.conversations * self.options.turns
        while self.tally.turns_done < total / 3:
            if self._faults_stopped.is_set():
                return
            await asyncio.sleep(0.5)
        victim = self.server.workers[-1]
        await asyncio.to_thread(victim.kill)
        self.tally.killed = f":{victim.port} at {self.elapsed():.1f}s"

    # -- phases ----------------------------------------------------------------------
    async def run(self) -> None:
        self.spawn(self.watchdog())  # runs until the end, cancelled with the rest
        background = []
        if self.options.progress:
            background.append(self.spawn(self.report_progress()))
        try:
            async with asyncio.timeout(self.options.time_limit_s):
                await asyncio.gather(*(page.open() for page in self.pages))
                background.append(self.spawn(self.inject_faults()))
                if self.options.kills_a_worker:
                    background.append(self.spawn(self.kill_a_worker()))
                await asyncio.gather(
                    *(page.converse(self.options.turns) for page in self.pages)
                )
        except TimeoutError:
            self.timed_out = True
        self.turns_ended = self.elapsed()
        self._faults_stopped.set()
        await asyncio.gather(*background, return_exceptions=True)
        await asyncio.gather(
            *(page.until(page.settled, self.options.settle_s) for page in self.pages)
        )
        self.settled_at = self.elapsed()
        self.closing = True
        await asyncio.gather(*(page.close() for page in self.pages))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def report_progress(self) -> None:
        total = self.options.conversations * self.options.turns
        while not self._faults_stopped.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    await self._faults_stopped.wait()
            owners = sum(page.is_owner for page in self.pages)
            print(
                f"[{self.elapsed():6.1f}s] turns {self.tally.turns_done}/{total}, "
                f"faults {sum(self.tally.faults.values())}, pages owning "
                f"{owners}/{len(self.pages)}",
                flush=True,
            )

    async def watchdog(self) -> None:
        """Do what a person does with a page that hangs: ask again, or reload."""
        while not self.closing:
            await asyncio.sleep(1)
            for page in self.pages:
                await self._check_page(page)

    async def _check_page(self, page: Page) -> None:
        socket = page.socket
        if socket is None or socket.closed.is_set():
            return
        where = f"{page.label} at {self.elapsed():.1f}s on :{socket.worker.port}"
        if socket.role is None:
            if time.monotonic() - socket.opened_at > HELLO_ANSWER_S:
                self.tally.stuck.append(f"{where}: no presence after hello")
                socket.abort()
            return
        if socket.role != "viewer":
            return
        asked = socket.takeover_asked_at
        if asked is not None and time.monotonic() - asked > TAKEOVER_ANSWER_S:
            self.tally.stuck.append(
                f"{where}: takeover neither granted nor refused after "
                f"{TAKEOVER_ANSWER_S}s"
            )
            asked = None
        if asked is None:
            # "Continue here" again, after a takeover_failed or no answer at all.
            await page.ask_takeover(socket)


# -- checking the outcome ------------------------------------------------------------


@dataclass
class Answers:
    """Which stored assistant item answers which stored user item."""

    unanswered: list[dict[str, Any]] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)
    answered: set[int] = field(default_factory=set)


def match_answers(items: list[dict[str, Any]]) -> Answers:
    """Pair replies with the turns they answer, as Live answers them: in order.

    A reply quoting a typed turn answers that turn. Any other reply (a spoken
    turn's, or a cut-off one) answers the waiting turn its "Turn k." points at if
    there is one, else the newest waiting turn: a spoken turn is stored right
    before its reply, and a turn whose reply never came must not shift every later
    pairing.
    """
    result = Answers()
    waiting: list[dict[str, Any]] = []
    position: dict[int, int] = {}
    for item in items:
        if item["role"] == "user":
            position[item["seq"]] = len(position) + 1
            waiting.append(item)
        elif item["role"] == "assistant":
            _match_reply(item, waiting, position, result)
    result.unanswered = waiting
    return result


def _match_reply(
    reply: dict[str, Any],
    waiting: list[dict[str, Any]],
    position: dict[int, int],
    result: Answers,
) -> None:
    content = reply["content"]
    quoted = REPLY.match(content)
    said = quoted.group(2) if quoted else None
    if said is not None and TYPED_TAG.match(said):
        target = next((u for u in waiting if u["content"] == said), None)
        if target is None:
            result.doubled.append(
                f"seq {reply['seq']} answers {said!r}, which is answered already "
                "or not stored"
            )
            return
    else:
        said_count = int(quoted.group(1)) if quoted else None
        # A cut-off reply may quote nothing whole: it answers what is waiting.
        same = [u for u in waiting if u["content"] == said] if quoted else waiting
        pointed = [u for u in same if position[u["seq"]] == said_count]
        target = (pointed or same[-1:] or [None])[0]
        if target is None:
            result.doubled.append(
                f"seq {reply['seq']} {content[:50]!r} answers no waiting turn"
            )
            return
    waiting.remove(target)
    result.answered.add(target["seq"])
    full = FULL_REPLY.match(content)
    if full and not reply.get("interrupted"):
        said_count, stored_count = int(full.group(1)), position[target["seq"]]
        if said_count != stored_count:
            result.breaks.append(
                f"seq {reply['seq']} says Turn {said_count} answering seq "
                f"{target['seq']} {target['content']!r}, the stored user turn "
                f"#{stored_count}"
            )


def sessions_of(truth: dict[str, Any]) -> tuple[dict[int, list[dict]], list[str]]:
    """Live sessions per conversation index (by the typed texts they hold)."""
    owned: dict[int, list[dict]] = defaultdict(list)
    mixed = []
    for session in truth["sessions"]:
        owners = {
            int(match.group(1))
            for text in session["user_turns"]
            if (match := TYPED_TAG.match(text))
        }
        if len(owners) > 1:
            mixed.append(f"Live session {session['id']} holds turns of {owners}")
        for owner in owners:
            owned[owner].append(session)
    return owned, mixed


@dataclass
class ConversationCheck:
    defects: dict[str, list[str]]
    typed_stored: int = 0
    typed_answered: int = 0
    spoken_stored: int = 0
    spoken_answered: int = 0


def check_conversation(
    page: Page, record: dict[str, Any], sessions: list[dict]
) -> ConversationCheck:
    items: list[dict[str, Any]] = record["items"]
    defects: dict[str, list[str]] = defaultdict(list)
    label = page.label
    seqs = [item["seq"] for item in items]
    if seqs != list(range(1, len(items) + 1)):
        defects["seq"].append(f"{label}: seqs {_gaps(seqs)}")
    users = [item for item in items if item["role"] == "user"]
    answers = match_answers(items)
    for why in answers.doubled:
        defects["doubled"].append(f"{label}: {why}")
    for why in answers.breaks:
        defects["context_break"].append(f"{label}: {why}")
    for item in answers.unanswered:
        defects["unanswered"].append(
            f"{label}: seq {item['seq']} {item['content']!r} has no reply"
        )
    _check_typed(page, users, defects)
    _check_spoken(page, users, defects)
    _check_final_session(page, users, sessions, defects)
    typed = [u for u in users if TYPED_TAG.match(u["content"])]
    spoken = [u for u in users if u["modality"] == "audio"]
    return ConversationCheck(
        defects=defects,
        typed_stored=len(typed),
        typed_answered=sum(u["seq"] in answers.answered for u in typed),
        spoken_stored=len(spoken),
        spoken_answered=sum(u["seq"] in answers.answered for u in spoken),
    )


def _check_typed(
    page: Page, users: list[dict[str, Any]], defects: dict[str, list[str]]
) -> None:
    stored = Counter(u["content"] for u in users)
    seqs: dict[str, list[int]] = defaultdict(list)
    for user in users:
        seqs[user["content"]].append(user["seq"])
    for turn in page.typed:
        if turn.sends == 0:
            defects["unsent"].append(
                f"{page.label}: {turn.text!r} was never sent (the page never owned "
                "the conversation again)"
            )
        elif stored[turn.text] == 0:
            defects["lost"].append(
                f"{page.label}: typed {turn.text!r} (id {turn.turn_id}, sent "
                f"{turn.sends}x) is not stored"
            )
        elif stored[turn.text] > 1:
            defects["doubled"].append(
                f"{page.label}: typed {turn.text!r} stored {stored[turn.text]}x at "
                f"seq {seqs[turn.text]} (sent {turn.sends}x)"
            )


def _check_spoken(
    page: Page, users: list[dict[str, Any]], defects: dict[str, list[str]]
) -> None:
    stored = sum(u["modality"] == "audio" for u in users)
    attempts = sum(u.attempts for u in page.utterances)
    # Every utterance heard, or spoken whole on a socket that stayed up, must be
    # stored; a cut one was said again until heard.
    needed = [u for u in page.utterances if u.heard or u.spoken_whole]
    unheard = [u for u in needed if not u.heard]
    missing = max(0, len(needed) - stored)
    for utterance in unheard[:missing]:
        defects["lost"].append(
            f"{page.label}: the utterance of turn {utterance.turn}, spoken whole on "
            f"a socket that stayed up ({utterance.attempts} attempts), is not stored"
        )
    for _ in range(missing - len(unheard[:missing])):
        defects["lost"].append(
            f"{page.label}: {len(needed)} utterances needed storing, {stored} stored"
        )
    if stored > attempts:
        defects["doubled"].append(
            f"{page.label}: {stored} spoken items stored for {attempts} attempts"
        )


def _check_final_session(
    page: Page,
    users: list[dict[str, Any]],
    sessions: list[dict],
    defects: dict[str, list[str]],
) -> None:
    stored = [u["content"] for u in users]
    if not sessions:
        if stored:
            defects["final_session"].append(f"{page.label}: no Live session found")
        return
    final = sessions[-1]
    if final["user_turns"] == stored:
        return
    defects["final_session"].append(
        f"{page.label}: Live session {final['id']} holds {len(final['user_turns'])} "
        f"user turns, {len(stored)} stored; first difference: "
        f"{_first_difference(final['user_turns'], stored)}"
    )


def _first_difference(live: list[str], stored: list[str]) -> str:
    for index, (a, b) in enumerate(zip(live, stored, strict=False)):
        if a != b:
            return f"#{index + 1}: Live {a!r}, stored {b!r}"
    shorter = min(len(live), len(stored))
    name, longer = ("Live", live) if len(live) > len(stored) else ("stored", stored)
    return f"#{shorter + 1}: only {name} goes on, with {longer[shorter]!r}"


def _gaps(seqs: list[int]) -> str:
    duplicates = sorted(s for s, n in Counter(seqs).items() if n > 1)
    missing = sorted(set(range(1, max(seqs, default=0) + 1)) - set(seqs))
    return f"missing {missing[:10]}, duplicated {duplicates[:10]}"


# -- report --------------------------------------------------------------------------


@dataclass
class SoakResult:
    lines: list[str]
    defects: dict[str, list[str]]

    @property
    def passed(self) -> bool:
        return not any(self.defects.values())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def percentile(values: list[float], fraction: float) -> str:
    """Nearest-rank percentile in seconds, or "n/a" without samples."""
    if not values:
        return "n/a"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]:.2f}s"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"


def _log_lines(server: AppServer, words: str) -> int:
    """How many lines of the workers' logs contain ``words``."""
    return sum(
        words in line for worker in server.workers for line in worker.log().splitlines()
    )


def _worker_errors(server: AppServer) -> Counter[str]:
    """The last line of every traceback in the workers' logs, by count."""
    found: Counter[str] = Counter()
    for worker in server.workers:
        for line in worker.log().splitlines():
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Full)\b", line):
                found[line[:160]] += 1
    return found


def build_result(
    soak: Soak, records: dict[str, dict], truth: dict[str, Any], duration: float
) -> SoakResult:
    owned, mixed = sessions_of(truth)
    defects: dict[str, list[str]] = {kind: [] for kind in DEFECT_KINDS}
    defects["final_session"] += mixed
    defects["give_up"] += soak.tally.give_ups
    defects["stale_status"] += soak.tally.stale_statuses
    defects["stuck"] += soak.tally.stuck
    defects["server_error"] += [
        f"{count}x {line}" for line, count in _worker_errors(soak.server).most_common()
    ]
    labels = {page.public_id: page.label for page in soak.pages}
    defects["open_run"] += [
        f"{labels.get(public_id, public_id)}: run {run_id} still open "
        f"{RUNS_CLOSE_S}s after the last socket closed"
        for public_id, run_id in _open_runs(records)
    ]
    if soak.timed_out:
        defects["time_limit"].append(
            f"the turns did not finish within {soak.options.time_limit_s:g}s"
        )
    checks = []
    for page in soak.pages:
        record = records.get(page.public_id, {"items": [], "runs": []})
        check = check_conversation(page, record, owned.get(page.index, []))
        checks.append(check)
        for kind, found in check.defects.items():
            defects[kind] += found
    lines = _figures(soak, records, checks, duration)
    lines += _defect_lines(defects)
    failed = [f"{kind} {len(found)}" for kind, found in defects.items() if found]
    lines.append("VERDICT: " + (f"FAIL ({', '.join(failed)})" if failed else "PASS"))
    return SoakResult(lines=lines, defects=defects)


def _figures(
    soak: Soak,
    records: dict[str, dict],
    checks: list[ConversationCheck],
    duration: float,
) -> list[str]:
    options, tally = soak.options, soak.tally
    pages = soak.pages
    voice = sum(page.mode == "voice" for page in pages)
    runs = [run for record in records.values() for run in record["runs"]]
    per_conversation = sorted(len(record["runs"]) for record in records.values())
    typed_sent = [turn for page in pages for turn in page.typed if turn.sends]
    utterances = [u for page in pages for u in page.utterances]
    database = "postgresql" if options.workers > 1 else "sqlite"
    layer = "redis" if options.workers > 1 else "in-memory"
    text_lat, voice_lat = tally.text_latencies, tally.voice_latencies
    lines = [
        f"seed: {soak.seed}",
        f"workers: {options.workers} ({database}, {layer} channel layer); "
        f"killed: {tally.killed or 'none'}",
        f"conversations: {len(pages)} ({len(pages) - voice} text, {voice} voice) x "
        f"{options.turns} turns",
        f"duration: {duration:.1f}s (turns until {soak.turns_ended:.1f}s, settled "
        f"at {soak.settled_at:.1f}s)",
        f"faults injected: {sum(tally.faults.values())} ({_counts(tally.faults)})",
        f"typed turns: {len(typed_sent)} sent ("
        f"{sum(t.sends for t in typed_sent) - len(typed_sent)} re-sends), "
        f"{sum(c.typed_stored for c in checks)} stored, "
        f"{sum(c.typed_answered for c in checks)} answered; send to answer p50 "
        f"{percentile(text_lat, 0.5)} p95 {percentile(text_lat, 0.95)}",
        f"voice utterances: {len(utterances)} ("
        f"{sum(u.attempts for u in utterances)} spoken, "
        f"{sum(u.repeats for u in utterances)} repeats, "
        f"{sum(u.skipped for u in utterances)} skipped), "
        f"{sum(c.spoken_stored for c in checks)} stored, "
        f"{sum(c.spoken_answered for c in checks)} answered; end of speech to "
        f"answer p50 {percentile(voice_lat, 0.5)} p95 {percentile(voice_lat, 0.95)}",
        f"runs: {len(runs)} (per conversation min {per_conversation[0] if runs else 0}"
        f", median {per_conversation[len(per_conversation) // 2] if runs else 0}, "
        f"max {per_conversation[-1] if runs else 0})",
        f"runs began: {_counts(Counter(run['began'] for run in runs))}",
        f"restores from transcript: "
        f"{sum(run['began'] == 'restored_from_transcript' for run in runs)}",
        "runs ended: " + _counts(Counter(run["end_reason"] or "open" for run in runs)),
        f"browser sockets: {_counts(tally.sockets)}",
        f"statuses seen: {_counts(tally.statuses)}",
        f"give-ups: {len(tally.give_ups)}; reconnecting statuses: "
        f"{tally.statuses['reconnecting']}",
        f"errors seen: {_counts(tally.errors)}",
        # channels_redis logs each group send that found a member's channel full.
        "channel layer: group sends that met a full channel: "
        f"{_log_lines(soak.server, 'over capacity in group')}",
    ]
    return lines


def _defect_lines(defects: dict[str, list[str]]) -> list[str]:
    lines = ["defects: " + ", ".join(f"{k} {len(v)}" for k, v in defects.items())]
    for kind, found in defects.items():
        for detail in found[:DETAILS_SHOWN]:
            lines.append(f"  {kind}: {detail}")
        if len(found) > DETAILS_SHOWN:
            lines.append(f"  {kind}: ... and {len(found) - DETAILS_SHOWN} more")
    return lines


# -- entry points --------------------------------------------------------------------


@contextlib.contextmanager
def worker_environment(workers: int) -> Iterator[None]:
    """SQLite and the in-memory layer for one worker; PostgreSQL + Redis for more."""
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "REDIS_URL")}
    if workers > 1:
        os.environ["DATABASE_URL"] = saved["DATABASE_URL"] or DEFAULT_DATABASE_URL
        os.environ["REDIS_URL"] = saved["REDIS_URL"] or DEFAULT_REDIS_URL
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def worker_env(options: SoakOptions) -> dict[str, str]:
    return {
        "CONVERSATION_LEASE_TTL_S": str(LEASE_TTL_S),
        "LIVE_MAX_BACKOFF_MS": str(MAX_BACKOFF_MS),
        # The whole conversation seeds a restored session, or "Turn k" would drift.
        "LIVE_SEED_MAX_ITEMS": str(max(200, 6 * options.turns)),
    }


async def run_soak(options: SoakOptions, tmp_dir: Path) -> SoakResult:
    seed = options.seed if options.seed is not None else random.randrange(10**6)
    with worker_environment(options.workers):
        server = AppServer(
            tmp_dir=tmp_dir,
            extra_env=worker_env(options),
            emulator_config=fast_emulator_config(),
        )
        try:
            return await _soak(server, options, seed, tmp_dir)
        finally:
            server.stop()


async def _soak(
    server: AppServer, options: SoakOptions, seed: int, tmp_dir: Path
) -> SoakResult:
    for _ in range(options.workers):
        server.start_worker()
    server.create_user(EMAIL, PASSWORD)
    soak = Soak(server, options, seed)
    modes = [
        "voice"
        if options.voice_every and (n + 1) % options.voice_every == 0
        else "text"
        for n in range(options.conversations)
    ]
    ids = server.create_conversations(EMAIL, modes)
    soak.pages = [Page(soak, n, ids[n], mode) for n, mode in enumerate(modes)]
    for worker in server.workers:
        soak.cookie(worker)
    soak.started = time.monotonic()
    await soak.run()
    duration = soak.elapsed()
    records = await final_records(server, ids)
    truth = await asyncio.to_thread(server.emulator_sessions)
    # What the verdict was drawn from, beside the worker logs, for debugging.
    (tmp_dir / "soak-records.json").write_text(json.dumps(records, indent=1))
    (tmp_dir / "soak-emulator.json").write_text(json.dumps(truth, indent=1))
    return build_result(soak, records, truth, duration)


async def final_records(server: AppServer, ids: list[str]) -> dict[str, dict]:
    """The stored conversations once every relay let go of its run.

    A socket that left ends its run (browser_left) as soon as the upstream is
    closed, which a stalled upstream delays by seconds; a run still open after
    that is a relay that never let go.
    """
    deadline = time.monotonic() + RUNS_CLOSE_S
    while True:
        await asyncio.sleep(1)
        records = await asyncio.to_thread(server.conversation_records, ids)
        if not _open_runs(records) or time.monotonic() > deadline:
            return records


def _open_runs(records: dict[str, dict]) -> list[tuple[str, int]]:
    return [
        (public_id, run["run_id"])
        for public_id, record in records.items()
        for run in record["runs"]
        if not run["end_reason"]
    ]


def parse_options(argv: list[str] | None = None) -> tuple[SoakOptions, Path | None]:
    """The soak's options, and where to keep the worker logs (if anywhere)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--workers", type=int, choices=(1, 2), default=1)
    parser.add_argument(
        "--kill",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="SIGKILL one worker mid-run (default: on with two workers)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="of the random order (default: any)"
    )
    parser.add_argument(
        "--turn-timeout",
        type=float,
        default=20.0,
        help="seconds a page waits for an answer before the next turn",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=90.0,
        help="seconds to wait for every answer once the turns are done",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=900.0,
        help="seconds the turns may take in all",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="keep the worker logs, the stored records, the emulator's ground "
        "truth (and the SQLite database) here",
    )
    args = parser.parse_args(argv)
    options = SoakOptions(
        conversations=args.conversations,
        turns=args.turns,
        workers=args.workers,
        kill=args.kill,
        seed=args.seed if args.seed is not None else random.randrange(10**6),
        turn_timeout_s=args.turn_timeout,
        settle_s=args.settle,
        time_limit_s=args.time_limit,
        progress=True,
    )
    return options, args.log_dir


def main(argv: list[str] | None = None) -> int:
    options, log_dir = parse_options(argv)
    print(f"soak: seed {options.seed}", flush=True)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run_soak(options, log_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            result = asyncio.run(run_soak(options, Path(tmp)))
    print(result.text)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
