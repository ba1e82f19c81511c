"""Pairwise LLM-judge prompts (RouteLLM / MT-Bench style), verdict parsing and order-swap combination."""

from __future__ import annotations

import re
from typing import Literal

from .errors import UnparseableVerdictError

__all__ = [
    "JUDGE_SYSTEM_PROMPT",
    "JUDGE_USER_TEMPLATE",
    "Verdict",
    "combine_verdicts",
    "judge_messages",
    "parse_verdict",
]

Verdict = Literal["A", "B", "C"]

JUDGE_SYSTEM_PROMPT = (
    "You are a fair and careful referee. Two AI assistants have each replied to the same user "
    "message; your job is to decide whose reply serves the user better.\n"
    "Judge correctness first: when the message has a right answer (a calculation, a fact, working "
    "code), a reply that gets it wrong loses to one that gets it right, however well written. Then "
    "weigh how well each reply follows the user's instructions and how helpful, relevant, complete "
    "and clear it is.\n"
    "Do not let the order of the replies, their length or the assistants' labels sway you.\n"
    "Reason in a few sentences, then end with one final line holding only your decision: "
    "[[A]] if Assistant A's reply is better, [[B]] if Assistant B's reply is better, or [[C]] if "
    "neither is better than the other."
)

JUDGE_USER_TEMPLATE = (
    "### User message\n{question}\n\n"
    "### Reply of Assistant A\n{answer_a}\n### End of Assistant A's reply\n\n"
    "### Reply of Assistant B\n{answer_b}\n### End of Assistant B's reply\n\n"
    "Which reply is better? Finish with [[A]], [[B]] or [[C]]."
)

_VERDICT = re.compile(r"\[\[\s*([ABC])\s*\]\]")


def judge_messages(question: str, answer_a: str, answer_b: str) -> list[dict[str, str]]:
    """Chat messages asking the judge to compare ``answer_a`` (shown first) with ``answer_b``."""
    user = JUDGE_USER_TEMPLATE.format(question=question, answer_a=answer_a, answer_b=answer_b)
    return [{"role": "system", "content": JUDGE_SYSTEM_PROMPT}, {"role": "user", "content": user}]


def parse_verdict(text: str) -> Verdict:
    """The judge's decision: the last ``[[A]]`` / ``[[B]]`` / ``[[C]]`` in its reply.

    Raises :class:`UnparseableVerdictError` when the reply names none: never a silent tie.
    """
    found = _VERDICT.findall(text or "")
    if not found:
        raise UnparseableVerdictError(text or "")
    return found[-1]


def combine_verdicts(first: Verdict, swapped: Verdict) -> float:
    """P(strong wins) from two judgements with the answer order swapped.

    ``first`` judged (A = strong, B = weak); ``swapped`` judged (A = weak, B = strong).
    Both prefer the strong answer -> 1.0; both prefer the weak one -> 0.0; a tie or a
    disagreement (position bias) -> 0.5.
    """
    strong_first = {"A": 1, "B": -1, "C": 0}[first]
    strong_swapped = {"A": -1, "B": 1, "C": 0}[swapped]
    if strong_first == strong_swapped == 1:
        return 1.0
    if strong_first == strong_swapped == -1:
        return 0.0
    return 0.5
