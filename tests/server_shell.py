"""Runs Django code for the test harness in one long-lived process.

Reads one JSON request per line (``{"code": ...}``) and answers each with one JSON
line (``{"output": what it printed, "error": a traceback or null}``). A test server
keeps one of these instead of starting ``manage.py shell`` for every read or write
of its database: Django starts once, not once per call.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback


def main() -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.db import connections

    answers = sys.stdout
    for line in sys.stdin:
        code = json.loads(line)["code"]
        # As `manage.py shell` does: every model is at hand.
        namespace = {model.__name__: model for model in apps.get_models()}
        printed = io.StringIO()
        error = None
        try:
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)
        except BaseException:
            error = traceback.format_exc()
        finally:
            # Nothing held between calls: a test may drop the database any time.
            connections.close_all()
        answers.write(json.dumps({"output": printed.getvalue(), "error": error}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
