"""The handle keeper: what it reports, when it drops a handle, what it logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from conversations.live import (
    Began,
    HandleIssued,
    HandleUpdate,
    SessionEvent,
    SessionResumptionUpdate,
)
from conversations.live.handles import HandleKeeper
from conversations.live.ledger import Handle, Ledger
from conversations.live.reporter import Reporter

SECRET = "Cg-a-resumption-handle"
LIFETIME_S = 7200.0


class Events:
    def __init__(self) -> None:
        self.seen: list[SessionEvent] = []

    async def on_event(self, event: SessionEvent) -> None:
        self.seen.append(event)


def keeper(ledger: Ledger) -> tuple[HandleKeeper, Events]:
    events = Events()
    return HandleKeeper(ledger, Reporter(events), LIFETIME_S), events


async def test_a_usable_handle_is_kept_and_reported_before_the_update():
    ledger = Ledger()
    handles, events = keeper(ledger)
    assert await handles.update(SessionResumptionUpdate(SECRET, resumable=True))
    issued, update = events.seen
    assert isinstance(issued, HandleIssued)
    assert issued.handle == SECRET
    assert update == HandleUpdate(resumable=True, usable=True)
    assert handles.usable() == SECRET


async def test_a_handle_issued_before_the_seed_is_answered_is_not_kept():
    ledger = Ledger()
    ledger.connection_opened(Began.RESTORED_FROM_TRANSCRIPT, seeded=True)
    handles, events = keeper(ledger)
    assert not await handles.update(SessionResumptionUpdate(SECRET, resumable=True))
    assert events.seen == [HandleUpdate(resumable=True, usable=False)]
    assert handles.usable() is None


async def test_an_update_without_a_handle_is_reported_as_not_usable():
    handles, events = keeper(Ledger())
    assert not await handles.update(SessionResumptionUpdate("", resumable=False))
    assert events.seen == [HandleUpdate(resumable=False, usable=False)]


def test_a_handle_older_than_its_lifetime_is_dropped():
    issued_at = datetime.now(UTC) - timedelta(seconds=LIFETIME_S + 1)
    ledger = Ledger(handle=Handle(SECRET, issued_at))
    handles, _ = keeper(ledger)
    assert handles.usable() is None
    assert ledger.handle is None


def test_a_handle_of_unknown_age_is_kept():
    handles, _ = keeper(Ledger(handle=Handle(SECRET, None)))
    assert handles.usable() == SECRET


async def test_handles_are_logged_by_fingerprint_only(caplog):
    handles, _ = keeper(Ledger())
    with caplog.at_level(logging.DEBUG, logger="conversations.live.handles"):
        await handles.update(SessionResumptionUpdate(SECRET, resumable=True))
        handles.forget("asked to")
    assert "new resumption handle" in caplog.text
    assert "dropping resumption handle" in caplog.text
    assert SECRET not in caplog.text
