"""Serializes `ast.parse` on Python versions where the ast module is not thread safe.

The CDK renders every Jinja template of the manifest (url, request parameters, the token) with
`ast.literal_eval`, in its worker threads. On CPython 3.11 two threads building an AST at the
same time can fail with `SystemError: AST constructor recursion depth mismatch` (CPython issue
gh-106905, fixed in 3.12.5 and 3.13), which fails a stream at random; the tests saw it about once
in eight runs. A lock around `ast.parse` removes the race; a parse takes microseconds.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from typing import Any

_LOCK = threading.Lock()


def install() -> None:
    """Wrap `ast.parse` in a lock, once, where the interpreter needs it."""
    if sys.version_info >= (3, 12, 5) or getattr(ast.parse, "serialized", False):
        return
    parse = ast.parse

    @functools.wraps(parse)
    def serialized_parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return parse(*args, **kwargs)

    serialized_parse.serialized = True  # type: ignore[attr-defined]
    ast.parse = serialized_parse  # type: ignore[assignment]
