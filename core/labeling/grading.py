"""Golden-label graders: score a response 0/1 against the user's reference answer."""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Callable

from .errors import GradingError

__all__ = ["GRADERS", "Grader", "exact_match", "last_number", "normalize_answer", "number_match", "resolve_grader"]

Grader = Callable[[str, str], "float | bool"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+")


def normalize_answer(text: str) -> str:
    """Unicode-normalised, lower-cased, without punctuation, articles or extra whitespace."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(response: str, reference: str) -> float:
    """1.0 when the whole response equals the reference after :func:`normalize_answer`."""
    return 1.0 if normalize_answer(response) == normalize_answer(reference) else 0.0


def last_number(text: str) -> float | None:
    """The last number in ``text`` (``1,234.5``, ``-3``, ``.5``), or None."""
    found = _NUMBER.findall(text or "")
    return float(found[-1].replace(",", "")) if found else None


def number_match(response: str, reference: str) -> float:
    """1.0 when the response's last number equals the reference's last number (GSM8K style)."""
    want = last_number(reference)
    if want is None:
        raise GradingError(f"reference answer {reference!r} holds no number for the 'number' grader")
    got = last_number(response)
    return 1.0 if got is not None and math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9) else 0.0


GRADERS: dict[str, Grader] = {"exact": exact_match, "number": number_match}


def resolve_grader(grader: str | Grader) -> Callable[[str, str], float]:
    """A built-in grader by name (``exact``, ``number``) or a callable(response, reference) -> 0..1 or bool."""
    if isinstance(grader, str):
        try:
            fn = GRADERS[grader]
        except KeyError:
            raise GradingError(f"unknown grader {grader!r}: choose {', '.join(GRADERS)} or pass a callable") from None
    elif callable(grader):
        fn = grader
    else:
        raise GradingError(f"grader must be a name ({', '.join(GRADERS)}) or a callable, got {grader!r}")

    def score(response: str, reference: str) -> float:
        value = fn(response, reference)
        if isinstance(value, bool):
            return float(value)
        if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
            raise GradingError(
                f"grader {getattr(fn, '__name__', fn)!r} returned {value!r}: expected a bool or a number in [0, 1]"
            )
        return float(value)

    return score
