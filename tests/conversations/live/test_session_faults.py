"""Property: whatever faults hit a long conversation, Live sees every user turn once."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.live.emulator import EmulatorConfig, LiveEmulator

from .talking import TalkingSession

FAULTS = {
    "drop": [{"action": "drop"}],
    "close_1011": [{"action": "close", "code": 1011, "reason": "Internal error"}],
    "close_1000": [{"action": "close", "code": 1000, "reason": ""}],
    "goaway": [{"action": "goaway", "time_left_s": 1}],
    "expire_handles": [{"action": "expire_handles"}, {"action": "drop"}],
    "token_outage": [{"action": "fail_token_mints", "count": 2}, {"action": "drop"}],
}

step = st.one_of(
    st.tuples(st.just("turn"), st.sampled_from([0.0, 0.01, 0.03])),
    st.tuples(st.just("fault"), st.sampled_from(sorted(FAULTS))),
)


async def run_conversation(steps: list[tuple[str, object]]) -> None:
    emulator = LiveEmulator(EmulatorConfig(reply_chunk_delay_s=0.002))
    await emulator.start()
    conversation = TalkingSession(emulator, max_attempts=12)
    try:
        await conversation.start()
        await conversation.talk("hello")
        for number, (kind, detail) in enumerate(steps):
            if kind == "turn":
                await conversation.say(f"turn {number}")
                await asyncio.sleep(detail)  # the next step may land mid-reply
            else:
                for fault in FAULTS[detail]:
                    emulator.inject_fault(fault)
        await conversation.say("goodbye")
        await conversation.settle()
        conversation.assert_each_turn_once()
        run_ids = [run_id for run_id, _ in conversation.recorder.connections]
        assert run_ids == list(range(len(run_ids)))
        assert "disconnected" not in conversation.recorder.status_names
    finally:
        if conversation.session is not None:
            await conversation.session.close()
        await emulator.stop()


@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(step, min_size=4, max_size=14))
def test_random_faults_never_lose_or_repeat_a_turn(steps):
    asyncio.run(asyncio.wait_for(run_conversation(steps), timeout=60))
