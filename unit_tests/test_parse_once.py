"""cdk_compat.each_source_parsed_once: while the CDK is imported a text is parsed once; then ast.parse is untouched."""

from __future__ import annotations

import ast

from source_braze_campaigns.cdk_compat import each_source_parsed_once

SOURCE = "class Stats:\n    sent: int = 0\n    'Messages sent.'\n"


def test_given_a_text_parsed_before_in_the_block_when_parsed_again_then_the_same_tree_is_returned() -> None:
    with each_source_parsed_once():
        first = ast.parse(SOURCE)
        again = ast.parse(SOURCE)
        other = ast.parse(SOURCE + "\n")
    assert again is first
    assert other is not first
    assert ast.dump(first) == ast.dump(ast.parse(SOURCE))


def test_given_a_parse_with_options_in_the_block_when_parsed_again_then_it_is_parsed_anew() -> None:
    with each_source_parsed_once():
        first = ast.parse(SOURCE, "stats.py")
        again = ast.parse(SOURCE, "stats.py")
        expression = ast.parse("1 + 2", mode="eval")
    assert again is not first
    assert isinstance(expression, ast.Expression)


def test_given_the_block_ended_when_parsing_then_ast_parse_is_the_one_from_before() -> None:
    before = ast.parse
    with each_source_parsed_once():
        assert ast.parse is not before
    assert ast.parse is before
    assert ast.parse(SOURCE) is not ast.parse(SOURCE)


def test_given_ast_parse_replaced_inside_the_block_when_it_ends_then_the_replacement_stays() -> None:
    before = ast.parse

    def replacement(*args: object, **kwargs: object) -> ast.AST:
        return before(*args, **kwargs)  # type: ignore[arg-type]

    try:
        with each_source_parsed_once():
            ast.parse = replacement
        assert ast.parse is replacement
    finally:
        ast.parse = before
