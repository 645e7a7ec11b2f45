"""The close-code table: what to do after each way a connection can close."""

from __future__ import annotations

import pytest

from conversations.live.closecodes import CloseAction, classify_close


@pytest.mark.parametrize(
    ("code", "reason", "action"),
    [
        (None, "", CloseAction.RETRY),
        (1000, "", CloseAction.ROTATE),
        (1001, "going away", CloseAction.ROTATE),
        (1006, "", CloseAction.RETRY),
        (1011, "Deadline expired before operation could complete.", CloseAction.RETRY),
        (1011, "The service is currently unavailable.", CloseAction.RETRY),
        (1012, "", CloseAction.RETRY),
        (1013, "", CloseAction.RETRY),
        (1014, "", CloseAction.RETRY),
        (1007, "API key not valid. Please pass a valid API key.", CloseAction.FATAL),
        (1008, "models/x is not found for API version v1beta", CloseAction.FATAL),
        (1008, "Requested entity was not found.", CloseAction.FATAL),
        (1009, "", CloseAction.FATAL),
        (4003, "", CloseAction.FATAL),
    ],
)
def test_close_table_for_a_new_session(code, reason, action):
    assert classify_close(code, reason, resumed=False) is action


def test_refused_handle_restores_from_transcript():
    action = classify_close(1008, "Requested entity was not found.", resumed=True)
    assert action is CloseAction.RESTORE


def test_invalid_argument_after_a_resume_restores_from_transcript():
    action = classify_close(1007, "Request contains an invalid argument.", resumed=True)
    assert action is CloseAction.RESTORE


def test_auth_failure_during_a_resume_stays_fatal():
    reason = "Method doesn't allow unregistered callers (callers without identity)."
    assert classify_close(1008, reason, resumed=True) is CloseAction.FATAL
