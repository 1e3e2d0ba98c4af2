"""Start-up: the CDK imported with each source text parsed once.

Importing airbyte_cdk builds its protocol serializers with serpyco-rs, which collects the
docstrings of every protocol class's fields (the `attributes-doc` package): `inspect.getsource`
of each class and of its bases, then `ast.parse` of that source. On CPython before 3.13,
`inspect.getsource` of a class parses the class's whole module to find it, every time: at
import, 64 calls parse the same two protocol modules 56 times (one of them 78,000 characters
long, 16 times). Measured on CPython 3.11, on this project's 2-core bench machine, runs of
before and after interleaved: `import source_braze_campaigns.run` 1.11 s -> 0.79 s (medians of
7); `source-braze-campaigns spec`, with the manifest read by libyaml too (source.py), 1.54 s ->
1.16 s (medians of 11).

Nothing of the CDK or serpyco-rs is touched: for the length of the import, `ast.parse` of a
text it already parsed returns the tree it built then. The callers there (inspect's class
finder, attributes-doc) only read the trees. Afterwards `ast.parse` is what it was.
"""

from __future__ import annotations

import ast
import contextlib
import functools
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def each_source_parsed_once() -> Iterator[None]:
    """While the block runs, `ast.parse(text)` of a text parsed before in it returns the same tree.

    Only the one-argument form is remembered (what inspect and attributes-doc call); any other
    call goes to `ast.parse` unchanged. At the end `ast.parse` is restored, unless something
    else replaced it meanwhile (then that replacement stays).
    """
    original = ast.parse
    trees: dict[str, ast.Module] = {}

    @functools.wraps(original)
    def parse_once(source: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(source, str):
            return original(source, *args, **kwargs)
        tree = trees.get(source)
        if tree is None:
            tree = trees[source] = original(source)
        return tree

    ast.parse = parse_once
    try:
        yield
    finally:
        if ast.parse is parse_once:
            ast.parse = original
