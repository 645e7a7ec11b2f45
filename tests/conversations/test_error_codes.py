"""The README lists every error code the socket sends, and no other."""

from __future__ import annotations

from tests.error_codes import documented_error_codes, sent_error_codes


def test_every_error_code_the_socket_sends_is_in_the_readme():
    assert sent_error_codes() - documented_error_codes() == set()


def test_the_readme_lists_no_error_code_the_socket_never_sends():
    assert documented_error_codes() - sent_error_codes() == set()
