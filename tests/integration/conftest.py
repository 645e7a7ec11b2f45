"""Fixtures for end-to-end tests against live Daphne workers."""

from __future__ import annotations

import pytest

from tests.integration.talk import EMAIL, PASSWORD


@pytest.fixture
def account(app_server):
    """A user with a session cookie on the first worker."""
    app_server.create_user(EMAIL, PASSWORD)
    return app_server.login(EMAIL, PASSWORD)
