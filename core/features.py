"""Cheap prompt features that complement embeddings.

DESIGN.md section 7: out of domain, embedding-only win predictors fall below a
prompt-length heuristic on GSM8K and MMLU; length, digits, code and answer format
carry signal that a sentence embedding washes out. These features are computed
from the text alone in microseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
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
    ascii_text = text.isascii()
    return (
        math.log1p(len(text)),
        math.log1p(len(text.split())),
        math.log1p(text.count("\n")),
        _count(text, ascii_text, _DIGITS, str.isdigit) / n,
        len(_MATH.findall(text)) / n,
        _count(text, ascii_text, _UPPER, str.isupper) / n,
        float(_found(_CODE, _CODE_HINTS, text)),
        min(len(_CHOICE.findall(text)), 10) / 10.0,
        min(text.count("?"), 5) / 5.0,
        float(_found(_NUMBER_WORDS, _NUMBER_HINTS, text, fold=ascii_text)),
        float(_found(_REASONING, _REASONING_HINTS, text, fold=ascii_text)),
        float(_found(_SHORT, _SHORT_HINTS, text, fold=ascii_text)),
    )


# Fast paths, exact by construction (tests/unit/core/test_features.py compares them with the plain
# definitions): counting through ``str.translate`` runs in C where a per-character generator
# took most of a long prompt's routing time; on ASCII text ``isdigit`` / ``isupper`` are exactly
# 0-9 / A-Z. A pattern is searched only where one of the literals every match contains occurs
# (for the case-insensitive ones, in the lower-cased text, which is exact on ASCII text only:
# Unicode case folding matches e.g. the long s 'ſ' to 's').  # noqa: RUF003 - the character is the point
_DIGITS = dict.fromkeys(range(ord("0"), ord("9") + 1))
_UPPER = dict.fromkeys(range(ord("A"), ord("Z") + 1))
_CODE_HINTS = ("```", "def ", "class ", "#include", "function", "=>", ";", "return")
_NUMBER_HINTS = ("how many", "how much", "total", "percent", "sum", "average", "ratio", "times", "each")
_REASONING_HINTS = ("prove", "derive", "explain why", "step by step", "calculate", "solve", "compute", "show that")
_SHORT_HINTS = ("answer with", "only the letter", "single letter", "print only", "one word", "true or false")


def _count(text: str, ascii_text: bool, table: dict[int, None], test: Callable[[str], bool]) -> int:
    if ascii_text:
        return len(text) - len(text.translate(table))
    return sum(test(c) for c in text)


def _found(pattern: re.Pattern[str], hints: Sequence[str], text: str, *, fold: bool = False) -> bool:
    if pattern.flags & re.IGNORECASE:
        if not fold:  # non-ASCII text: no exact literal prefilter
            return bool(pattern.search(text))
        haystack = text.lower()
    else:
        haystack = text
    return any(hint in haystack for hint in hints) and bool(pattern.search(text))
