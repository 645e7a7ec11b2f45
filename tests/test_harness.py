"""The end-to-end harness knows its own workers from whatever else answers."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading

import pytest

from tests.harness import ROOT, PortTaken, Worker, daphne_args

pytestmark = [pytest.mark.slow, pytest.mark.same_on_every_backend]


class NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_worker_whose_port_another_server_took_is_not_taken_for_serving(tmp_path):
    # Another test's server (an emulator, say) bound the port first and answers.
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    port = other.server_address[1]
    log_path = tmp_path / "daphne.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", *daphne_args(port)],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(port=port, process=process, log_path=log_path)
    try:
        with pytest.raises(PortTaken):
            worker.wait_until_serving()
    finally:
        worker.stop()
        other.shutdown()
        other.server_close()
