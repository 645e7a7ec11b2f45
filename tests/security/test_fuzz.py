"""10,000 random frames on live sockets: no traceback, no 500, nothing stored unsent.

Hypothesis draws socket scripts (text and binary frames, valid and invalid, before
and after ``hello``), one per example. While it draws the next, four lanes (two
text conversations and two voice ones, one user each) play the scripts drawn so
far over real sockets to a real Daphne worker and the emulator. Each script ends
with a probe frame whose answer shows that every frame before it was handled, and
every frame the parser refuses must have had its own error: none was dropped unread.
"""

from __future__ import annotations

import asyncio
import queue
import re
import threading
import time
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.error_codes import documented_error_codes
from tests.integration.socket_client import BrowserSocket

from .frames import Script, refused_by_the_parser, script, typed_turn

TOTAL_FRAMES = 10_000
FRAMES_PER_SOCKET = 50
SCRIPTS = TOTAL_FRAMES // FRAMES_PER_SOCKET
MODES = ["text", "voice", "text", "voice"]  # one lane each: a user, a conversation
# A socket may burst 30 text frames: these and the probe stay within it.
TEXT_PER_SOCKET = 27
PASSWORD = "fuzz-password-123"
SPOKEN = re.compile(r"spoken \d+\.\ds")
PROBE = "probe-"


@dataclass
class Lane:
    email: str
    mode: str
    cookie: str = ""
    public_id: str = ""


@dataclass
class Played:
    """One script on one socket, and every event the socket got."""

    lane: Lane
    script: Script
    events: list[dict]

    @property
    def errors(self) -> list[str]:
        return [
            event["code"]
            for event in self.events
            if event["type"] == "error" and PROBE not in event["message"]
        ]


@dataclass
class Player:
    """Plays scripts on the lanes, in a thread of its own, as Hypothesis draws them."""

    worker: object
    lanes: list[Lane]
    scripts: queue.Queue[Script | None] = field(default_factory=queue.Queue)
    played: list[Played] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, name="fuzz-player")
        self.thread.start()

    def finish(self) -> None:
        for _ in self.lanes:
            self.scripts.put(None)
        self.thread.join()

    def _run(self) -> None:
        # The queue is unbounded, so drawing goes on after a failure, and the
        # sentinels of finish() release any lane still waiting for a script.
        try:
            asyncio.run(self._play_all())
        except BaseException as failure:  # reported by the test
            self.failures.append(failure)

    async def _play_all(self) -> None:
        await asyncio.gather(*(self._play_lane(lane) for lane in self.lanes))

    async def _play_lane(self, lane: Lane) -> None:
        while (one := await asyncio.to_thread(self.scripts.get)) is not None:
            probe = f"{PROBE}{len(self.played)}"
            socket = await BrowserSocket.open(self.worker, lane.public_id, lane.cookie)
            try:
                for frame in one.frames:
                    await socket.connection.send(frame)
                await socket.send(type=probe)
                try:
                    await socket.expect(
                        "error",
                        lambda e, probe=probe: probe in e["message"],
                        within_s=60,
                    )
                except TimeoutError:
                    raise AssertionError(
                        f"probe unanswered on {lane}: {socket.kinds()[-30:]}"
                    ) from None
            finally:
                await socket.close()
            self.played.append(Played(lane, one, socket.events))


@pytest.mark.app_env(CONVERSATION_TURN_RATE="6000/m")
def test_ten_thousand_random_frames_break_nothing(app_server):
    worker = app_server.workers[0]
    lanes = [Lane(f"fuzz{n}@example.com", mode) for n, mode in enumerate(MODES)]
    public_ids = app_server.run_python_json(
        "import json\n"
        "from django.contrib.auth import get_user_model\n"
        "from conversations import services\n"
        "ids = []\n"
        f"for email, mode in {[(lane.email, lane.mode) for lane in lanes]!r}:\n"
        "    user = get_user_model().objects.create_user("
        f"username=email, email=email, password={PASSWORD!r})\n"
        "    ids.append(str(services.create_conversation("
        "owner=user, title='Fuzzed', mode=mode).public_id))\n"
        "print(json.dumps(ids))\n"
    )
    for lane, public_id in zip(lanes, public_ids, strict=True):
        lane.public_id = public_id
        lane.cookie = app_server.login(lane.email, PASSWORD)
    log_start = len(worker.log())
    started = time.monotonic()
    player = Player(worker, lanes)

    @settings(
        max_examples=SCRIPTS,
        deadline=None,
        database=None,
        # The sockets play the scripts after Hypothesis has moved on: nothing
        # fails inside an example, so there is nothing to shrink.
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(script(FRAMES_PER_SOCKET, TEXT_PER_SOCKET))
    def draw(one: Script) -> None:
        player.scripts.put(one)

    try:
        draw()
    finally:
        player.finish()
    assert player.failures == []
    played = player.played
    frames = sum(len(one.script.frames) for one in played)
    errors: dict[str, int] = {}
    for one in played:
        for code in one.errors:
            errors[code] = errors.get(code, 0) + 1
    refused = sum(refused_by_the_parser(f) for p in played for f in p.script.frames)
    records = app_server.conversation_records([lane.public_id for lane in lanes])
    stored = sum(len(record["items"]) for record in records.values())
    print(
        f"\n{frames} frames on {len(played)} sockets in "
        f"{time.monotonic() - started:.0f} s; {refused} refused by the parser; "
        f"{stored} items stored; errors answered: {dict(sorted(errors.items()))}"
    )

    assert frames == TOTAL_FRAMES
    for one in played:
        assert "internal_error" not in one.errors, one.script
        # One error per refused frame at least: none was dropped unread.
        refused_here = sum(map(refused_by_the_parser, one.script.frames))
        assert len(one.errors) >= refused_here, (one.errors, one.script)
    # No traceback, no error log, no 500.
    added = worker.log()[log_start:]
    troubles = [
        line
        for line in added.splitlines()
        if "Traceback" in line or " ERROR " in line or '" 500 ' in line
    ]
    assert troubles == []
    # Nothing stored that the user did not send.
    for lane in lanes:
        sent = {
            turn
            for one in played
            if one.lane is lane
            for turn in map(typed_turn, one.script.frames)
            if turn is not None
        }
        users = [i for i in records[lane.public_id]["items"] if i["role"] == "user"]
        typed = [i["content"] for i in users if i["modality"] == "text"]
        spoken = [i["content"] for i in users if i["modality"] == "audio"]
        assert set(typed) <= sent
        assert lane.mode == "voice" or spoken == []
        assert all(SPOKEN.fullmatch(content) for content in spoken), spoken
    # Each fuzzed conversation still holds a conversation, on a fresh socket.
    asyncio.run(still_usable(worker, lanes))
    # Every code the socket sent is documented.
    assert set(errors) <= documented_error_codes()


async def still_usable(worker, lanes: list[Lane]) -> None:
    """A fresh socket on each fuzzed conversation holds it and gets Live's answers.

    The fuzzing sockets closed before Live answered most of their turns: a new
    upstream sends those again first, so the first answer may be to one of them,
    after dozens of others on a busy machine.
    """
    for lane in lanes:
        socket = await BrowserSocket.open(worker, lane.public_id, lane.cookie)
        await socket.hello(last_seq=10**6)
        presence = await socket.expect("presence")
        if presence["role"] != "owner":
            # The last fuzzing socket may not have let go yet.
            await socket.send(type="takeover")
            await socket.expect("presence", lambda e: e["role"] == "owner")
        await socket.expect("session.created")
        await socket.send(type="text", text=f"still here after the fuzz, {lane.email}")
        try:
            await socket.expect(
                "transcript.item", lambda e: e["role"] == "assistant", within_s=90.0
            )
        except TimeoutError:
            raise AssertionError(f"no answer on {lane}: {socket.kinds()}") from None
        await socket.close()
