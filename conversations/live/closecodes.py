"""What to do after an upstream connection closed: one table for every close code."""

from __future__ import annotations

from enum import Enum

# Live's reason when a resumption handle is unknown or expired.
HANDLE_NOT_FOUND = "requested entity was not found"


class CloseAction(Enum):
    RETRY = "retry"  # reconnect, resuming with the newest handle
    ROTATE = "rotate"  # the server ended the connection on purpose: resume at once
    RESTORE = (
        "restore"  # the handle is refused: new Live session seeded from transcript
    )
    FATAL = "fatal"  # retrying cannot help: stop and report the reason


_TABLE: dict[int, CloseAction] = {
    1000: CloseAction.ROTATE,
    1001: CloseAction.ROTATE,
    1006: CloseAction.RETRY,
    1007: CloseAction.FATAL,
    1008: CloseAction.FATAL,
    1009: CloseAction.FATAL,
    1011: CloseAction.RETRY,
    1012: CloseAction.RETRY,
    1013: CloseAction.RETRY,
    1014: CloseAction.RETRY,
}


def classify_close(code: int | None, reason: str, *, resumed: bool) -> CloseAction:
    """Classify a close the server (or the network) caused.

    `resumed` tells whether the connection was opened with a resumption handle: Live
    answers a stale handle with 1008 "Requested entity was not found." and some resumed
    states with 1007, and both mean "start again from the transcript".
    """
    if code is None:
        return CloseAction.RETRY
    if resumed:
        if code == 1008 and HANDLE_NOT_FOUND in reason.lower():
            return CloseAction.RESTORE
        if code == 1007 and "invalid argument" in reason.lower():
            return CloseAction.RESTORE
    if code in _TABLE:
        return _TABLE[code]
    if 4000 <= code < 5000 or code in (1002, 1003, 1010):
        return CloseAction.FATAL
    return CloseAction.RETRY
