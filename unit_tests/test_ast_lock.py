"""ast.parse is serialized where CPython's ast module is not thread safe (gh-106905), by the entry point only."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading

import pytest

from source_braze_campaigns import cdk_compat

OLD_INTERPRETER = pytest.mark.skipif(
    not cdk_compat.needs_ast_lock(), reason="this interpreter's ast module is thread safe"
)


@pytest.mark.parametrize(
    ("version", "needed"),
    [((3, 10, 14), True), ((3, 11, 7), True), ((3, 12, 4), True), ((3, 12, 5), False), ((3, 13, 0), False)],
)
def test_given_an_interpreter_version_when_asked_then_the_lock_is_needed_only_before_3_12_5(
    version: tuple[int, int, int], needed: bool
) -> None:
    assert cdk_compat.needs_ast_lock(version) is needed


def test_given_the_package_is_imported_when_parsing_then_ast_parse_is_not_patched() -> None:
    # Neither the lock nor the parse-once wrapper of the CDK's import (both functools.wraps) outlives the import.
    code = (
        "import ast, source_braze_campaigns.components, source_braze_campaigns.run; "
        "print(hasattr(ast.parse, '__wrapped__'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"


@OLD_INTERPRETER
def test_given_the_lock_is_installed_when_installing_again_then_there_is_no_second_wrapper() -> None:
    cdk_compat.install_ast_lock()
    cdk_compat.install_ast_lock()
    assert getattr(ast.parse, "serialized", False)
    assert not getattr(ast.parse.__wrapped__, "serialized", False)


@OLD_INTERPRETER
def test_given_one_thread_holds_the_lock_when_another_parses_then_it_waits_for_it() -> None:
    cdk_compat.install_ast_lock()
    done = threading.Event()

    def parse() -> None:
        ast.literal_eval("[1, 2]")
        done.set()

    with cdk_compat._AST_LOCK:  # the lock under test
        worker = threading.Thread(target=parse)
        worker.start()
        assert not done.wait(0.3), "a parse ran while another held the lock"
    worker.join(10)
    assert done.is_set()
