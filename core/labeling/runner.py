"""A labeling run: both models answer each prompt, then a judge (twice, order swapped) or a grader decides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from ..data.records import Comparison, Outcome
from .cache import ResponseCache, cache_key
from .client import ChatEndpoint, ChatReply
from .errors import LabelingError, UnparseableVerdictError
from .grading import Grader, resolve_grader
from .judge import Verdict, combine_verdicts, judge_messages, parse_verdict
from .pricing import CostMeter, PriceTable
from .prompts import PromptItem

__all__ = ["LabelRun", "LabelSummary", "UnparseableItem", "label_prompts"]

SOURCE = "user"


@dataclass(frozen=True)
class UnparseableItem:
    """A prompt skipped because a judge reply named no winner."""

    index: int
    prompt: str
    judge_reply: str


@dataclass
class LabelSummary:
    """What a run did: prompts, labels, skipped verdicts, requests, cache hits and cost."""

    mode: str
    n_prompts: int
    n_labeled: int = 0
    unparseable: list[UnparseableItem] = field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    cost: CostMeter = field(default_factory=CostMeter)
    strong_mean: float | None = None
    weak_mean: float | None = None
    outcome_counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        out = [
            f"labeled {self.n_labeled} of {self.n_prompts} prompt(s) ({self.mode}); "
            f"{self.requests} new request(s), {self.cache_hits} from cache, {self.retries} retried",
        ]
        if self.outcome_counts:
            c = self.outcome_counts
            out.append(f"strong wins {c.get('strong', 0)}, weak wins {c.get('weak', 0)}, ties {c.get('tie', 0)}")
        if self.strong_mean is not None and self.weak_mean is not None:
            out.append(f"mean score: strong {self.strong_mean:.3f}, weak {self.weak_mean:.3f}")
        if self.unparseable:
            out.append(f"skipped {len(self.unparseable)} prompt(s): the judge named no winner ([[A]]/[[B]]/[[C]]):")
            for item in self.unparseable[:5]:
                reply = " ".join(item.judge_reply.split())[:80]
                out.append(f"  prompt #{item.index + 1} {item.prompt[:50]!r}: judge said {reply!r}")
            if len(self.unparseable) > 5:
                out.append(f"  ... and {len(self.unparseable) - 5} more")
        out.extend(self.cost.lines())
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass
class LabelRun:
    """The labels of a run: comparisons (strong = ``model_a``), per-model outcomes (golden path) and a summary.

    ``details[i]`` holds audit fields for ``comparisons[i]`` (judge model and verdicts, or scores).
    """

    comparisons: list[Comparison]
    outcomes: list[Outcome]
    details: list[dict[str, Any]]
    summary: LabelSummary


class _Caller:
    """Cached, cost-metered calls to the endpoint."""

    def __init__(self, endpoint: ChatEndpoint, cache: ResponseCache, meter: CostMeter, summary: LabelSummary) -> None:
        self.endpoint, self.cache, self.meter, self.summary = endpoint, cache, meter, summary

    def __call__(
        self, model: str, messages: list[dict[str, str]], params: Mapping[str, Any], kind: str
    ) -> tuple[ChatReply, float | None]:
        key = cache_key(model, messages, params)
        reply = self.cache.get(key)
        fresh = reply is None
        if reply is None:
            before = self.endpoint.retries
            try:
                reply = self.endpoint.complete(model, messages, **params)
            finally:
                self.summary.retries += self.endpoint.retries - before
            self.cache.put(key, model, kind, reply)
            self.summary.requests += 1
        else:
            self.summary.cache_hits += 1
        return reply, self.meter.add(model, reply.input_tokens, reply.output_tokens, fresh=fresh)


def label_prompts(
    items: Sequence[PromptItem | str],
    *,
    strong: str,
    weak: str,
    endpoint: ChatEndpoint,
    judge: str | None = None,
    grader: str | Grader | None = None,
    cache: ResponseCache | None = None,
    prices: PriceTable | None = None,
    max_prompts: int | None = None,
    answer_params: Mapping[str, Any] | None = None,
    judge_params: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> LabelRun:
    """Label ``items`` with ``judge`` (pairwise, order swapped) or ``grader`` (golden answers).

    Every answer and verdict goes through ``cache`` as soon as it arrives, so rerunning after
    an interruption pays only for what is missing. Answers are asked with ``temperature=0``
    unless ``answer_params`` says otherwise (a value of None leaves a parameter out, e.g. for
    models that reject ``temperature``); likewise the judge with ``judge_params``. A judge reply naming no winner skips that prompt
    and is listed in the summary; a run that produces no label at all is an error.
    """
    if (judge is None) == (grader is None):
        raise LabelingError("give exactly one of judge= (LLM judge) or grader= (golden answers)")
    if not strong or not weak or strong == weak:
        raise LabelingError(f"need two different models, got strong={strong!r} and weak={weak!r}")
    if max_prompts is not None and max_prompts < 1:
        raise LabelingError(f"max_prompts must be >= 1, got {max_prompts}")
    todo = [PromptItem(i) if isinstance(i, str) else i for i in items][:max_prompts]
    if not todo:
        raise LabelingError("no prompts to label")
    score = None
    if grader is not None:
        score = resolve_grader(grader)
        missing = [str(it.line or n + 1) for n, it in enumerate(todo) if it.answer is None]
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise LabelingError(
                f"golden labels need a reference 'answer' for every prompt; {len(missing)} lack one (line(s) {shown})"
            )
    a_params = {k: v for k, v in {"temperature": 0, **(answer_params or {})}.items() if v is not None}
    j_params = {k: v for k, v in {"temperature": 0, **(judge_params or {})}.items() if v is not None}
    meter = CostMeter(prices or PriceTable())
    summary = LabelSummary(f"judge: {judge}" if judge else "golden answers", len(todo), cost=meter)
    call = _Caller(endpoint, cache if cache is not None else ResponseCache(None), meter, summary)
    run = LabelRun([], [], [], summary)
    strong_scores: list[float] = []
    weak_scores: list[float] = []
    with tqdm(total=len(todo), desc="labeling", unit="prompt", disable=not progress) as bar:
        for index, item in enumerate(todo):
            messages = [{"role": "user", "content": item.prompt}]
            strong_reply, strong_cost = call(strong, messages, a_params, "answer")
            weak_reply, weak_cost = call(weak, messages, a_params, "answer")
            if judge is not None:
                first = call(
                    judge, judge_messages(item.prompt, strong_reply.text, weak_reply.text), j_params, "verdict"
                )[0]
                swapped = call(
                    judge, judge_messages(item.prompt, weak_reply.text, strong_reply.text), j_params, "verdict"
                )[0]
                try:
                    verdicts: tuple[Verdict, Verdict] = (parse_verdict(first.text), parse_verdict(swapped.text))
                except UnparseableVerdictError as exc:
                    summary.unparseable.append(UnparseableItem(index, item.prompt, exc.text))
                else:
                    outcome = combine_verdicts(*verdicts)
                    run.comparisons.append(Comparison(item.prompt, strong, weak, outcome, SOURCE))
                    run.details.append({"judge": judge, "verdicts": list(verdicts)})
            else:
                assert score is not None and item.answer is not None
                s, w = score(strong_reply.text, item.answer), score(weak_reply.text, item.answer)
                strong_scores.append(s)
                weak_scores.append(w)
                pid = item.id or ""
                run.outcomes.append(Outcome(item.prompt, strong, s, strong_cost, SOURCE, pid))
                run.outcomes.append(Outcome(item.prompt, weak, w, weak_cost, SOURCE, pid))
                outcome = 1.0 if s > w else 0.0 if s < w else 0.5
                run.comparisons.append(Comparison(item.prompt, strong, weak, outcome, SOURCE))
                run.details.append({"strong_score": s, "weak_score": w})
            summary.n_labeled = len(run.comparisons)
            bar.set_postfix(
                {
                    "cost": meter.spent(),
                    "new": summary.requests,
                    "cached": summary.cache_hits,
                    "unparseable": len(summary.unparseable),
                },
                refresh=False,
            )
            bar.update(1)
    counts = {"strong": 0, "weak": 0, "tie": 0}
    for c in run.comparisons:
        counts["strong" if c.outcome == 1.0 else "weak" if c.outcome == 0.0 else "tie"] += 1
    summary.outcome_counts = counts
    if strong_scores:
        summary.strong_mean = sum(strong_scores) / len(strong_scores)
        summary.weak_mean = sum(weak_scores) / len(weak_scores)
    if not run.comparisons:
        raise LabelingError(
            f"no labels: the judge {judge!r} named no winner for any of the {len(todo)} prompt(s); "
            f"first reply: {' '.join(summary.unparseable[0].judge_reply.split())[:200]!r}"
        )
    return run
