"""10,000 random frames on live sockets: no traceback, no 500, nothing stored unsent.

Hypothesis draws socket scripts (text and binary frames, valid and invalid, before
and after ``hello``); each example runs one script on each of four conversations
at once (two text, two voice, four users) over real sockets to a real Daphne
worker and the emulator. Each script ends with a probe frame whose answer shows
that every frame before it was handled; every frame the parser refuses must have
had its own error, so none was dropped unread.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.error_codes import documented_error_codes
from tests.integration.socket_client import BrowserSocket

from .frames import Frame, Script, refused_by_the_parser, script, typed_turn

TOTAL_FRAMES = 10_000
LANES = 4  # sockets at once, one conversation and one user each
FRAMES_PER_SOCKET = 50
EXAMPLES = TOTAL_FRAMES // (LANES * FRAMES_PER_SOCKET)
# A socket may burst 30 text frames: the probe and some room stay within it.
MAX_TEXT_PER_SOCKET = 27
PASSWORD = "fuzz-password-123"
SPOKEN = re.compile(r"spoken \d+\.\ds")


@dataclass
class Lane:
    email: str
    mode: str
    cookie: str = ""
    public_id: str = ""
    sent_turns: set[str] = field(default_factory=set)


@dataclass
class Tally:
    frames: int = 0
    sockets: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    refused: int = 0  # frames the parser refuses, whatever the state


async def run_script(worker, lane: Lane, frames: tuple[Frame, ...], probe: str):
    socket = await BrowserSocket.open(worker, lane.public_id, lane.cookie)
    try:
        for frame in frames:
            await socket.connection.send(frame)
        await socket.send(type=probe)
        await socket.expect("error", lambda e: probe in e["message"], within_s=60.0)
        return list(socket.events)
    finally:
        await socket.close()


def run_example(worker, lanes: list[Lane], scripts: list[Script], tally: Tally) -> None:
    probes = [f"probe-{tally.sockets + n}" for n in range(len(lanes))]

    async def all_lanes():
        return await asyncio.gather(
            *(
                run_script(worker, lane, one.frames, probe)
                for lane, one, probe in zip(lanes, scripts, probes, strict=True)
            )
        )

    answers = asyncio.run(all_lanes())
    for lane, one, events in zip(lanes, scripts, answers, strict=True):
        errors = [
            e["code"]
            for e in events
            if e["type"] == "error"
            and not e["message"].startswith("Unknown frame type 'probe-")
        ]
        refused = sum(refused_by_the_parser(frame) for frame in one.frames)
        for code in errors:
            tally.errors[code] = tally.errors.get(code, 0) + 1
        assert "internal_error" not in errors, one.frames
        # One error per refused frame at least: none was dropped unread.
        assert len(errors) >= refused, (len(errors), refused, errors)
        lane.sent_turns.update(
            turn for turn in map(typed_turn, one.frames) if turn is not None
        )
        tally.refused += refused
        tally.frames += len(one.frames)
    tally.sockets += len(lanes)


@pytest.mark.app_env(CONVERSATION_TURN_RATE="6000/m")
def test_ten_thousand_random_frames_break_nothing(app_server):
    worker = app_server.workers[0]
    lanes = [
        Lane(f"fuzz{n}@example.com", mode)
        for n, mode in enumerate(["text", "voice", "text", "voice"])
    ]
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
    tally = Tally()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        # Each example is seconds of real sockets: report the script, don't shrink.
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.lists(
            script(FRAMES_PER_SOCKET, MAX_TEXT_PER_SOCKET),
            min_size=LANES,
            max_size=LANES,
        )
    )
    def fuzz(scripts: list[Script]) -> None:
        run_example(worker, lanes, scripts, tally)

    started = time.monotonic()
    fuzz()

    records = app_server.conversation_records([lane.public_id for lane in lanes])
    stored = sum(len(record["items"]) for record in records.values())
    print(
        f"\n{tally.frames} frames on {tally.sockets} sockets in "
        f"{time.monotonic() - started:.0f} s; {tally.refused} refused by the parser; "
        f"{stored} items stored; errors answered: {dict(sorted(tally.errors.items()))}"
    )
    assert tally.frames == TOTAL_FRAMES
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
        items = records[lane.public_id]["items"]
        typed = [
            i["content"]
            for i in items
            if i["role"] == "user" and i["modality"] == "text"
        ]
        spoken = [
            i["content"]
            for i in items
            if i["role"] == "user" and i["modality"] == "audio"
        ]
        assert set(typed) <= lane.sent_turns
        if lane.mode == "text":
            assert spoken == []
        assert all(SPOKEN.fullmatch(content) for content in spoken), spoken
    # The worker, and each fuzzed conversation, still holds a conversation.
    asyncio.run(still_usable(worker, lanes))
    # Every code the socket sent is documented.
    assert set(tally.errors) <= documented_error_codes()


async def still_usable(worker, lanes: list[Lane]) -> None:
    """A fresh socket on each fuzzed conversation holds it and gets Live's answers.

    The fuzzing sockets closed before Live answered most of their turns: a new
    upstream sends those again first, so the first answer may be to one of them.
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
                "transcript.item", lambda e: e["role"] == "assistant", within_s=30.0
            )
        except TimeoutError:
            raise AssertionError(f"no answer on {lane}: {socket.kinds()}") from None
        await socket.close()
