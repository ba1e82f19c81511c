"""core.features: the fast paths give exactly the features of their plain definitions."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from core.features import _CHOICE, _CODE, _MATH, _NUMBER_WORDS, _REASONING, _SHORT, FEATURE_NAMES, _row


def plain_row(text: str) -> tuple[float, ...]:
    """The features as first defined: per-character counts and unconditional searches."""
    n = max(len(text), 1)
    return (
        math.log1p(len(text)),
        math.log1p(len(text.split())),
        math.log1p(text.count("\n")),
        sum(c.isdigit() for c in text) / n,
        len(_MATH.findall(text)) / n,
        sum(c.isupper() for c in text) / n,
        float(bool(_CODE.search(text))),
        min(len(_CHOICE.findall(text)), 10) / 10.0,
        min(text.count("?"), 5) / 5.0,
        float(bool(_NUMBER_WORDS.search(text))),
        float(bool(_REASONING.search(text))),
        float(bool(_SHORT.search(text))),
    )


# words that switch features on, in several cases, among ASCII and non-ASCII filler
_WORDS = st.sampled_from([
    "How Many", "TOTAL", "sum", "ſum", "Step By Step", "SOLVE", "Only the Letter", "TRUE OR FALSE", "def f(",
    "class A", "return", "=>", ";", "```", "#include", "function", "A) x", "(b) y", "12", "٣", "Ⅻ", "É", "ß", "K",
    "İ", "?", "\n", " ", "x+y=z", "π",
])
_TEXTS = st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_fast_features_equal_their_plain_definitions(text: str) -> None:
    assert _row.__wrapped__(text) == plain_row(text)


def test_every_feature_fires_on_ascii_and_unicode_text() -> None:
    ascii_row = _row.__wrapped__("HOW MANY apples? Solve it step by step;\nanswer with one word.\nA) 12\nB) 13")
    unicode_row = _row.__wrapped__("ÉTÉ: HOW MANY apples? Solve it; answer with ONE WORD. ٣ Ⅻ")
    for row in (ascii_row, unicode_row):
        assert len(row) == len(FEATURE_NAMES)
        named = dict(zip(FEATURE_NAMES, row))
        assert named["has_number_words"] == named["asks_reasoning"] == named["asks_short_answer"] == 1.0
        assert named["digit_share"] > 0 and named["upper_share"] > 0
    assert dict(zip(FEATURE_NAMES, ascii_row))["has_code"] == 1.0  # the ';' at a line end
