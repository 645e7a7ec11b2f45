"""Fixtures of the security tests: a running site with two accounts, and the matrix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.harness import AppServer, Worker, fast_emulator_config
from tests.integration.talk import EMAIL
from tests.integration.talk import PASSWORD as E2E_PASSWORD

from .matrix import Matrix

PASSWORD = "matrix-password-123"
OWNER = "ada@example.com"
STRANGER = "mallory@example.com"


@pytest.fixture(scope="session")
def matrix() -> Iterator[Matrix]:
    """Rows of every security test that ran; printed at the end (see it with -s)."""
    table = Matrix()
    yield table
    if table.rows:
        print("\n\nSecurity matrix: what was tried against a running instance\n")
        print(table.table())


@dataclass
class Site:
    server: AppServer
    owner: str  # session cookies
    stranger: str
    public_id: str  # the owner's conversation

    @property
    def worker(self) -> Worker:
        return self.server.workers[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """One Daphne worker, the emulator, an owner with a conversation, a stranger."""
    server = AppServer(
        tmp_dir=tmp_path_factory.mktemp("site"), emulator_config=fast_emulator_config()
    )
    try:
        server.start_worker()
        server.create_user(OWNER, PASSWORD)
        server.create_user(STRANGER, PASSWORD)
        yield Site(
            server=server,
            owner=server.login(OWNER, PASSWORD),
            stranger=server.login(STRANGER, PASSWORD),
            public_id=server.create_conversation(OWNER, title="Ada's"),
        )
    finally:
        server.stop()


@pytest.fixture
def account(app_server) -> str:
    """A user of a test's own server, signed in: the session cookie."""
    app_server.create_user(EMAIL, E2E_PASSWORD)
    return app_server.login(EMAIL, E2E_PASSWORD)
