"""WinrouteDecisionModel: a winroute router as a LangChain decision model (``BaseDecisionModel``).

LangChain's ``ModelRouterMiddleware`` asks a decision model one ``Choice`` question per agent
run ("which of these routes?") and keeps the ``ChoiceAnswer`` in the agent's state. This
model answers such questions offline with a winroute router: ``Noul`` questions get
P(the strong model is needed), ``Choice`` questions whose labels name the router's routes or
models get a probability per label, the label the router's policy picks and a confidence.
Each answer carries the router's decision record (``WinrouteChoiceAnswer.decision``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Self

from langchain_core.decisions import (
    BaseDecisionModel,
    Choice,
    ChoiceAnswer,
    ClassifierResponse,
    Noul,
    NoulAnswer,
    Question,
    State,
)
from langchain_core.messages import BaseMessage
from pydantic import ConfigDict, Field, field_validator, model_validator

from core import InvalidConversationError, RouteDecision, Router, UnknownModelError, load_router
from core.default_route import DefaultRoute, decide_or_default
from core.dispatch import check_settings, child_routes
from core.policies import SETTING_NAMES
from core.router import STRONG, WEAK

from .messages import input_to_conversation, to_conversation


class WinrouteNoulAnswer(NoulAnswer):
    """A ``NoulAnswer`` (P(strong needed)) with the router's decision record."""

    decision: dict[str, Any] = Field(default_factory=dict)


class WinrouteChoiceAnswer(ChoiceAnswer):
    """A ``ChoiceAnswer`` with the router's decision record and the route of each label."""

    decision: dict[str, Any] = Field(default_factory=dict)
    routes: dict[str, str] = Field(default_factory=dict)
    """Each label's route (``"strong"``/``"weak"``, or an N-way router's model name)."""


class WinrouteDecisionModel(BaseDecisionModel):
    """Answers routing questions with a winroute router: offline, one embedding per request.

    - ``Noul``: the answer is the router's score, P(the strong model beats the weak one), i.e.
      P(strong needed). Two-model routers only.
    - ``Choice``: every label must name a route: ``"strong"`` / ``"weak"``, one of the router's
      model names, or a key of ``routes=`` (``{label: route or model name}``); two-model routers
      need a label for each route. ``probabilities`` are P(strong) and 1 - P(strong) (N-way:
      a softmax of the decision's utilities at ``temperature``), ``choice`` is the label the
      router's policy picks (``threshold`` / ``strong_share``; N-way ``cost_weight`` /
      ``budget_per_1k`` / ``min_quality``). ``confidence`` is how far the score is from the
      threshold, as a share of the room on the chosen side (0 at the threshold, 1 at the
      end; the policy may pick the weak label while P(strong) > 0.5 when its threshold is
      higher); N-way: the chosen label's probability.
    - ``Score`` and ``Box`` questions, and labels that name no route (free-text categories),
      raise ``UnknownModelError`` / ``ValueError`` naming the question: this model only knows
      which model a prompt needs.

    Conversations with nothing to score (system-only, image-only) get ``default_route`` when
    set, else raise ``InvalidConversationError``.

    Example:
        ```python
        from langchain.agents import create_agent
        from langchain.agents.middleware import ModelChoice, ModelRouterMiddleware
        from langchain_router import WinrouteDecisionModel

        router = ModelRouterMiddleware(
            choices={"strong": ModelChoice(strong_llm, "hard tasks"), "weak": ModelChoice(weak_llm, "easy tasks")},
            instructions="Pick the cheapest model that can do the task.",
            classifier=WinrouteDecisionModel(strong_share=0.3),
        )
        agent = create_agent(weak_llm, tools, middleware=[router])
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str = "winroute"
    core: Router | None = Field(default=None, exclude=True)
    """The winroute router (or the path of a saved one); default: the bundled default router."""
    routes: dict[str, str] | None = None
    """Labels -> route (``"strong"``/``"weak"``) or router model name, for labels that are neither."""
    threshold: float | None = None
    strong_share: float | None = None
    cost_weight: float | None = None
    budget_per_1k: float | None = None
    min_quality: float | None = None
    temperature: float = Field(default=0.05, gt=0.0)
    """N-way: softmax temperature turning utilities into label probabilities."""
    default_route: str | None = None
    """Route for conversations with nothing to score (None: raise ``InvalidConversationError``)."""

    @field_validator("core", mode="before")
    @classmethod
    def _load_core(cls, value: Any) -> Any:
        return load_router(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> Self:
        settings = {k: getattr(self, k) for k in SETTING_NAMES}
        check_settings(self.router, settings)  # wrong kind or bad value: fail now
        if self.default_route is not None:
            self.default_route = self._resolve(self.default_route)
        for label, target in (self.routes or {}).items():
            self._resolve(target, what=f"routes[{label!r}]")
        return self

    @property
    def router(self) -> Router:
        if self.core is not None:
            return self.core
        from core import default_router

        return default_router()

    @property
    def _provider(self) -> str:
        return "winroute"

    # -- labels ----------------------------------------------------------------------------
    def _resolve(self, name: str, *, what: str = "default_route") -> str:
        try:
            return self.router.resolve_route(name)
        except UnknownModelError as exc:
            raise UnknownModelError(f"{what}: {exc}") from None

    def _label_routes(self, qid: str, question: Choice) -> dict[str, str]:
        """Each label's route; every label must name one, and (two-model) each route needs a label."""
        out: dict[str, str] = {}
        for label in question.criteria:
            target = (self.routes or {}).get(label, label)
            try:
                out[label] = self.router.resolve_route(target)
            except UnknownModelError:
                known = ", ".join(map(repr, self.router.routes))
                raise UnknownModelError(
                    f"question {qid!r}: label {label!r} names no route of this router ({known}, or the "
                    f"router's model names); map free-text labels with routes={{label: route}}"
                ) from None
        by_route: dict[str, list[str]] = {}
        for label, route in out.items():
            by_route.setdefault(route, []).append(label)
        doubled = {r: ls for r, ls in by_route.items() if len(ls) > 1}
        if doubled:
            raise ValueError(f"question {qid!r}: labels {doubled} name the same route; give one label per route")
        try:  # the router says whether it can choose among these routes only (a pair needs both)
            child_routes(self.router, list(by_route), what="label")
        except ValueError as exc:
            raise ValueError(f"question {qid!r}: {exc}") from None
        return out

    # -- deciding ----------------------------------------------------------------------------
    def _decide(self, state: State, routes: list[str] | None) -> RouteDecision:
        conversation = _conversation(state)
        settings = check_settings(self.router, {k: getattr(self, k) for k in SETTING_NAMES}, validate=False)
        settings["models"] = routes
        return decide_or_default(self.router, conversation, settings, DefaultRoute(self.default_route))

    def _classify(self, state: State, questions: dict[str, Question]) -> ClassifierResponse:
        for qid, question in questions.items():
            if not isinstance(question, (Noul, Choice)):
                raise ValueError(
                    f"question {qid!r} is a {type(question).__name__}; WinrouteDecisionModel answers Noul "
                    "(P(strong model needed)) and Choice (which route) questions only"
                )
            if isinstance(question, Noul) and STRONG not in self.router.routes:
                raise ValueError(
                    f"question {qid!r}: a Noul (P(strong needed)) needs a two-model router (one with a 'strong' "
                    f"route), not one choosing among {', '.join(self.router.routes)}"
                )
        label_routes = {qid: self._label_routes(qid, q) for qid, q in questions.items() if isinstance(q, Choice)}
        cache: dict[Any, RouteDecision] = {}
        answers: dict[str, Any] = {}
        for qid, question in questions.items():
            routes = sorted(set(label_routes[qid].values())) if qid in label_routes else None
            key = None if routes is None else tuple(routes)
            if key not in cache:
                cache[key] = self._decide(state, routes)
            decision = cache[key]
            record = decision.record()
            if isinstance(question, Noul):
                answers[qid] = WinrouteNoulAnswer(type="noul", noul=_p_strong(decision), decision=record)
            else:
                answers[qid] = self._choice(label_routes[qid], decision, record)
        return ClassifierResponse(model=self.model, answers=answers)

    def _choice(self, labels: dict[str, str], decision: RouteDecision, record: dict[str, Any]) -> WinrouteChoiceAnswer:
        chosen = next(label for label, route in labels.items() if route == decision.route)
        if decision.utilities:  # a choice among N: the candidates' utilities, through a softmax
            probs = _softmax(
                {route: decision.utilities.get(route, -math.inf) for route in labels.values()}, self.temperature
            )
            confidence = probs[decision.route]
        else:  # P(strong wins) for two models; a decision without a score (default, sticky) is certain
            p = _p_strong(decision)
            probs = {STRONG: p, WEAK: 1.0 - p} if math.isfinite(decision.score) else {decision.route: 1.0}
            confidence = _margin(decision)
        by_label = {label: float(probs.get(route, 0.0)) for label, route in labels.items()}
        return WinrouteChoiceAnswer(
            type="choice",
            choice=chosen,
            probabilities=by_label,
            confidence=min(1.0, max(0.0, confidence)),
            decision=record,
            routes=dict(labels),
        )


def _p_strong(decision: RouteDecision) -> float:
    """P(strong needed): the score, or 1/0 for a decision without one (default route, sticky)."""
    if math.isfinite(decision.score):
        return min(1.0, max(0.0, float(decision.score)))
    return 1.0 if decision.route == "strong" else 0.0


def _margin(decision: RouteDecision) -> float:
    """Two-model confidence: the score's distance from the threshold, as a share of the room on its side.

    0 at the threshold, 1 at a score of 1 (strong) or 0 (weak); 1 for a decision without a score.
    """
    s, t = decision.score, decision.threshold
    if not (math.isfinite(s) and math.isfinite(t)):
        return 1.0
    if decision.route == "strong":
        return (s - t) / (1.0 - t) if t < 1.0 else 1.0
    return (t - s) / t if t > 0.0 else 1.0


def _softmax(values: Mapping[str, float], temperature: float) -> dict[str, float]:
    finite = {k: v for k, v in values.items() if math.isfinite(v)}
    if not finite:
        return {k: 1.0 / len(values) for k in values}
    top = max(finite.values())
    weights = {k: math.exp((v - top) / temperature) if k in finite else 0.0 for k, v in values.items()}
    total = sum(weights.values())
    return {k: w / total for k, w in weights.items()}


def _conversation(state: State) -> Any:
    """The conversation in a decision model's state: text, messages, or a dict holding them."""
    if isinstance(state, BaseMessage):
        return to_conversation([state])
    if isinstance(state, Mapping) and "messages" in state:
        return input_to_conversation(state["messages"])
    try:
        return input_to_conversation(state)
    except InvalidConversationError as exc:
        raise InvalidConversationError(f"WinrouteDecisionModel: {exc}") from exc
