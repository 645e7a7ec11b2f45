"""Pages that hang: a hello or a takeover never answered."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from tests.bench.soak.limits import HELLO_ANSWER_S, TAKEOVER_ANSWER_S

if TYPE_CHECKING:
    from tests.bench.soak.page import Page
    from tests.bench.soak.phases import Soak


async def watchdog(soak: Soak) -> None:
    """Do what a person does with a page that hangs: ask again, or reload."""
    while not soak.closing:
        await asyncio.sleep(1)
        for page in soak.pages:
            await _check_page(soak, page)


async def _check_page(soak: Soak, page: Page) -> None:
    socket = page.socket
    if socket is None or socket.closed.is_set():
        return
    where = f"{page.label} at {soak.elapsed():.1f}s on :{socket.worker.port}"
    if socket.role is None:
        if time.monotonic() - socket.opened_at > HELLO_ANSWER_S:
            soak.tally.stuck.append(f"{where}: no presence after hello")
            socket.abort()
        return
    if socket.role != "viewer":
        return
    asked = socket.takeover_asked_at
    if asked is not None and time.monotonic() - asked > TAKEOVER_ANSWER_S:
        soak.tally.stuck.append(
            f"{where}: takeover neither granted nor refused after {TAKEOVER_ANSWER_S}s"
        )
        asked = None
    if asked is None:
        # "Continue here" again, after a takeover_failed or no answer at all.
        await page.ask_takeover(socket)
