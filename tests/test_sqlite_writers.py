"""The embedded SQLite database takes writes from several threads at once.

A worker writes from many threads: every HTTP request has its own, and the
sockets share one. Each case runs in a fresh interpreter on a SQLite file of its
own, as `./run.sh serve` does.
"""

from __future__ import annotations

import json

import pytest

from tests.fresh_interpreter import run_python

pytestmark = pytest.mark.same_on_every_backend

# One thread reads, then writes, in one transaction; another writes in between.
READ_THEN_WRITE_BESIDE_A_WRITER = """
import json, threading, time, django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n INTEGER)")
    cursor.execute("INSERT INTO counter VALUES (0)")
connection.close()
errors, first_read = [], threading.Event()

def in_thread(work):
    def run():
        try:
            work()
        except Exception as error:
            errors.append(repr(error))
        finally:
            first_read.set()
            connection.close()
    return threading.Thread(target=run)

def read_then_add_one():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        first_read.set()
        time.sleep(0.3)
        cursor.execute("UPDATE counter SET n = n + 1")

def add_ten():
    first_read.wait()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE counter SET n = n + 10")

threads = [in_thread(read_then_add_one), in_thread(add_ten)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print(json.dumps({"errors": errors, "n": cursor.fetchone()[0]}))
"""


def test_a_transaction_that_read_first_waits_for_another_writer(tmp_path):
    env = {"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    result = run_python(env, "-c", READ_THEN_WRITE_BESIDE_A_WRITER)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"errors": [], "n": 11}
