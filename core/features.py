"""Cheap prompt features that complement embeddings.

DESIGN.md section 7: out of domain, embedding-only win predictors fall below a
prompt-length heuristic on GSM8K and MMLU; length, digits, code and answer format
carry signal that a sentence embedding washes out. These features are computed
from the text alone in microseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .sanitize import bound_text

FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "log_lines",
    "digit_share",
    "math_symbol_share",
    "upper_share",
    "has_code",
    "choice_options",
    "question_marks",
    "has_number_words",
    "asks_reasoning",
    "asks_short_answer",
)

# Every pattern runs in linear time: no quantifier may rescan text that another match attempt
# already scanned. ``^\s*`` under MULTILINE did (\s crosses newlines, so each of n blank lines
# rescanned all the others: quadratic, issue 18 finding 1). ``[^\S\n]*`` is whitespace within
# one line and finds the same options, since every line start is a ``^`` position of its own.
# (The ``\s`` runs after ``;`` and after an option letter are disjoint from one another: linear.)
_CODE = re.compile(r"```|\bdef \w+\(|\bclass \w+|#include|\bfunction\b|=>|;\s*$|\breturn\b", re.M)
_CHOICE = re.compile(r"^[^\S\n]*\(?[A-Ja-j][\.\):]\s+\S", re.M)
_MATH = re.compile(r"[=+\-*/^%<>√π∑∫]")
_NUMBER_WORDS = re.compile(r"\b(how many|how much|total|percent|sum|average|ratio|times|each)\b", re.I)
_REASONING = re.compile(r"\b(prove|derive|explain why|step by step|calculate|solve|compute|show that)\b", re.I)
_SHORT = re.compile(r"\b(answer with|only the letter|single letter|print only|one word|true or false)\b", re.I)


def prompt_features(texts: Sequence[str]) -> np.ndarray:
    """One row of ``len(FEATURE_NAMES)`` float32 features per text (read from :func:`~core.sanitize.bound_text`)."""
    rows = [_row(bound_text(t)) for t in texts]
    if not rows:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    return np.asarray(rows, dtype=np.float32)


@lru_cache(maxsize=2**16)  # training and evaluation compute the same prompts' features many times
def _row(text: str) -> tuple[float, ...]:
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
