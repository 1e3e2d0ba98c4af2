"""ast.parse is serialized where CPython's ast module is not thread safe (gh-106905)."""

from __future__ import annotations

import ast
import sys
import threading

import pytest

import source_braze_campaigns  # noqa: F401 - installs the lock
from source_braze_campaigns import ast_lock


@pytest.mark.skipif(sys.version_info >= (3, 12, 5), reason="this interpreter's ast module is thread safe")
def test_given_the_package_is_imported_when_parsing_then_ast_parse_is_serialized() -> None:
    assert getattr(ast.parse, "serialized", False)
    ast_lock.install()  # idempotent: no second wrapper
    assert ast.parse.__wrapped__ is not None and not getattr(ast.parse.__wrapped__, "serialized", False)


@pytest.mark.skipif(sys.version_info >= (3, 12, 5), reason="this interpreter's ast module is thread safe")
def test_given_one_thread_holds_the_lock_when_another_parses_then_it_waits_for_it() -> None:
    done = threading.Event()

    def parse() -> None:
        ast.literal_eval("[1, 2]")
        done.set()

    with ast_lock._LOCK:  # noqa: SLF001 - the lock under test
        worker = threading.Thread(target=parse)
        worker.start()
        assert not done.wait(0.3), "a parse ran while another held the lock"
    worker.join(10)
    assert done.is_set()
