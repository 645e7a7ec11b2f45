"""A LiveSession under test: its recorder, and the transcript its caller would store."""

from __future__ import annotations

from conversations.live import LiveSession

from .recorder import Recorder, Transcript, fast_config, newest_session


class TalkingSession:
    """A LiveSession with its recorder and the transcript the caller would store."""

    def __init__(self, emulator, **config_overrides):
        self.emulator = emulator
        self.recorder = Recorder()
        self.transcript = Transcript(self.recorder)
        self.config = fast_config(emulator.base_url, **config_overrides)
        self.session: LiveSession | None = None
        self.texts: list[str] = []

    async def start(self, **session_kwargs) -> LiveSession:
        session_kwargs.setdefault("seed_provider", self.transcript.seed)
        self.session = LiveSession(self.config, self.recorder, **session_kwargs)
        await self.session.start()
        await self.recorder.wait_for(lambda: "connected" in self.recorder.status_names)
        return self.session

    async def say(self, text: str) -> None:
        """Send a turn without waiting for its reply."""
        turn_id = len(self.transcript.turns) + 1
        self.transcript.turns.append((turn_id, text))
        self.texts.append(text)
        await self.session.send_text(text, turn_id=turn_id)

    async def settle(self) -> None:
        """Wait until every turn has its reply and the newest handle covers it."""
        ids = [turn_id for turn_id, _ in self.transcript.turns]
        await self.recorder.wait_for(
            lambda: (
                all(i in self.recorder.replies for i in ids)
                and not self.session.pending_turn_ids
            )
        )

    async def talk(self, *texts: str) -> None:
        for text in texts:
            await self.say(text)
            await self.settle()

    def assert_each_turn_once(self) -> None:
        """Ground truth holds every turn once; the counts never reset or jump."""
        truth = newest_session(self.emulator.snapshot())
        assert truth["user_turns"] == self.texts
        first = self.texts[0]
        for number, (turn_id, text) in enumerate(self.transcript.turns, start=1):
            assert self.recorder.replies[turn_id] == (
                f'Turn {number}. You said "{text}". You first said "{first}".'
            )

    async def close(self) -> None:
        await self.session.close()
