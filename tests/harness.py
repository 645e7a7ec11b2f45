"""Real app servers for end-to-end tests: Daphne workers, database, emulator.

An ``AppServer`` owns one database (a SQLite file, or a fresh PostgreSQL database
when ``DATABASE_URL`` is set), one Live emulator running in a thread, and one or
more Daphne worker processes that share them (and Redis, when ``REDIS_URL`` is
set), just as a production deployment with several workers would.

Each test process keeps a ``ServerPool``: one spare server with the default
configuration boots in the background for the next unmarked test to take, and
servers are stopped in background threads, so neither is on a test's clock.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pg_execute(database_url: str, statement: str) -> None:
    import psycopg

    admin = _postgres_admin_url(database_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(statement)


@functools.cache
def migrated_template(database_url: str) -> str:
    """A database migrated once per test run, for every server to copy.

    A SQLite file, or the name of a PostgreSQL template database (dropped when
    the run ends).
    """
    env = {
        **_outside_pytest(os.environ),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_SECRET_KEY": "e2e-secret-key",
    }
    if database_url.startswith("postgres"):
        name = f"continuum_e2e_template_{uuid.uuid4().hex[:10]}"
        _pg_execute(database_url, f'CREATE DATABASE "{name}"')
        atexit.register(
            _pg_execute, database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
        env["DATABASE_URL"] = _postgres_admin_url(database_url, name)
        target = name
    else:
        directory = Path(tempfile.mkdtemp(prefix="continuum-e2e-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        target = str(directory / "template.sqlite3")
        env["DATABASE_URL"] = f"sqlite:///{target}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    if not database_url.startswith("postgres"):
        # SQLite runs in WAL mode: fold the log into the file each server copies.
        with contextlib.closing(sqlite3.connect(target)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daphne_args(port: int) -> list[str]:
    """Daphne's arguments for serving the app on `port`."""
    return ["-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]


def _postgres_admin_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


class PortTaken(RuntimeError):
    """Another process bound the worker's port between `free_port` and Daphne."""


@dataclass
class Worker:
    """One Daphne process serving the app."""

    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: the worker dies with no chance to clean up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_serving(self, within_s: float = 30) -> None:
        """Wait until the worker answers HTTP; stop it if it never does.

        Only once it says it listens: whatever else answers on its port (another
        test's server that took the port first) is not this worker.
        """
        listening = f"Listening on TCP address 127.0.0.1:{self.port}"
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                if "Address already in use" in log:
                    raise PortTaken(log)
                raise RuntimeError(f"daphne exited early:\n{log}")
            try:
                if listening in self.log():
                    httpx.get(f"{self.url}/accounts/login/", timeout=1)
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"daphne did not answer in time:\n{self.log()}")


class DjangoShell:
    """A process with Django set up on a server's database, running code sent to it.

    One per server, started at its first use (see ``tests/server_shell.py``).
    """

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self._env = env
        self._log_path = log_path
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None
        self._lock = threading.Lock()

    def run(self, code: str) -> str:
        with self._lock:
            process = self.start()
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(json.dumps({"code": code}) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Django shell died:\n{self._log_path.read_text()}")
        answer = json.loads(line)
        if answer["error"]:
            raise RuntimeError(f"Django code failed:\n{answer['error']}")
        return answer["output"]

    def start(self) -> subprocess.Popen[str]:
        """Start the process unless it runs; Django sets up before the first code."""
        if self._process is None or self._process.poll() is not None:
            if self._log is None:
                self._log = self._log_path.open("a")
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.server_shell"],
                cwd=ROOT,
                env=self._env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                text=True,
            )
        return self._process

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class AppServer:
    tmp_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    emulator_config: object | None = None
    workers: list[Worker] = field(default_factory=list)

    def __post_init__(self) -> None:
        from conversations.live.emulator import start_in_thread

        self.emulator = start_in_thread(self.emulator_config)
        self.emulator_url = self.emulator.base_url
        self._pg_database = ""
        # Read once: a server may boot or stop in a thread while a test changes
        # os.environ for a while.
        self.os_environ = dict(os.environ)
        self._database_url = self.os_environ.get("DATABASE_URL", "")
        self._shell: DjangoShell | None = None
        self.env = self._base_env()

    # -- environment -----------------------------------------------------------
    def _base_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in self.os_environ.items()
            if not key.startswith(("PYTEST_", "DJANGO_"))
        }
        # Every server starts from a copy of one database migrated per test run.
        database_url = self._database_url
        template = migrated_template(database_url)
        if database_url.startswith("postgres"):
            self._pg_database = f"continuum_e2e_{uuid.uuid4().hex[:10]}"
            self._pg_execute(
                database_url,
                f'CREATE DATABASE "{self._pg_database}" TEMPLATE "{template}"',
            )
            env["DATABASE_URL"] = _postgres_admin_url(database_url, self._pg_database)
        else:
            copy = self.tmp_dir / "e2e.sqlite3"
            shutil.copyfile(template, copy)
            env["DATABASE_URL"] = f"sqlite:///{copy}"
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                # Login rate limits are per server: tests do not count each other's.
                "CONTINUUM_TEST_CACHE_PREFIX": f"e2e-{uuid.uuid4().hex[:12]}",
                # The server's workers share their Redis groups with nobody else.
                "CONTINUUM_TEST_LAYER_PREFIX": f"e2e-{uuid.uuid4().hex[:12]}",
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": "e2e-secret-key",
                "DJANGO_SECURE_SSL_REDIRECT": "0",
                "DJANGO_SECURE_COOKIES": "0",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_LOG_LEVEL": "INFO",
                "GEMINI_API_KEY": "",
                "LIVE_API_BASE": self.emulator_url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    @staticmethod
    def _pg_execute(database_url: str, statement: str) -> None:
        _pg_execute(database_url, statement)

    # -- workers ---------------------------------------------------------------
    def start_worker(self) -> Worker:
        """Start one more Daphne process on a free port and wait until it serves."""
        return self.wait_until_serving(self.launch_worker())

    def wait_until_serving(self, worker: Worker, tries: int = 3) -> Worker:
        """Wait for `worker`; if its port was taken, start another on a new one."""
        for _ in range(tries - 1):
            try:
                worker.wait_until_serving()
                return worker
            except PortTaken:
                self.workers.remove(worker)
                worker = self.launch_worker()
        worker.wait_until_serving()  # the last try: a taken port fails the test
        return worker

    def launch_worker(self) -> Worker:
        """Start one more Daphne process on a free port, without waiting for it."""
        port = free_port()
        log_path = self.tmp_dir / f"daphne-{port}.log"
        with log_path.open("w") as log_file:
            process = subprocess.Popen(
                self.worker_command(port),
                cwd=ROOT,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(port=port, process=process, log_path=log_path)
        self.workers.append(worker)
        return worker

    def worker_command(self, port: int) -> list[str]:
        """The command line of a worker serving on `port`."""
        return [sys.executable, "-m", "daphne", *daphne_args(port)]

    @property
    def url(self) -> str:
        return self.workers[0].url

    def stop(self) -> None:
        if self._shell is not None:
            self._shell.close()
        for worker in self.workers:
            worker.stop()
        self.emulator.stop()
        if self._pg_database:
            # A killed worker may leave connections behind: force them out.
            self._pg_execute(
                self._database_url,
                f'DROP DATABASE IF EXISTS "{self._pg_database}" WITH (FORCE)',
            )

    # -- data ------------------------------------------------------------------
    @property
    def shell(self) -> DjangoShell:
        if self._shell is None:
            self._shell = DjangoShell(self.env, self.tmp_dir / "shell.log")
        return self._shell

    def run_python(self, code: str) -> str:
        """Run Django code in the server's database; returns what it prints."""
        return self.shell.run(code)

    def run_python_json(self, code: str) -> Any:
        """Run Django code that prints one JSON value last; return that value."""
        return json.loads(self.run_python(code).strip().splitlines()[-1])

    def create_user(self, email: str, password: str) -> None:
        self.run_python(
            "from django.contrib.auth import get_user_model\n"
            f"get_user_model().objects.create_user(username={email!r}, "
            f"email={email!r}, password={password!r})"
        )

    def create_conversation(
        self,
        owner_email: str,
        title: str = "A conversation",
        mode: str = "text",
        items: list[tuple[str, str]] | None = None,
    ) -> str:
        """Create a conversation (with stored items) and return its public id."""
        code = (
            "import json\n"
            "from django.contrib.auth import get_user_model\n"
            "from conversations import services\n"
            f"owner = get_user_model().objects.get(email={owner_email!r})\n"
            "conversation = services.create_conversation("
            f"owner=owner, title={title!r}, mode={mode!r})\n"
            f"for role, content in {items or []!r}:\n"
            "    services.record_transcript_item(conversation=conversation, "
            "role=role, modality='text', content=content)\n"
            "print(json.dumps(str(conversation.public_id)))\n"
        )
        return self.run_python_json(code)

    def create_conversations(self, owner_email: str, modes: list[str]) -> list[str]:
        """Create one conversation per mode in a single call; their public ids."""
        code = (
            "import json\n"
            "from django.contrib.auth import get_user_model\n"
            "from conversations import services\n"
            f"owner = get_user_model().objects.get(email={owner_email!r})\n"
            "ids = [str(services.create_conversation(owner=owner, "
            "title=f'Conversation {n}', mode=mode).public_id) "
            f"for n, mode in enumerate({modes!r})]\n"
            "print(json.dumps(ids))\n"
        )
        return self.run_python_json(code)

    def conversation_records(self, public_ids: list[str]) -> dict[str, dict]:
        """Items and runs of many conversations in one call, keyed by public id.

        Items are shaped as the socket sends them (``item_as_dict``) with the run
        that stored them, in seq order; runs in run_id order.
        """
        code = (
            "import json\n"
            "from conversations.exports import item_as_dict\n"
            "from conversations.models import Conversation\n"
            "def when(t):\n"
            "    return t.isoformat() if t else None\n"
            "out = {}\n"
            f"for c in Conversation.objects.filter(public_id__in={public_ids!r}):\n"
            "    items = c.items.select_related('run').order_by('seq')\n"
            "    out[str(c.public_id)] = {\n"
            "        'items': [{**item_as_dict(i), "
            "'run_id': i.run.run_id if i.run else None} for i in items],\n"
            "        'runs': [{'run_id': r.run_id, 'began': r.began, "
            "'end_reason': r.end_reason, 'close_code': r.close_code, "
            "'started_at': when(r.started_at), 'ended_at': when(r.ended_at)} "
            "for r in c.runs.order_by('run_id')],\n"
            "    }\n"
            "print(json.dumps(out))\n"
        )
        return self.run_python_json(code)

    def transcript(self, public_id: str) -> list[dict]:
        """The stored transcript of a conversation, in seq order."""
        rows = self.query(
            "SELECT t.seq, t.role, t.content, t.interrupted "
            "FROM conversations_transcriptitem t "
            "JOIN conversations_conversation c ON c.id = t.conversation_id "
            "WHERE c.public_id = {} ORDER BY t.seq",
            public_id,
        )
        return [
            {"seq": seq, "role": role, "content": content, "interrupted": bool(cut)}
            for seq, role, content, cut in rows
        ]

    def runs(self, public_id: str) -> list[dict]:
        """The stored runs of a conversation, in run_id order."""
        rows = self.query(
            "SELECT r.run_id, r.began, r.end_reason, r.close_code "
            "FROM conversations_run r "
            "JOIN conversations_conversation c ON c.id = r.conversation_id "
            "WHERE c.public_id = {} ORDER BY r.run_id",
            public_id,
        )
        return [
            {"run_id": run, "began": began, "end_reason": end, "close_code": code}
            for run, began, end, code in rows
        ]

    def query(self, sql: str, public_id: str) -> list[tuple]:
        """Read the server's database directly; `{}` in `sql` is the public id."""
        url = self.env["DATABASE_URL"]
        if url.startswith("postgres"):
            import psycopg

            with psycopg.connect(url) as connection:
                return connection.execute(sql.format("%s"), (public_id,)).fetchall()
        # SQLite keeps a UUID as 32 hex digits.
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql.format("?"), (uuid.UUID(public_id).hex,)).fetchall()

    # -- emulator --------------------------------------------------------------
    def fault(self, fault: dict) -> dict:
        response = httpx.post(f"{self.emulator_url}/emulator/faults", json=fault)
        response.raise_for_status()
        return response.json()

    def emulator_sessions(self) -> dict:
        response = httpx.get(f"{self.emulator_url}/emulator/sessions")
        response.raise_for_status()
        return response.json()

    # -- HTTP login ------------------------------------------------------------
    def login(self, email: str, password: str, worker: Worker | None = None) -> str:
        """Log in through allauth's form; returns the session cookie value."""
        base = (worker or self.workers[0]).url
        with httpx.Client(base_url=base, follow_redirects=False) as client:
            page = client.get("/accounts/login/")
            token = client.cookies["csrftoken"]
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            response = client.post(
                "/accounts/login/",
                data={
                    "csrfmiddlewaretoken": match.group(1) if match else token,
                    "login": email,
                    "password": password,
                },
                headers={"Referer": f"{base}/accounts/login/"},
            )
            if response.status_code != 302 or "sessionid" not in client.cookies:
                raise RuntimeError(f"login failed for {email}: {response.status_code}")
            return client.cookies["sessionid"]


def fast_emulator_config(**overrides):
    """Emulator limits short enough for tests to see goAway and expiry in seconds."""
    from conversations.live.emulator import EmulatorConfig

    return EmulatorConfig(**{"reply_chunk_delay_s": 0.01, **overrides})


def _outside_pytest(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if not k.startswith("PYTEST_")}


class ServerPool:
    """A spare default server booting in the background, and stops in the background.

    A server's boot (database copy, Daphne and the Django shell importing Django)
    and its stop take a second or two; a test that takes the spare finds it
    serving, and its own server is stopped while the next test runs.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory
        self._jobs = ThreadPoolExecutor(max_workers=4, thread_name_prefix="app-server")
        self._spare: Future[AppServer] | None = None
        self._stops: list[Future[None]] = []
        # Migrated once here, so threads booting servers never race to migrate.
        migrated_template(os.environ.get("DATABASE_URL", ""))

    def take(self) -> AppServer:
        """A serving server with the default configuration; the next one boots."""
        # Spares boot only once an unmarked test asks: a process that runs only
        # marked tests boots none it would not use.
        spare, self._spare = self._spare, None
        server = spare.result() if spare is not None else self._boot()
        if _outside_pytest(server.os_environ) != _outside_pytest(os.environ):
            # It booted while a test had changed os.environ: not this test's env.
            self.stop_later(server)
            server = self._boot()
        try:
            server.wait_until_serving(server.workers[0])
        except BaseException:
            self.stop_later(server)
            raise
        self._spare = self._jobs.submit(self._boot)
        return server

    def _boot(self) -> AppServer:
        # Unmarked tests only: the env and emulator match what a test would build.
        server = AppServer(
            tmp_dir=self._tmp_path_factory.mktemp("server"),
            emulator_config=fast_emulator_config(),
        )
        try:
            server.launch_worker()
            # Most tests create a user first: the shell sets Django up meanwhile.
            server.shell.start()
        except BaseException:
            server.stop()
            raise
        return server

    def stop_later(self, server: AppServer) -> None:
        self._stops.append(self._jobs.submit(server.stop))

    def close(self) -> None:
        """Wait for every stop, then stop the unused spare; raise the first failure."""
        stops, self._stops = self._stops, []
        failures = [error for stop in stops if (error := stop.exception())]
        spare, self._spare = self._spare, None
        # A spare whose boot failed has stopped itself.
        if spare is not None and spare.exception() is None:
            spare.result().stop()
        self._jobs.shutdown(wait=True)
        if failures:
            raise failures[0]


@pytest.fixture(scope="session")
def app_server_pool(tmp_path_factory) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path_factory)
    # Also at exit, should the session end without tearing fixtures down.
    atexit.register(pool.close)
    yield pool
    pool.close()


@pytest.fixture
def app_server(app_server_pool, tmp_path, request):
    """A Daphne worker serving the app, with its own database and emulator.

    ``@pytest.mark.app_env(NAME="value", ...)`` adds environment for the workers;
    ``@pytest.mark.emulator_config(...)`` overrides emulator limits. A test with
    neither takes the pool's spare.
    """
    env_marker = request.node.get_closest_marker("app_env")
    emulator_marker = request.node.get_closest_marker("emulator_config")
    if env_marker is None and emulator_marker is None:
        server = app_server_pool.take()
    else:
        server = AppServer(
            tmp_dir=tmp_path,
            extra_env=dict(env_marker.kwargs) if env_marker else {},
            emulator_config=fast_emulator_config(
                **(emulator_marker.kwargs if emulator_marker else {})
            ),
        )
    try:
        if not server.workers:  # a server of its own, not started yet
            server.start_worker()
        yield server
    finally:
        # Shown by pytest only when the test failed; read before the stop, which
        # runs while the next test does.
        for worker in server.workers:
            print(f"--- daphne :{worker.port} ---\n{worker.log()[-6000:]}")
        app_server_pool.stop_later(server)
