"""Label the user's own prompts: strong vs weak answers from any OpenAI-compatible endpoint,
judged pairwise by an LLM (order swapped) or graded against the user's reference answers.

The output feeds ``winroute adapt`` (:func:`load_labels`) and ``winroute evaluate``
(per-model outcomes). Every answer and verdict is cached on disk as it arrives.
"""

from __future__ import annotations

from .cache import ResponseCache, cache_key
from .client import DEFAULT_BASE_URL, ChatEndpoint, ChatReply, RetryPolicy
from .errors import EndpointError, EndpointUnreachableError, GradingError, LabelingError, UnparseableVerdictError
from .grading import GRADERS, Grader, exact_match, last_number, normalize_answer, number_match, resolve_grader
from .judge import JUDGE_SYSTEM_PROMPT, JUDGE_USER_TEMPLATE, Verdict, combine_verdicts, judge_messages, parse_verdict
from .labels import comparison_row, load_labels, outcome_row, write_jsonl
from .pricing import CostMeter, Price, PriceTable, format_usd, parse_price_spec
from .prompts import PromptItem, read_prompt_items
from .runner import LabelRun, LabelSummary, UnparseableItem, label_prompts

__all__ = [
    "DEFAULT_BASE_URL",
    "GRADERS",
    "JUDGE_SYSTEM_PROMPT",
    "JUDGE_USER_TEMPLATE",
    "ChatEndpoint",
    "ChatReply",
    "CostMeter",
    "EndpointError",
    "EndpointUnreachableError",
    "Grader",
    "GradingError",
    "LabelRun",
    "LabelSummary",
    "LabelingError",
    "Price",
    "PriceTable",
    "PromptItem",
    "ResponseCache",
    "RetryPolicy",
    "UnparseableItem",
    "UnparseableVerdictError",
    "Verdict",
    "cache_key",
    "combine_verdicts",
    "comparison_row",
    "exact_match",
    "format_usd",
    "judge_messages",
    "label_prompts",
    "last_number",
    "load_labels",
    "normalize_answer",
    "number_match",
    "outcome_row",
    "parse_price_spec",
    "parse_verdict",
    "read_prompt_items",
    "resolve_grader",
    "write_jsonl",
]
