"""Fixtures of the conversations tests."""

from __future__ import annotations

import pytest

from conversations import services


@pytest.fixture
def live_settings(settings, emulator):
    """Settings that point the app at the in-process Live emulator."""
    settings.LIVE_API_BASE = emulator.base_url
    settings.GEMINI_API_KEY = ""
    settings.CONVERSATION_LEASE_TTL_S = 2.0
    return settings


@pytest.fixture
def conversation(user):
    return services.create_conversation(owner=user, title="Socket", mode="text")
