"""N-way routing (PROCEED): predict every model's quality on a prompt, trade it against cost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .artifact_schema import NWayRouterFile, validated
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
from .costs import ModelSpec, cost_matrix, estimate_tokens, spec_for, specs_by_name
from .embeddings import Embedder, embedder_for_artifact, make_embedder, save_embedder
from .errors import ArtifactError, InvalidArgumentError, PredictionError, UnknownModelError
from .features import FEATURE_NAMES, prompt_features
from .policies import (
    check_cost_weight,
    choose_by_utility,
    choose_cheapest_reaching,
    cost_weight_for_budget,
    utilities,
)
from .predictors import QualityPredictor, Queries
from .router import RouteDecision
from .validation import check_batch, check_int, check_number

NWAY_KIND = "nway"


class NWayRouter:
    """Routes each conversation to one of N models.

    Per call it predicts each model's quality ``q_i`` (a quality predictor) and expected cost
    ``c_i`` (the model's :class:`~core.costs.ModelSpec` and the prompt's tokens), then picks

    * ``argmax q_i - cost_weight * c_i`` (the default; costs in USD per call), or
    * with ``min_quality``: the cheapest model expected to reach it, or
    * with ``budget_per_1k``: the utility rule at the cost weight whose choices on the
      reference prompts cost at most that many USD per 1,000 calls on average.

    Models whose context window the prompt does not fit are skipped. With two models the
    utility rule is the binary threshold rule on the quality gap.
    """

    def __init__(
        self,
        predictor: QualityPredictor,
        specs: Iterable[ModelSpec] | Mapping[str, ModelSpec],
        embedder: Embedder | None = None,
        *,
        cost_weight: float = 0.0,
        min_quality: float | None = None,
        reference_qualities: np.ndarray | None = None,
        reference_tokens: np.ndarray | None = None,
        last_k_user_turns: int = 1,
        name: str = "winroute-nway",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.predictor = predictor
        self.specs = specs_by_name(specs)
        for model in self.specs:
            if model not in predictor.models_:
                raise UnknownModelError(
                    f"model {model!r} has no quality regressor; the predictor knows: {', '.join(predictor.models_)}"
                )
        self.embedder = embedder if embedder is not None else make_embedder()
        self.cost_weight = check_cost_weight(cost_weight)
        self.min_quality = None if min_quality is None else check_number(min_quality, "min_quality", low=0.0, high=1.0)
        self.reference_qualities = reference_qualities
        self.reference_tokens = reference_tokens
        self.last_k_user_turns = check_int(last_k_user_turns, "last_k_user_turns", low=1)
        self.name = name
        self.metadata = dict(metadata or {})
        #: sha256 of the artifact's manifest when loaded from (or saved to) a directory that has one
        self.artifact_sha256: str | None = None

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.specs)

    def resolve_route(self, name: str) -> str:
        """The declared model a route or model name refers to (canonical names accepted)."""
        from .data.models import canonical_model

        key = str(name).strip()
        if key in self.specs:
            return key
        for model in self.specs:
            if canonical_model(key) == canonical_model(model):
                return model
        raise UnknownModelError(f"unknown model {name!r}; this router chooses among: {', '.join(self.specs)}")

    def model_for(self, route: str) -> str:
        return self.resolve_route(route)

    # -- prediction ---------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> Queries:
        texts = list(texts)
        return Queries(self.embedder.embed(texts), prompt_features(texts), texts)

    def predict_texts(self, texts: Sequence[str], models: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predicted quality, expected cost (USD) and prompt tokens: (prompts x models, prompts x models, prompts)."""
        names = self._candidates(models)
        if not texts:
            return np.zeros((0, len(names))), np.zeros((0, len(names))), np.zeros(0)
        qualities = self.predictor.predict(self.encode(texts), names)
        if not np.isfinite(qualities).all():
            raise PredictionError(f"the {self.predictor.kind} predictor returned NaN or infinite qualities")
        tokens = estimate_tokens(texts, self.embedder)
        return qualities, cost_matrix([self.specs[n] for n in names], tokens), tokens

    def _candidates(self, models: Sequence[str] | None) -> list[str]:
        if models is None:
            return list(self.specs)
        names = [self.resolve_route(m) for m in models]
        if not names:
            raise InvalidArgumentError("models: give at least one model to choose from")
        return list(dict.fromkeys(names))

    # -- policy -------------------------------------------------------------------------------
    def cost_weight_for(
        self, *, cost_weight: float | None = None, budget_per_1k: float | None = None, models: Sequence[str] | None = None
    ) -> float:
        """The cost weight for one call: explicit, from a budget on the reference prompts, or the router's own."""
        if cost_weight is not None and budget_per_1k is not None:
            raise InvalidArgumentError("give either cost_weight or budget_per_1k, not both")
        if cost_weight is not None:
            return check_cost_weight(cost_weight)
        if budget_per_1k is not None:
            budget_per_1k = check_number(budget_per_1k, "budget_per_1k", low=0.0)
            if self.reference_qualities is None or self.reference_tokens is None:
                raise InvalidArgumentError("this router has no reference prompts; call calibrate(prompts, budget_per_1k=...) first")
            names = self._candidates(models)
            columns = [list(self.specs).index(n) for n in names]
            costs = cost_matrix([self.specs[n] for n in names], self.reference_tokens)
            return cost_weight_for_budget(self.reference_qualities[:, columns], costs, budget_per_1k / 1000.0)
        return self.cost_weight

    def route(self, conversation: Conversation, **kwargs: Any) -> RouteDecision:
        """Decide where one conversation goes (keyword arguments as :meth:`route_batch`)."""
        return self.route_batch([conversation], **kwargs)[0]

    def route_batch(
        self,
        conversations: Sequence[Conversation],
        *,
        cost_weight: float | None = None,
        budget_per_1k: float | None = None,
        min_quality: float | None = None,
        models: Sequence[str] | None = None,
    ) -> list[RouteDecision]:
        """Decide for many conversations at once; ``models`` restricts the choice to some of them."""
        conversations = check_batch(conversations)
        names = self._candidates(models)
        if min_quality is None:
            min_quality = self.min_quality if cost_weight is None and budget_per_1k is None else None
        if min_quality is not None:
            min_quality = check_number(min_quality, "min_quality", low=0.0, high=1.0)
        weight = self.cost_weight_for(cost_weight=cost_weight, budget_per_1k=budget_per_1k, models=names)
        inputs = [routing_input(c, last_k_user_turns=self.last_k_user_turns) for c in conversations]
        todo = [i for i, inp in enumerate(inputs) if inp.sticky_route is None]
        texts = [inputs[i].text for i in todo]
        q, c, tokens = self.predict_texts(texts, names)
        fits = np.stack([self.specs[n].fits(tokens) for n in names], axis=1) if texts else np.zeros((0, len(names)), bool)
        allowed = np.where(fits.any(axis=1, keepdims=True), fits, True)  # nothing fits: let every model try
        if min_quality is not None:
            chosen = choose_cheapest_reaching(q, c, min_quality, allowed)
        else:
            chosen = choose_by_utility(q, c, weight, allowed)
        u = utilities(q, c, weight)
        decisions: list[RouteDecision | None] = [None] * len(inputs)
        for j, i in enumerate(todo):
            k = int(chosen[j])
            model = names[k]
            if min_quality is not None:
                reached = q[j, k] >= min_quality
                reason = (
                    f"cheapest model predicted to reach quality {min_quality:.2f} ({q[j, k]:.3f})"
                    if reached else f"no model is predicted to reach quality {min_quality:.2f}: the best predicted one"
                )
            else:
                reason = f"highest utility q - {weight:.4g} x cost: {u[j, k]:.4f} (quality {q[j, k]:.3f}, ${c[j, k]:.6f})"
            if not fits[j].all():
                skipped = [n for n, ok in zip(names, fits[j]) if not ok]
                reason += f"; skipped for their context window: {', '.join(skipped)}" if fits[j].any() else (
                    "; the prompt fits no model's context window"
                )
            if inputs[i].ignored_parts:
                reason += f"; {inputs[i].ignored_parts} non-text content part(s) ignored"
            reason += "".join(f"; {note}" for note in inputs[i].notes)
            decisions[i] = RouteDecision(
                model, model, float(q[j, k]), float("nan"), reason, False, self.name,
                scores=dict(zip(names, map(float, q[j]))),
                qualities=dict(zip(names, map(float, q[j]))),
                costs=dict(zip(names, map(float, c[j]))),
                utilities={n: (float(u[j, m]) if allowed[j, m] else float("-inf")) for m, n in enumerate(names)},
            )
        for i, inp in enumerate(inputs):
            if inp.sticky_route is not None:
                model = self.resolve_route(inp.sticky_route)
                decisions[i] = RouteDecision(model, model, float("nan"), float("nan"), "sticky: inside a tool-call turn", False, self.name)
        return [d for d in decisions if d is not None]

    async def aroute(self, conversation: Conversation, **kwargs: Any) -> RouteDecision:
        """:meth:`route` for asyncio code: encodes in a worker thread, so the event loop keeps running."""
        return (await self.aroute_batch([conversation], **kwargs))[0]

    async def aroute_batch(self, conversations: Sequence[Conversation], **kwargs: Any) -> list[RouteDecision]:
        """:meth:`route_batch` in a worker thread (keyword arguments as there)."""
        return await asyncio.to_thread(self.route_batch, conversations, **kwargs)

    def calibrate(self, prompts: Sequence[Conversation], *, budget_per_1k: float | None = None) -> float:
        """Keep ``prompts`` as the reference set; with ``budget_per_1k``, set the router's cost weight to meet it.

        Arguments are checked and the new state computed before the router changes: a failed
        call leaves it as it was.
        """
        prompts = check_batch(prompts, "prompts")
        if budget_per_1k is not None:
            budget_per_1k = check_number(budget_per_1k, "budget_per_1k", low=0.0)
        if len(prompts) == 0:
            raise ValueError("calibrate needs at least one prompt")
        texts = [routing_input(p, last_k_user_turns=self.last_k_user_turns).text for p in prompts]
        q, _, tokens = self.predict_texts(texts)
        weight = self.cost_weight
        if budget_per_1k is not None:
            costs = cost_matrix(list(self.specs.values()), tokens)
            weight = cost_weight_for_budget(q, costs, budget_per_1k / 1000.0)
        self.reference_qualities, self.reference_tokens, self.cost_weight = q, tokens, weight
        return weight

    # -- persistence ---------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the router as a directory of JSON + safetensors (no pickle)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.predictor.save(directory / "predictor")
        save_embedder(self.embedder, directory)
        tensors = {}
        if self.reference_qualities is not None and self.reference_tokens is not None:
            tensors = {"reference_qualities": self.reference_qualities, "reference_tokens": self.reference_tokens}
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": NWAY_KIND,
            "name": self.name,
            "embedder": self.embedder.model_id,
            "features": list(FEATURE_NAMES),
            "models": [s.as_dict() for s in self.specs.values()],
            "cost_weight": self.cost_weight,
            "min_quality": self.min_quality,
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
    ) -> NWayRouter:
        """Load a saved N-way router, validated whole before use (as :meth:`core.Router.load`)."""
        directory = Path(directory)
        if not directory.is_dir():
            raise ArtifactError(f"no router artifact at {directory} (expected a directory with router.json)")
        digest = verify_manifest(directory, router_files(directory), expected_sha256=expected_sha256)
        path = directory / "router.json"
        raw = read_json(path)
        check_format_version(raw, path)
        if raw.get("kind") != NWAY_KIND:
            raise ArtifactError(f"{directory} holds a two-model router, not an N-way one: use core.load_router")
        meta = validated(NWayRouterFile, raw, path)
        if meta.features != list(FEATURE_NAMES):
            raise ArtifactError(f"{directory}: artifact was built with other prompt features than this winroute's")
        tensors = read_tensors(directory / "router.safetensors", meta.tensors_sha256) if meta.tensors_sha256 else {}
        predictor = QualityPredictor.load(directory / "predictor")
        if embedder is None:
            embedder = embedder_for_artifact(meta.embedder, directory, allow_remote=allow_remote, where=str(path))
        try:
            router = cls(
                predictor,
                [ModelSpec.from_dict(m) for m in meta.models],
                embedder,
                cost_weight=meta.cost_weight,
                min_quality=meta.min_quality,
                reference_qualities=tensors.get("reference_qualities"),
                reference_tokens=tensors.get("reference_tokens"),
                last_k_user_turns=meta.last_k_user_turns,
                name=meta.name,
                metadata=meta.metadata,
            )
        except (KeyError, TypeError, UnknownModelError, ValueError) as exc:
            raise ArtifactError(f"{path} is inconsistent: {exc}") from exc
        router.artifact_sha256 = digest
        return router

    def spec(self, name: str) -> ModelSpec:
        return spec_for(self.specs, self.resolve_route(name))
