"""The Router: a scorer plus a policy -> RouteDecision, for two models and for N.

The scorer (:mod:`core.scorers`) yields per prompt what the policy needs: a win probability for a
pair, or every model's predicted quality and cost for N. The policy (:mod:`core.policies`: a
threshold, a strong share, a cost weight, a budget, a minimum quality) is set on the router and
may be replaced per call. Routing, stickiness inside tool-call turns, truncation notes,
calibration and persistence are written here once, for both kinds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from .artifact_schema import NWayRouterFile, RouterFile, validated
from .artifacts import (
    FORMAT_VERSION,
    check_format_version,
    read_json,
    read_tensors,
    router_files,
    verify_manifest,
    write_manifest,
    write_tensors,
)
from .conversation import Conversation, routing_input
from .costs import ModelSpec, specs_by_name
from .decision import RouteDecision
from .embeddings import Embedder, embedder_for_artifact, make_embedder, save_embedder
from .errors import (
    ArtifactError,
    InvalidArgumentError,
    InvalidConversationError,
    UnknownModelError,
)
from .features import FEATURE_NAMES
from .policies import (
    CALIBRATION_SETTINGS,
    NWAY,
    PAIRWISE,
    SETTING_NAMES,
    SETTINGS,
    CostWeight,
    MinQuality,
    Policy,
    Threshold,
    policy_for,
    recalibrated,
)
from .predictors import Predictor, Queries
from .scorers import (
    SCORERS,
    STRONG,
    WEAK,
    PairwiseScorer,
    QualityScorer,
    Reference,
    Scorer,
    reference_of_scores,
)
from .validation import check_batch, check_int

__all__ = ["STRONG", "WEAK", "RouteDecision", "Router", "as_conversations"]

DEFAULT_NAMES = {PAIRWISE: "winroute", NWAY: "winroute-nway"}
DEFAULT_POLICIES: dict[str, Policy] = {PAIRWISE: Threshold(0.5), NWAY: CostWeight(0.0)}
_SCHEMAS: dict[str, type[RouterFile | NWayRouterFile]] = {PAIRWISE: RouterFile, NWAY: NWayRouterFile}


class Router:
    """Routes each conversation to one of its scorer's routes, as its policy says.

    ``Router(scorer, policy)``: with a :class:`~core.scorers.PairwiseScorer` the routes are
    ``"strong"`` and ``"weak"`` and the policy a :class:`~core.policies.Threshold` (or a
    :class:`~core.policies.StrongShare` of the reference prompts); with a
    :class:`~core.scorers.QualityScorer` the routes are the model names and the policy a
    :class:`~core.policies.CostWeight`, :class:`~core.policies.Budget` or
    :class:`~core.policies.MinQuality`. Per call, ``route(..., policy=...)`` or the settings
    ``threshold`` / ``strong_share`` / ``cost_weight`` / ``budget_per_1k`` / ``min_quality``
    replace it (each kind takes its own: :attr:`settings`).

    ``reference`` holds the reference prompts' scores (the training prompts, or those given
    to :meth:`calibrate`) that a strong share or a budget is resolved against.

    The two-model form of earlier versions, ``Router(predictor, embedder, strong=..., weak=...,
    threshold=..., reference_scores=..., predictor_models=...)``, still works: it builds the
    pairwise scorer and threshold policy (:func:`pairwise_parts`).
    """

    def __init__(
        self,
        scorer: Scorer | Predictor,
        policy: Policy | Embedder | None = None,
        *,
        reference: Reference | None = None,
        last_k_user_turns: int = 1,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        prompt_sketch: Mapping[str, np.ndarray] | None = None,
        **pairwise: Any,
    ) -> None:
        if isinstance(scorer, Predictor):  # the two-model form of earlier versions
            scorer, policy, reference = pairwise_parts(scorer, policy, reference=reference, **pairwise)  # type: ignore[arg-type]
        elif pairwise:
            raise InvalidArgumentError(
                f"unexpected argument(s) {sorted(pairwise)}: they build a Router from a Predictor"
            )
        if not isinstance(scorer, Scorer):
            raise InvalidArgumentError(
                f"scorer must be a core.scorers.Scorer or a Predictor, got {type(scorer).__name__}"
            )
        self.scorer: Scorer = scorer
        self.policy = DEFAULT_POLICIES[scorer.kind] if policy is None else policy  # type: ignore[assignment]
        self.reference = reference
        self.last_k_user_turns = check_int(last_k_user_turns, "last_k_user_turns", low=1)
        self.name = DEFAULT_NAMES[scorer.kind] if name is None else name
        self.metadata = dict(metadata or {})
        # compact sketch of the training prompts (core.prompt_sketch), for `winroute inspect`
        self.prompt_sketch = {k: np.asarray(v) for k, v in prompt_sketch.items()} if prompt_sketch else None
        #: sha256 of the artifact's manifest when loaded from (or saved to) a directory that has one
        self.artifact_sha256: str | None = None

    # -- what the router is ----------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``"pairwise"`` (two models) or ``"nway"`` (N models): the scorer's kind."""
        return self.scorer.kind

    @property
    def policy(self) -> Policy:
        """The policy applied when a call names none (checked on every assignment)."""
        return self._policy

    @policy.setter
    def policy(self, value: Policy) -> None:
        if not isinstance(value, Policy) or value.kind != self.kind:
            raise InvalidArgumentError(
                f"a {self.kind} router needs a policy taking {' or '.join(SETTINGS[self.kind])}, got {value!r:.80}"
            )
        self._policy = value

    @property
    def settings(self) -> tuple[str, ...]:
        """The per-call settings this router takes (the others are refused)."""
        return SETTINGS[self.kind]

    @property
    def predictor(self) -> Any:
        return self.scorer.predictor

    @property
    def embedder(self) -> Embedder:
        return self.scorer.embedder

    @embedder.setter
    def embedder(self, embedder: Embedder) -> None:  # a copy: a scorer shared with other routers stays as it is
        self.scorer = self.scorer.with_embedder(embedder)

    @property
    def routes(self) -> tuple[str, ...]:
        """Route names in order: what decisions record as ``route`` (``strong``/``weak``, or model names)."""
        return self.scorer.routes

    @property
    def models(self) -> tuple[str, ...]:
        """The model each route calls, in the order of :attr:`routes`."""
        return self.scorer.models

    def resolve_route(self, name: str) -> str:
        """The route a route or model name refers to (canonical model names accepted)."""
        return self.scorer.resolve_route(name)

    def model_for(self, route: str) -> str:
        """The model a route (or a model name) calls."""
        return self.scorer.model_for(route)

    # -- scoring ------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> Queries:
        """Embed and featurise prompt texts (no embedding when the predictor reads the text itself)."""
        return self.scorer.encode(texts)

    def _texts(self, conversations: Sequence[Conversation]) -> list[str]:
        return [routing_input(c, last_k_user_turns=self.last_k_user_turns).text for c in conversations]

    def score(self, conversations: Conversation | Sequence[Conversation]) -> np.ndarray:
        """The predictor's output per conversation: P(strong wins) for two models, (conversations, models)
        predicted qualities for N."""
        return self.score_texts(self._texts(as_conversations(conversations)))

    def score_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.scorer.raw(texts)

    # -- policy ---------------------------------------------------------------------------------
    def policy_for(self, policy: Policy | None = None, **settings: Any) -> Policy:
        """The policy of one call: ``policy``, else the one ``settings`` ask for, else the router's own.

        Every setting is checked here, once, for both kinds (:func:`core.policies.policy_for`).
        """
        unknown = sorted(set(settings) - set(SETTING_NAMES))
        if unknown:
            raise InvalidArgumentError(f"unknown setting(s) {unknown}; a router takes {', '.join(SETTING_NAMES)}")
        if policy is None:
            return policy_for(self.kind, self.policy, **settings)
        if any(v is not None for v in settings.values()):
            raise InvalidArgumentError("give either a policy or settings, not both")
        if not isinstance(policy, Policy) or policy.kind != self.kind:
            raise InvalidArgumentError(f"a {self.kind} router cannot apply the policy {policy!r:.80}")
        return policy

    def resolved_policy(
        self, policy: Policy | None = None, routes: Sequence[str] | None = None, **settings: Any
    ) -> Policy:
        """:meth:`policy_for`, resolved against the reference prompts (a strong share to a threshold, a budget
        to a cost weight) for the candidate ``routes``."""
        chosen = self.policy_for(policy, **settings)
        if not chosen.needs_reference:
            return chosen
        names = self.scorer.candidates(routes)
        return chosen.resolved(None if self.reference is None else self.scorer.reference_costs(self.reference, names))

    # -- routing ------------------------------------------------------------------------------
    def route(self, conversation: Conversation, policy: Policy | None = None, **kwargs: Any) -> RouteDecision:
        """Decide where one conversation goes (keyword arguments as :meth:`route_batch`)."""
        return self.route_batch([conversation], policy=policy, **kwargs)[0]

    def route_batch(
        self,
        conversations: Sequence[Conversation],
        policy: Policy | None = None,
        *,
        models: Sequence[str] | None = None,
        **settings: Any,
    ) -> list[RouteDecision]:
        """Decide for many conversations at once (one embedding batch).

        ``policy`` or ``settings`` replace the router's policy for this call; ``models`` restricts
        an N-way choice to some of its models (a two-model router needs both).
        """
        conversations = check_batch(conversations)
        routes = self.scorer.candidates(models)
        chosen = self.resolved_policy(policy, routes, **settings)
        inputs = [routing_input(c, last_k_user_turns=self.last_k_user_turns) for c in conversations]
        todo = [i for i, inp in enumerate(inputs) if inp.sticky_route is None]
        texts = [inputs[i].text for i in todo]
        table = self.scorer.table(texts, routes)
        cut = self.scorer.truncated(texts) if texts else np.zeros(0, dtype=bool)
        allowed = np.where(table.fits.any(axis=1, keepdims=True), table.fits, True)  # nothing fits: let every model try
        choice = chosen.choose(table.values, table.costs, allowed)
        decisions: list[RouteDecision | None] = [None] * len(inputs)
        for j, i in enumerate(todo):
            route = table.routes[int(choice.index[j])]
            reason = choice.reasons[j]
            if not table.fits[j].all():
                skipped = [n for n, ok in zip(table.routes, table.fits[j]) if not ok]
                reason += (
                    f"; skipped for their context window: {', '.join(skipped)}"
                    if table.fits[j].any()
                    else ("; the prompt fits no model's context window")
                )
            if cut[j]:
                reason += "; prompt truncated to the encoder's window"
            if inputs[i].ignored_parts:
                reason += f"; {inputs[i].ignored_parts} non-text content part(s) ignored"
            reason += "".join(f"; {note}" for note in inputs[i].notes)
            utilities = {} if choice.utilities is None else dict(zip(table.routes, map(float, choice.utilities[j])))
            decisions[i] = RouteDecision(
                self.model_for(route),
                route,
                float(choice.score[j]),
                chosen.cutoff,
                reason,
                bool(cut[j] or inputs[i].capped),
                self.name,
                **self.scorer.report(table, j),
                utilities=utilities,
            )
        for i, inp in enumerate(inputs):
            if inp.sticky_route is not None:  # a route recorded by an earlier call: "strong"/"weak" or a model name
                route = self.resolve_route(inp.sticky_route)
                decisions[i] = RouteDecision(
                    self.model_for(route),
                    route,
                    float("nan"),
                    chosen.cutoff,
                    "sticky: inside a tool-call turn",
                    False,
                    self.name,
                )
        return [d for d in decisions if d is not None]

    async def aroute(self, conversation: Conversation, policy: Policy | None = None, **kwargs: Any) -> RouteDecision:
        """:meth:`route` for asyncio code: encodes in a worker thread, so the event loop keeps running."""
        return (await self.aroute_batch([conversation], policy=policy, **kwargs))[0]

    async def aroute_batch(
        self, conversations: Sequence[Conversation], policy: Policy | None = None, **kwargs: Any
    ) -> list[RouteDecision]:
        """:meth:`route_batch` in a worker thread (the encoder holds the CPU for milliseconds)."""
        return await asyncio.to_thread(self.route_batch, conversations, policy=policy, **kwargs)

    # -- calibration -----------------------------------------------------------------------------
    def calibrate(
        self,
        prompts: Sequence[Conversation],
        strong_share: float | None = None,
        *,
        budget_per_1k: float | None = None,
        policy: Policy | None = None,
    ) -> float:
        """Make ``prompts`` the reference set and resolve the policy against them; returns its level.

        Two models: ``strong_share`` sets the threshold that sends that share of ``prompts``
        strong (returned; required). N models: ``budget_per_1k`` sets the cost weight whose
        choices on ``prompts`` meet it (returned; a minimum quality the router has stays);
        without it only the reference changes. ``policy`` may replace either setting. Every argument is checked and the new state computed
        before the router changes: a failed call leaves it as it was.
        """
        prompts = check_batch(prompts, "prompts")
        settings = {"strong_share": strong_share, "budget_per_1k": budget_per_1k}
        needed = CALIBRATION_SETTINGS.get(self.kind)
        if policy is None and needed is not None and settings.get(needed) is None:
            raise InvalidArgumentError(
                f"{needed} must be a number, got None: calibrating a {self.kind} router needs it"
            )
        target = self.policy_for(policy, **settings)
        if len(prompts) == 0:
            raise InvalidConversationError("calibrate needs at least one prompt")
        reference = self.scorer.reference(self._texts(prompts))
        resolved = (
            target.resolved(self.scorer.reference_costs(reference, self.routes)) if target.needs_reference else target
        )
        self.reference, self.policy = reference, recalibrated(self.policy, resolved)
        return resolved.level

    # -- other prices ------------------------------------------------------------------------------
    def with_specs(self, specs: Iterable[ModelSpec] | Mapping[str, ModelSpec]) -> Router:
        """A new router pricing some models by ``specs`` (named after a model, canonical names accepted).

        It shares the fitted scorer's predictor and embedder but nothing else: its policy and
        reference are its own, so calibrating it leaves this router as it is (and the reverse).
        """
        by_model: dict[str, ModelSpec] = {}
        for name, spec in specs_by_name(specs).items():
            model = self.model_for(name)
            if model in by_model:
                raise InvalidArgumentError(f"two ModelSpecs are given for model {model!r}")
            by_model[model] = spec if spec.name == model else dataclasses.replace(spec, name=model)
        return self._copy(self.scorer.with_specs(by_model))

    def _copy(self, scorer: Scorer) -> Router:
        return Router(
            scorer,
            self.policy,
            reference=self.reference,
            last_k_user_turns=self.last_k_user_turns,
            name=self.name,
            metadata=self.metadata,
            prompt_sketch=self.prompt_sketch,
        )

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the router as a directory of JSON + safetensors (no pickle).

        A strong share or budget set as the router's policy is saved as the threshold or cost
        weight it comes to on the reference prompts.
        """
        directory = Path(directory)
        policy = self.resolved_policy()
        directory.mkdir(parents=True, exist_ok=True)
        self.predictor.save(directory / "predictor")
        save_embedder(self.embedder, directory)
        tensors = {} if self.reference is None else self.scorer.reference_tensors(self.reference)
        tensors.update({f"sketch.{k}": v for k, v in (self.prompt_sketch or {}).items()})
        meta = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "embedder": self.embedder.model_id,
            "features": list(FEATURE_NAMES),
            **self.scorer.meta(),
            **policy.fields(),
            "last_k_user_turns": self.last_k_user_turns,
            "tensors_sha256": write_tensors(directory / "router.safetensors", tensors) if tensors else None,
            "metadata": self.metadata,
        }
        (directory / "router.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        self.artifact_sha256 = write_manifest(directory)
        return directory

    @classmethod
    def load(
        cls,
        directory: str | Path,
        *,
        embedder: Embedder | None = None,
        allow_remote: bool = False,
        expected_sha256: str | None = None,
    ) -> Router:
        """Load a saved router of either kind, validated whole before use (docs/security.md).

        The manifest (when the artifact has one) and every checksum are verified, the JSON
        checked against its schema (``router.json`` with ``"kind": "nway"`` is an N-way router,
        without a kind a two-model one), tensors for shape and finiteness. An artifact naming a
        remote embedder (OpenAI) loads only with ``allow_remote=True`` or an ``embedder``
        given here; ``expected_sha256`` pins the artifact's manifest digest.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ArtifactError(f"no router artifact at {directory} (expected a directory with router.json)")
        path = directory / "router.json"
        raw = read_json(path)  # bounded; a file that is not JSON is named as such before the checksums
        digest = verify_manifest(directory, router_files(directory), expected_sha256=expected_sha256)
        check_format_version(raw, path)
        kind = raw.get("kind", PAIRWISE)
        if not isinstance(kind, str) or (kind == PAIRWISE and "kind" in raw) or kind not in _SCHEMAS:
            raise ArtifactError(
                f"{path} names unknown router kind {kind!r:.60} (known: {NWAY!r}, or none for two models)"
            )
        meta: Any = validated(_SCHEMAS[kind], raw, path)
        if meta.features != list(FEATURE_NAMES):
            raise ArtifactError(f"{directory}: artifact was built with other prompt features than this winroute's")
        tensors = read_tensors(directory / "router.safetensors", meta.tensors_sha256) if meta.tensors_sha256 else {}
        sketch = {k[len("sketch.") :]: v for k, v in tensors.items() if k.startswith("sketch.")}
        scorer_type = SCORERS[kind]
        predictor = scorer_type.predictor_type.load(directory / "predictor")  # type: ignore[attr-defined]
        if embedder is None:
            embedder = embedder_for_artifact(meta.embedder, directory, allow_remote=allow_remote, where=str(path))
        try:
            scorer = scorer_type.from_meta(meta, predictor, embedder)
            policy = policy_for(kind, DEFAULT_POLICIES[kind], **{k: getattr(meta, k, None) for k in SETTINGS[kind]})
            router = cls(
                scorer,
                policy,
                reference=scorer.reference_from(tensors),
                last_k_user_turns=meta.last_k_user_turns,
                name=meta.name,
                metadata=meta.metadata,
                prompt_sketch=sketch or None,
            )
        except (KeyError, TypeError, UnknownModelError, ValueError) as exc:
            raise ArtifactError(f"{path} is inconsistent: {exc}") from exc
        router.artifact_sha256 = digest
        return router

    # -- names of earlier versions (each kind's own attributes) --------------------------------
    def _pairwise(self, attribute: str) -> PairwiseScorer:
        if self.kind != PAIRWISE:
            raise AttributeError(f"{attribute!r} is an attribute of two-model routers; this one is N-way (see .routes)")
        return cast(PairwiseScorer, self.scorer)

    def _nway(self, attribute: str) -> QualityScorer:
        if self.kind != NWAY:
            raise AttributeError(f"{attribute!r} is an attribute of N-way routers; this one has two models")
        return cast(QualityScorer, self.scorer)

    @property
    def strong(self) -> str:
        """Two models: the strong model's name."""
        return self._pairwise("strong").strong

    @property
    def weak(self) -> str:
        """Two models: the weak model's name."""
        return self._pairwise("weak").weak

    @property
    def predictor_models(self) -> dict[str, str]:
        """Two models: model name -> the name the predictor knows it by."""
        return self._pairwise("predictor_models").predictor_models

    @property
    def threshold(self) -> float:
        """Two models: the score at or above which a call goes strong (checked on every assignment)."""
        self._pairwise("threshold")
        return self.resolved_policy().cutoff

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._pairwise("threshold")
        self.policy = Threshold(value)

    def threshold_for(self, *, threshold: float | None = None, strong_share: float | None = None) -> float:
        """Two models: the threshold of one call (explicit, from a strong share, or the router's own)."""
        return self.resolved_policy(threshold=threshold, strong_share=strong_share).cutoff

    @property
    def reference_scores(self) -> np.ndarray | None:
        """Two models: the reference prompts' P(strong wins), sorted."""
        self._pairwise("reference_scores")
        return None if self.reference is None else self.reference.values[:, 0]

    @reference_scores.setter
    def reference_scores(self, scores: Any) -> None:
        self._pairwise("reference_scores")
        self.reference = None if scores is None else reference_of_scores(scores)

    @property
    def specs(self) -> dict[str, ModelSpec]:
        """N models: each model's spec (prices, context window)."""
        return self._nway("specs").specs

    def spec(self, name: str) -> ModelSpec:
        """N models: the spec of a model (canonical names accepted)."""
        return self._nway("spec").spec(name)

    @property
    def cost_weight(self) -> float:
        """N models: the cost weight of the router's policy (USD per call traded for one unit of quality)."""
        self._nway("cost_weight")
        return self.resolved_policy().level

    @property
    def min_quality(self) -> float | None:
        """N models: the router's minimum quality, if its policy has one."""
        self._nway("min_quality")
        return self.policy.min_quality if isinstance(self.policy, MinQuality) else None

    def predict_texts(
        self, texts: Sequence[str], models: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """N models: predicted quality, expected cost (USD) and prompt tokens of ``texts``."""
        return self._nway("predict_texts").predict_texts(texts, models)

    def cost_weight_for(
        self,
        *,
        cost_weight: float | None = None,
        budget_per_1k: float | None = None,
        models: Sequence[str] | None = None,
    ) -> float:
        """N models: the cost weight of one call (explicit, from a budget on the reference prompts, or the router's own)."""
        self._nway("cost_weight_for")
        return self.resolved_policy(None, models, cost_weight=cost_weight, budget_per_1k=budget_per_1k).level

    @property
    def reference_qualities(self) -> np.ndarray | None:
        """N models: the reference prompts' predicted qualities (prompts x models)."""
        self._nway("reference_qualities")
        return None if self.reference is None else self.reference.values

    @property
    def reference_tokens(self) -> np.ndarray | None:
        """N models: the reference prompts' token counts."""
        self._nway("reference_tokens")
        return None if self.reference is None else self.reference.tokens

    def __repr__(self) -> str:
        return f"Router(name={self.name!r}, kind={self.kind!r}, models={list(self.models)!r}, policy={self.policy!r})"


def pairwise_parts(
    predictor: Predictor,
    embedder: Embedder | None = None,
    *,
    strong: str,
    weak: str,
    threshold: float = 0.5,
    reference_scores: np.ndarray | None = None,
    predictor_models: Mapping[str, str] | None = None,
    reference: Reference | None = None,
) -> tuple[PairwiseScorer, Threshold, Reference | None]:
    """The scorer, policy and reference of a two-model router given in the form of earlier versions."""
    scorer = PairwiseScorer(
        predictor,
        embedder if embedder is not None else make_embedder(),
        strong=strong,
        weak=weak,
        predictor_models=predictor_models,
    )
    if reference is None and reference_scores is not None:
        reference = reference_of_scores(reference_scores)
    return scorer, Threshold(threshold), reference


def _is_message_list(obj: Any) -> bool:
    return isinstance(obj, Sequence) and not isinstance(obj, str) and len(obj) > 0 and isinstance(obj[0], Mapping)


def as_conversations(conversations: Conversation | Sequence[Conversation]) -> list[Conversation]:
    """One conversation (a string or a message list) as a batch of one; a batch as a list.

    A single message dict is refused: wrap it in a list (a conversation of one message).
    """
    if isinstance(conversations, str) or _is_message_list(conversations):
        return [conversations]  # type: ignore[list-item]
    return check_batch(conversations)
