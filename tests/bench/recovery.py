"""Benchmark: how fast a conversation is back after Live drops, rotates or moves.

    .venv/bin/python -m tests.bench.recovery [--users 50] [--drops 4] [--quick]

* Drops: the emulator cuts every upstream socket at once; the time from the cut
  to ``connected`` again (a fresh ephemeral token minted for every attempt) is
  taken for each conversation, through a Daphne worker as a page sees it, and for
  bare ``LiveSession``s with this project's reconnect policy and with others
  replayed on the same emulator: a fixed 1 s first retry (doubling after), 0.1 s
  then 2 s, and immediate retries without a bound. Then the same number of drops
  one socket at a time (a lost phone signal rather than a Live restart), while
  the others stay up, through the worker and for a bare session.
* goAway rotation: users speak while the emulator announces the end of every
  connection, at once and then one connection after another; the gap (old
  upstream closed to the new one set up, while input is held) and any utterance
  lost or answered twice.
* Takeover: a page on a second worker presses "Continue here"; the time to its
  ``connected`` (PostgreSQL + Redis, two workers; skipped without them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection

from conversations.live import LiveConfig, LiveSession, RunClosed, RunOpened
from conversations.live.backoff import RetryDelays
from conversations.live.events import SessionEvent, Status, StatusChanged
from conversations.live.protocol import InputTranscription, TurnComplete
from tests.bench.soak.workers import EMAIL
from tests.bench.stage import Stage, percentile, stage
from tests.bench.voice_users import (
    END_AFTER_FRAMES,
    FRAME_S,
    MODEL,
    SILENCE_FRAME,
    SPEECH_FRAMES,
    ProxiedUser,
)
from tests.harness import Worker
from tests.integration.socket_client import open_page_socket

DROP_P50_TARGET_MS, DROP_P99_TARGET_MS = 100.0, 500.0
GAP_TARGET_MS = 200.0
TAKEOVER_P50_TARGET_MS = 300.0
BACK_WITHIN_S = 30.0
# The product's defaults (the soak's workers use shorter ones).
PRODUCT_ENV = {"LIVE_MAX_BACKOFF_MS": "8000", "CONVERSATION_LEASE_TTL_S": "6"}


class FixedFirst:
    """A fixed 1 s first retry, doubling after, up to 8 s."""

    def delay(self, attempt: int) -> float:
        return min(8.0, 2.0 ** (attempt - 1))


class ShortThenLong:
    """0.1 s, then 2 s for every later retry."""

    def delay(self, attempt: int) -> float:
        return 0.1 if attempt <= 1 else 2.0


class Immediate:
    """No wait, ever, and no bound."""

    def delay(self, attempt: int) -> float:
        return 0.0


OURS = "this project (immediate, then jittered backoff)"
AS_A_PAGE = "this project, as a page sees it (Daphne)"
POLICIES: dict[str, tuple[RetryDelays | None, int]] = {
    OURS: (None, 6),
    "fixed 1 s first retry": (FixedFirst(), 6),
    "0.1 s then 2 s": (ShortThenLong(), 6),
    "immediate and unbounded": (Immediate(), 10**6),
}


@dataclass
class Watch:
    """A bare session's listener: when it connected, opened and closed runs."""

    connected: list[float] = field(default_factory=list)
    opened: list[float] = field(default_factory=list)
    closed: list[float] = field(default_factory=list)
    heard: int = 0
    replies: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_event(self, event: SessionEvent) -> None:
        now = time.perf_counter()
        if isinstance(event, StatusChanged) and event.status == Status.CONNECTED:
            self.connected.append(now)
        elif isinstance(event, RunOpened):
            self.opened.append(now)
        elif isinstance(event, RunClosed):
            self.closed.append(now)
        elif isinstance(event, InputTranscription):
            self.heard += 1
        elif isinstance(event, TurnComplete):
            self.replies += 1
        self.changed.set()


class Page(ProxiedUser):
    """A page's socket that notes when it is told ``connected``."""

    def __init__(self, connection: ClientConnection) -> None:
        self.statuses: list[float] = []
        super().__init__(connection)

    @classmethod
    async def open_viewer(cls, worker: Worker, public_id: str, cookie: str) -> Page:
        """A page on another device: it says hello and is shown as a viewer."""
        connection = await open_page_socket(worker, public_id, cookie, open_timeout=30)
        page = cls(connection)
        page.connected = asyncio.Event()
        await connection.send(json.dumps({"type": "hello", "last_seq": 0}))
        await asyncio.sleep(0.3)  # its presence: a viewer
        return page

    def on_frame(self, frame: str | bytes) -> None:
        super().on_frame(frame)
        if isinstance(frame, str):
            event = json.loads(frame)
            if event.get("type") == "status" and event.get("status") == "connected":
                self.statuses.append(time.perf_counter())


async def wait_all(predicate: Callable[[], bool], within_s: float) -> None:
    # Polled: the figures come from the times the events were seen, not from here.
    deadline = time.perf_counter() + within_s
    while not predicate() and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def drop_round(
    stage_: Stage, back_times: list[Callable[[], list[float]]], *, one: bool = False
) -> list[float | None]:
    """Cut every upstream (or, `one`, the longest-open one); ms to ``connected``."""
    before = [len(times()) for times in back_times]
    cut_at = time.perf_counter()
    fault = {"action": "drop", "count": 1} if one else {"action": "drop"}
    cut = int((await asyncio.to_thread(stage_.fault, fault))["affected"])

    def back() -> list[float]:
        return [
            (times()[count] - cut_at) * 1000
            for times, count in zip(back_times, before, strict=True)
            if len(times()) > count
        ]

    await wait_all(lambda: len(back()) >= cut, BACK_WITHIN_S)
    samples: list[float | None] = [*back()]
    samples += [None] * (cut - len(samples))
    # The next drop finds every session settled.
    await asyncio.sleep(0.1 if one else 0.5)
    return samples


def session_config(url: str, max_attempts: int) -> LiveConfig:
    return LiveConfig(
        api_base=url, api_key="emulator-key", model=MODEL, max_attempts=max_attempts
    )


async def drops_bare(
    stage_: Stage,
    users: int,
    drops: int,
    policy: RetryDelays | None,
    bound: int,
    *,
    one: bool = False,
) -> list[float | None]:
    watches = [Watch() for _ in range(users)]
    sessions = [
        LiveSession(session_config(stage_.emulator_url, bound), w, backoff=policy)
        for w in watches
    ]
    for session in sessions:
        await session.start()
    try:
        await wait_all(lambda: all(w.connected for w in watches), BACK_WITHIN_S)
        samples: list[float | None] = []
        for _ in range(drops):
            samples += await drop_round(
                stage_, [lambda w=w: w.connected for w in watches], one=one
            )
        return samples
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


async def drops_proxied(
    stage_: Stage, users: int, drops: int, *, one: bool = False
) -> list[float | None]:
    ids = await asyncio.to_thread(
        stage_.server.create_conversations, EMAIL, ["voice"] * users
    )
    cookie = await asyncio.to_thread(stage_.login)
    worker = stage_.workers[0]
    pages = [await Page.open(worker, public_id, cookie) for public_id in ids]
    try:
        samples: list[float | None] = []
        for _ in range(drops):
            samples += await drop_round(
                stage_, [lambda p=p: p.statuses for p in pages], one=one
            )
        return samples
    finally:
        await asyncio.gather(*(page.close() for page in pages))


async def speak(session: LiveSession, watch: Watch, utterances: int) -> None:
    """Real-time speech and silence, one utterance after the reply to the last."""
    for _ in range(utterances):
        replies = watch.replies
        start, sent = time.perf_counter(), 0
        frames = [*SPEECH_FRAMES, *[SILENCE_FRAME] * END_AFTER_FRAMES]
        deadline = start + 15
        while sent < len(frames) or (
            watch.replies == replies and time.perf_counter() < deadline
        ):
            await session.send_audio(frames[sent] if sent < len(frames) else frames[-1])
            sent += 1
            await asyncio.sleep(max(0.0, start + sent * FRAME_S - time.perf_counter()))


async def goaway_rotation(
    stage_: Stage, users: int, utterances: int, *, one: bool = False
) -> tuple[list[float], int, int]:
    """Gaps (ms) of the rotations, utterances lost, utterances answered twice.

    Every connection is told at once, or (`one`) one after another, 0.1 s apart.
    """
    watches = [Watch() for _ in range(users)]
    sessions = [LiveSession(session_config(stage_.emulator_url, 6), w) for w in watches]
    for session in sessions:
        await session.start()
    try:
        await wait_all(lambda: all(w.connected for w in watches), BACK_WITHIN_S)
        talking = [
            asyncio.create_task(speak(s, w, utterances))
            for s, w in zip(sessions, watches, strict=True)
        ]
        await asyncio.sleep(1.0)  # mid-utterance for many of them
        fault: dict[str, object] = {"action": "goaway", "time_left_s": 1}
        if one:
            fault["count"] = 1
        for _ in range(users if one else 1):
            await asyncio.to_thread(stage_.fault, fault)
            await asyncio.sleep(0.1 if one else 0)
        await asyncio.gather(*talking)
        await asyncio.sleep(0.5)
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    gaps = [
        (opened - closed) * 1000
        for w in watches
        for closed, opened in zip(w.closed, w.opened[1:], strict=False)
    ]
    # Live's own books: the user turns each session's context holds at the end.
    truth = await asyncio.to_thread(stage_.emulator_sessions)
    held = [len(session["user_turns"]) for session in truth["sessions"][-users:]]
    lost = sum(max(0, utterances - count) for count in held)
    twice = sum(max(0, count - utterances) for count in held)
    return gaps, lost, twice


async def takeovers(stage_: Stage, count: int) -> list[float]:
    """ms from pressing "Continue here" on the other worker to ``connected``."""
    first, second = stage_.workers[:2]
    ids = await asyncio.to_thread(
        stage_.server.create_conversations, EMAIL, ["voice"] * count
    )
    cookies = [await asyncio.to_thread(stage_.login, w) for w in (first, second)]
    samples = []
    for public_id in ids:
        owner = await Page.open(first, public_id, cookies[0])
        other = await Page.open_viewer(second, public_id, cookies[1])
        try:
            asked = time.perf_counter()
            await other.connection.send(json.dumps({"type": "takeover"}))
            await wait_all(lambda other=other: bool(other.statuses), 15)
            if other.statuses:
                samples.append((other.statuses[0] - asked) * 1000)
        finally:
            await asyncio.gather(owner.close(), other.close())
    return samples


def summary(samples: list[float | None]) -> str:
    back = [s for s in samples if s is not None]
    p50, p99 = percentile(back, 0.5), percentile(back, 0.99)
    return (
        f"{len(samples):>5} {p50:>8.0f} {p99:>8.0f}"
        f" {max(back, default=0):>8.0f} {len(samples) - len(back):>9}"
    )


async def bench(args: argparse.Namespace, tmp_dir: Path) -> int:
    ok = True
    lines = []
    with stage(tmp_dir, workers=1, users=args.users, extra_env=PRODUCT_ENV) as stage_:
        print(
            f"drops of every upstream at once: {args.users} conversations x "
            f"{args.drops} drops",
            flush=True,
        )
        print(
            f"{'policy':<50}{'drops':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
            f" {'not back':>9}"
        )
        mass = await drops_proxied(stage_, args.users, args.drops)
        print(f"{AS_A_PAGE:<50}{summary(mass)}", flush=True)
        for name, (policy, bound) in POLICIES.items():
            samples = await drops_bare(stage_, args.users, args.drops, policy, bound)
            print(f"{name + ' (bare LiveSession)':<50}{summary(samples)}", flush=True)
        single = args.drops * args.users
        print(
            f"drops of one upstream at a time (the longest-open), the other "
            f"{args.users - 1} staying up: {single} drops",
            flush=True,
        )
        isolated = await drops_proxied(stage_, args.users, single, one=True)
        print(f"{AS_A_PAGE:<50}{summary(isolated)}", flush=True)
        ours, bound = POLICIES[OURS]
        samples = await drops_bare(stage_, args.users, single, ours, bound, one=True)
        print(f"{OURS + ' (bare LiveSession)':<50}{summary(samples)}", flush=True)
        rotations = {}
        for kind, one in (("all at once", False), ("one at a time", True)):
            gaps, lost, twice = rotations[kind] = await goaway_rotation(
                stage_, args.users, args.utterances, one=one
            )
            print(
                f"goAway rotation, {kind}: {len(gaps)} rotations, gap p50 "
                f"{percentile(gaps, 0.5):.0f} ms, p99 {percentile(gaps, 0.99):.0f} "
                f"ms, max {max(gaps, default=0):.0f} ms; utterances lost {lost}, "
                f"answered twice {twice}",
                flush=True,
            )
        lag = stage_.emulator_lag()
        errors = stage_.logged_errors()
    print(f"emulator loop lag p99 over the run: {lag['p99_ms']} ms")
    not_back = 0
    for kind, samples in (("one at a time", isolated), ("all at once", mass)):
        back = [s for s in samples if s is not None]
        not_back += len(samples) - len(back)
        p50, p99 = percentile(back, 0.5), percentile(back, 0.99)
        met = (
            p50 <= DROP_P50_TARGET_MS
            and p99 <= DROP_P99_TARGET_MS
            and len(back) == len(samples)
        )
        ok &= met
        lines.append(
            f"drops {kind}: p50 {p50:.0f} ms (<= {DROP_P50_TARGET_MS:g}), p99 "
            f"{p99:.0f} ms (<= {DROP_P99_TARGET_MS:g}) {'met' if met else 'MISSED'}"
        )
    lost = twice = 0
    for kind, (gaps, lost_here, twice_here) in rotations.items():
        lost, twice = lost + lost_here, twice + twice_here
        gap = percentile(gaps, 0.99)
        met = bool(gaps) and gap <= GAP_TARGET_MS and lost_here == 0
        ok &= met
        lines.append(
            f"goAway {kind}: gap p99 {gap:.0f} ms (<= {GAP_TARGET_MS:g}), "
            f"lost {lost_here} {'met' if met else 'MISSED'}"
        )
    takeover = await run_takeovers(args, tmp_dir)
    if takeover is None:
        lines.append("takeover: not measured (needs PostgreSQL and Redis)")
    else:
        met = percentile(takeover, 0.5) <= TAKEOVER_P50_TARGET_MS
        ok &= met
        lines.append(
            f"takeover p50 {percentile(takeover, 0.5):.0f} ms "
            f"(<= {TAKEOVER_P50_TARGET_MS:g}) {'met' if met else 'MISSED'}"
        )
    for line in errors[:20]:
        print(f"  logged: {line}")
    zero = not errors and not not_back and not lost and not twice
    ok &= zero
    print(f"verdict: {'PASS' if ok else 'MISS'}: {'; '.join(lines)}")
    print(
        f"errors logged {len(errors)}, conversations not back {not_back}, "
        f"utterances lost {lost}, answered twice {twice}",
        flush=True,
    )
    return 0 if ok else 1


async def run_takeovers(args: argparse.Namespace, tmp_dir: Path) -> list[float] | None:
    if not _postgres_and_redis():
        return None
    with stage(
        tmp_dir / "two", workers=2, users=args.takeovers, extra_env=PRODUCT_ENV
    ) as stage_:
        samples = await takeovers(stage_, args.takeovers)
        errors = stage_.logged_errors()
    print(
        f"takeover across two workers (postgresql + redis): {len(samples)} of "
        f"{args.takeovers}, p50 {percentile(samples, 0.5):.0f} ms, p99 "
        f"{percentile(samples, 0.99):.0f} ms, max {max(samples, default=0):.0f} ms; "
        f"errors logged {len(errors)}",
        flush=True,
    )
    for line in errors[:10]:
        print(f"  logged: {line}")
    return samples


def _postgres_and_redis() -> bool:
    for port in (5432, 6379):
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return False
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.recovery", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--drops", type=int, default=4, help="drops of every socket")
    parser.add_argument("--utterances", type=int, default=3)
    parser.add_argument("--takeovers", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="10 users, 2 drops")
    parser.add_argument("--keep", type=Path, help="keep logs here")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.drops, args.utterances, args.takeovers = 10, 2, 2, 4
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.keep is not None:
        (args.keep / "two").mkdir(parents=True, exist_ok=True)
        return asyncio.run(bench(args, args.keep))
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp:
        (Path(tmp) / "two").mkdir()
        return asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
