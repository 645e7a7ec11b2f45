"""Shared fixtures for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.harness import app_server, app_server_pool  # noqa: F401  (fixtures)

PASSWORD = "correct-horse-battery-staple"
LIVE_LIBRARY_TESTS = Path(__file__).parent / "conversations" / "live"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Close in-process connections after each database call.

    In-process async tests reach the database from asgiref's worker thread; a
    connection kept open there would keep the test database from being dropped.
    The servers the tests start keep the app's persistent connections.
    """
    from django.db import connections

    for connection in connections.all():
        connection.settings_dict["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    """Per-user rate limits count in the cache: one test's count is not the next's.

    Only the in-process cache is cleared (its entries are shared by every thread
    of the process). With Redis each run has its own key prefix, and user ids
    never repeat within a run on PostgreSQL.
    """
    yield
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test's event loop gets channel layers of its own.

    The Redis layer keeps asyncio locks that bind to the loop that first waits
    on them, and a read cancelled while it waits leaves its lock behind (a
    server has one loop for its life; the suite has one per test). Without
    this, a test whose loop closed with sockets still reading could make the
    next test's first read fail with "bound to a different event loop".
    """
    yield
    from channels.layers import channel_layers

    channel_layers.backends.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user_factory(db):
    def make(email: str = "ada@example.com", password: str = PASSWORD):
        return get_user_model().objects.create_user(
            username=email, email=email, password=password
        )

    return make


@pytest.fixture
def user(user_factory):
    return user_factory("ada@example.com")


@pytest.fixture
def other_user(user_factory):
    return user_factory("mallory@example.com")


@pytest.fixture
async def emulator():
    """A started Live emulator on a free port, with limits short enough for tests."""
    from conversations.live.emulator import EmulatorConfig, LiveEmulator

    live = LiveEmulator(EmulatorConfig(reply_chunk_delay_s=0.005))
    await live.start()
    yield live
    await live.stop()


@pytest.fixture
def emulator_thread():
    """A Live emulator on its own loop in a thread, for servers outside the loop."""
    from conversations.live.emulator import EmulatorConfig, start_in_thread

    running = start_in_thread(EmulatorConfig(reply_chunk_delay_s=0.005))
    yield running
    running.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # Tests that start Daphne workers or a browser are the slow tier; marked
    # before `-m` selects.
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        browser = item.get_closest_marker("browser") is not None
        if "app_server" in fixtures or browser:
            item.add_marker(pytest.mark.slow)
        # The page is the same whatever database serves it, and the Live library
        # has no Django in it.
        if browser or item.path.is_relative_to(LIVE_LIBRARY_TESTS):
            item.add_marker(pytest.mark.same_on_every_backend)
    # Playwright's sync API keeps an event loop running in the main thread while a
    # browser module runs: async tests go first (each parallel process also closes
    # its browser at the end of the module).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
