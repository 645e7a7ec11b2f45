"""Benchmark: opening a long conversation costs the same as opening a short one.

    .venv/bin/python -m tests.bench.history [--items 10000] [--rounds 30]

Builds a throwaway database (SQLite, or PostgreSQL when DATABASE_URL is set),
stores a one-page (50-item) and a long conversation, then renders both detail
pages in alternation, the same number of times in the same run (so machine noise
hits both alike). Prints median and p95 milliseconds and the query count for
each; the one-page conversation is the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path


def setup_django(database_dir: Path) -> str | None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    created_pg = None
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        created_pg = f"continuum_bench_{uuid.uuid4().hex[:8]}"
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{created_pg}"')
        os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{created_pg}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{database_dir / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return created_pg


def build(owner, title: str, size: int):
    from django.utils import timezone

    from conversations import services
    from conversations.models import Conversation, TranscriptItem

    conversation = services.create_conversation(owner=owner, title=title, mode="text")
    now = timezone.now()
    TranscriptItem.objects.bulk_create(
        [
            TranscriptItem(
                conversation=conversation,
                seq=seq,
                role="user" if seq % 2 else "assistant",
                modality="text",
                content=f"Message number {seq} of a long conversation.",
                created_at=now,
            )
            for seq in range(1, size + 1)
        ],
        batch_size=2000,
    )
    Conversation.objects.filter(pk=conversation.pk).update(next_seq=size + 1)
    return conversation


def measure(
    client, urls: list[str], rounds: int
) -> tuple[list[list[float]], list[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings: list[list[float]] = [[] for _ in urls]
    for url in urls:
        client.get(url)  # warm caches and templates
    for _ in range(rounds):
        for index, url in enumerate(urls):
            started = time.perf_counter()
            response = client.get(url)
            timings[index].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts.append(len(queries))
    return timings, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        created_pg = setup_django(Path(tmp))
        try:
            from django.contrib.auth import get_user_model
            from django.db import connection
            from django.test import Client

            from conversations.views import PAGE_SIZE

            user = get_user_model().objects.create_user(
                username="bench@example.com", email="bench@example.com", password="x"
            )
            short = build(user, "Short", PAGE_SIZE)
            long = build(user, "Long", args.items)
            if connection.vendor == "postgresql":
                # As autovacuum would after a bulk load: current planner statistics.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            client = Client()
            client.force_login(user)
            print(f"database: {connection.vendor}; rounds: {args.rounds}")
            print(f"{'conversation':<22}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
            labels = [f"{PAGE_SIZE} items (baseline)", f"{args.items} items"]
            timings, counts = measure(
                client,
                [short.get_absolute_url(), long.get_absolute_url()],
                args.rounds,
            )
            medians = []
            for label, samples, queries in zip(labels, timings, counts, strict=True):
                medians.append(statistics.median(samples))
                p95 = statistics.quantiles(samples, n=20)[-1]
                print(f"{label:<22}{medians[-1]:>10.1f}{p95:>10.1f}{queries:>9}")
            print(f"long / baseline median: {medians[1] / medians[0]:.2f}x")
        finally:
            from django.db import connections

            connections.close_all()
            if created_pg:
                import psycopg

                admin = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
                with psycopg.connect(admin, autocommit=True) as pg:
                    pg.execute(f'DROP DATABASE IF EXISTS "{created_pg}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
