"""The zoo's transformer recipes (BERT, GPT-2), in a file of their own: see tests/test_zoo.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_zoo import TEXT, ZOO, assert_no_alarm


def test_the_text_recipes_exist():
    assert {p.stem for p in ZOO} >= TEXT


@pytest.mark.parametrize("path", [p for p in ZOO if p.stem in TEXT], ids=lambda p: p.stem)
def test_stock_transformer_raises_no_alarm(path: Path):
    assert_no_alarm(path)
