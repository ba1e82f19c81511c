"""The Router: embedder + predictor + policy -> RouteDecision."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .artifact_schema import RouterFile, validated
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
from .embeddings import Embedder, embedder_for_artifact, make_embedder, save_embedder
from .errors import ArtifactError, InvalidArgumentError, InvalidConversationError, PredictionError, UnknownModelError
from .features import FEATURE_NAMES, prompt_features
from .policies import check_share, check_threshold, threshold_for_share
from .predictors import Predictor, Queries
from .validation import check_batch, check_int

STRONG, WEAK = "strong", "weak"


@dataclass(frozen=True)
class RouteDecision:
    """Which model a call goes to, and why."""

    model: str
    route: str
    score: float
    threshold: float
    reason: str
    truncated: bool = False
    router: str = "winroute"
    scores: Mapping[str, float] = field(default_factory=dict)
    # N-way decisions: every candidate's predicted quality, expected cost (USD) and utility
    qualities: Mapping[str, float] = field(default_factory=dict)
    costs: Mapping[str, float] = field(default_factory=dict)
    utilities: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dict (for response metadata and logs)."""
        out = asdict(self)
        for key in ("scores", "qualities", "costs", "utilities"):
            out[key] = {k: _finite_or_none(v) for k, v in getattr(self, key).items()}
        # sticky decisions have no score, N-way ones no threshold; JSON has no NaN
        out["score"], out["threshold"] = _finite_or_none(self.score), _finite_or_none(self.threshold)
        return out


def _finite_or_none(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else float(x)


class Router:
    """Routes each conversation to the strong or the weak model.

    ``score`` is the predictor's P(strong beats weak); a call goes strong when
    ``score >= threshold``. ``strong_share`` picks the threshold that sends that share of
    the reference prompts (the training prompts, or those given to ``calibrate``) strong.
    """

    def __init__(
        self,
        predictor: Predictor,
        embedder: Embedder | None = None,
        *,
        strong: str,
        weak: str,
        threshold: float = 0.5,
        reference_scores: np.ndarray | None = None,
        last_k_user_turns: int = 1,
        name: str = "winroute",
        metadata: Mapping[str, Any] | None = None,
        predictor_models: Mapping[str, str] | None = None,
        prompt_sketch: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.predictor = predictor
        self.embedder = embedder if embedder is not None else make_embedder()
        self.predictor_models = dict(predictor_models or {})
        if self._predictor_name(strong) == self._predictor_name(weak):
            raise ValueError(
                f"strong {strong!r} and weak {weak!r} are the same model to the predictor "
                f"({self._predictor_name(strong)!r}): every score would be 0.5"
            )
        predictor.model_index(self._predictor_name(strong)), predictor.model_index(self._predictor_name(weak))
        self.strong = strong
        self.weak = weak
        self.threshold = threshold
        self.reference_scores = None if reference_scores is None else _reference(reference_scores)
        self.last_k_user_turns = check_int(last_k_user_turns, "last_k_user_turns", low=1)
        self.name = name
        self.metadata = dict(metadata or {})
        # compact sketch of the training prompts (core.adaptation.sketch), for `winroute inspect`
        self.prompt_sketch = {k: np.asarray(v) for k, v in prompt_sketch.items()} if prompt_sketch else None
        #: sha256 of the artifact's manifest when loaded from (or saved to) a directory that has one
        self.artifact_sha256: str | None = None

    @property
    def threshold(self) -> float:
        """Score at or above which a call goes strong (checked on every assignment)."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._threshold = check_threshold(value)

    # -- naming -------------------------------------------------------------------------------
    def _predictor_name(self, model: str) -> str:
        """The name the predictor knows ``model`` by (a capability tier, or the model itself)."""
        return self.predictor_models.get(model, model)

    @property
    def models(self) -> tuple[str, str]:
        return (self.strong, self.weak)

    def resolve_route(self, name: str) -> str:
        """Map a route or model name (``"strong"``, ``"weak"`` or either model's name) to a route."""
        from .data.models import canonical_model

        key = str(name).strip()
        if key.lower() in (STRONG, WEAK):
            return key.lower()
        for route, model in ((STRONG, self.strong), (WEAK, self.weak)):
            if key == model or canonical_model(key) == canonical_model(model):
                return route
        raise UnknownModelError(f"unknown route or model {name!r}; this router has strong={self.strong!r}, weak={self.weak!r}")

    def model_for(self, route: str) -> str:
        return self.strong if self.resolve_route(route) == STRONG else self.weak

    # -- scoring ------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> Queries:
        """Embed and featurise prompt texts (no embedding when the predictor reads the text itself)."""
        texts = list(texts)
        if not self.predictor.uses_embeddings:
            return Queries(np.zeros((len(texts), 0), dtype=np.float32), prompt_features(texts), texts)
        return Queries(self.embedder.embed(texts), prompt_features(texts), texts)

    def _texts(self, conversations: Sequence[Conversation]) -> list[str]:
        return [routing_input(c, last_k_user_turns=self.last_k_user_turns).text for c in conversations]

    def score(self, conversations: Conversation | Sequence[Conversation]) -> np.ndarray:
        """Raw predictor output, P(strong wins), one per conversation (one conversation: one score)."""
        return self.score_texts(self._texts(as_conversations(conversations)))

    def score_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        strong, weak = self._predictor_name(self.strong), self._predictor_name(self.weak)
        scores = np.asarray(self.predictor.predict(self.encode(texts), strong, weak), dtype=np.float64)
        if not np.isfinite(scores).all():
            raise PredictionError(f"the {self.predictor.kind} predictor returned NaN or infinite scores")
        return scores

    def threshold_for(self, *, threshold: float | None = None, strong_share: float | None = None) -> float:
        """The threshold for one call: explicit, from a strong share, or the router's own."""
        if threshold is not None and strong_share is not None:
            raise InvalidArgumentError("give either threshold or strong_share, not both")
        if threshold is not None:
            return check_threshold(threshold)
        if strong_share is not None:
            if self.reference_scores is None:
                raise InvalidArgumentError(
                    "strong_share needs reference scores, which this router has none of; call calibrate(prompts, strong_share) first"
                )
            return threshold_for_share(self.reference_scores, strong_share)
        return self.threshold

    # -- routing ------------------------------------------------------------------------------
    def route(
        self, conversation: Conversation, *, threshold: float | None = None, strong_share: float | None = None
    ) -> RouteDecision:
        """Decide where one conversation goes."""
        return self.route_batch([conversation], threshold=threshold, strong_share=strong_share)[0]

    def route_batch(
        self,
        conversations: Sequence[Conversation],
        *,
        threshold: float | None = None,
        strong_share: float | None = None,
    ) -> list[RouteDecision]:
        """Decide for many conversations at once (one embedding batch)."""
        conversations = check_batch(conversations)
        t = self.threshold_for(threshold=threshold, strong_share=strong_share)
        inputs = [routing_input(c, last_k_user_turns=self.last_k_user_turns) for c in conversations]
        todo = [i for i, inp in enumerate(inputs) if inp.sticky_route is None]
        texts = [inputs[i].text for i in todo]
        scores = self.score_texts(texts)
        cut = self._truncated(texts)
        truncated = cut | np.array([inputs[i].capped for i in todo], dtype=bool)
        decisions: list[RouteDecision | None] = [None] * len(inputs)
        for j, i in enumerate(todo):
            s = float(scores[j])
            route = STRONG if s >= t else WEAK
            reason = f"score {s:.3f} {'>=' if route == STRONG else '<'} threshold {t:.3f}"
            if cut[j]:
                reason += "; prompt truncated to the encoder's window"
            if inputs[i].ignored_parts:
                reason += f"; {inputs[i].ignored_parts} non-text content part(s) ignored"
            reason += "".join(f"; {note}" for note in inputs[i].notes)
            decisions[i] = RouteDecision(
                self.model_for(route), route, s, t, reason, bool(truncated[j]), self.name,
                {self.strong: s, self.weak: 1.0 - s},
            )
        for i, inp in enumerate(inputs):
            if inp.sticky_route is not None:
                route = self.resolve_route(inp.sticky_route)
                decisions[i] = RouteDecision(
                    self.model_for(route), route, float("nan"), t, "sticky: inside a tool-call turn", False, self.name
                )
        return [d for d in decisions if d is not None]

    async def aroute(
        self, conversation: Conversation, *, threshold: float | None = None, strong_share: float | None = None
    ) -> RouteDecision:
        """:meth:`route` for asyncio code: encodes in a worker thread, so the event loop keeps running."""
        return (await self.aroute_batch([conversation], threshold=threshold, strong_share=strong_share))[0]

    async def aroute_batch(
        self,
        conversations: Sequence[Conversation],
        *,
        threshold: float | None = None,
        strong_share: float | None = None,
    ) -> list[RouteDecision]:
        """:meth:`route_batch` in a worker thread (the encoder holds the CPU for milliseconds)."""
        return await asyncio.to_thread(self.route_batch, conversations, threshold=threshold, strong_share=strong_share)

    def _truncated(self, texts: Sequence[str]) -> np.ndarray:
        own = self.predictor.truncated(texts)  # a predictor reading the text has its own window
        if own is not None:
            return np.asarray(own, dtype=bool)
        out = np.zeros(len(texts), dtype=bool)
        max_tokens = getattr(self.embedder, "max_tokens", None)
        long = [i for i, t in enumerate(texts) if max_tokens is None or len(t) + 2 > max_tokens]
        if long:
            out[long] = self.embedder.truncated([texts[i] for i in long])
        return out

    def calibrate(self, prompts: Sequence[Conversation], strong_share: float) -> float:
        """Set the threshold so that ``strong_share`` of ``prompts`` go strong; returns it.

        Every argument is checked and the new threshold computed before the router changes:
        a failed call leaves it as it was.
        """
        prompts = check_batch(prompts, "prompts")
        share = check_share(strong_share)
        if len(prompts) == 0:
            raise InvalidConversationError("calibrate needs at least one prompt")
        reference = _reference(self.score_texts(self._texts(prompts)))
        threshold = threshold_for_share(reference, share)
        self.reference_scores, self.threshold = reference, threshold
        return threshold

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the router as a directory of JSON + safetensors (no pickle)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.predictor.save(directory / "predictor")
        save_embedder(self.embedder, directory)
        tensors = {} if self.reference_scores is None else {"reference_scores": self.reference_scores}
        tensors.update({f"sketch.{k}": v for k, v in (self.prompt_sketch or {}).items()})
        checksum = write_tensors(directory / "router.safetensors", tensors) if tensors else None
        meta = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "embedder": self.embedder.model_id,
            "features": list(FEATURE_NAMES),
            "strong": self.strong,
            "weak": self.weak,
            "predictor_models": self.predictor_models,
            "threshold": self.threshold,
            "last_k_user_turns": self.last_k_user_turns,
            "tensors_sha256": checksum,
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
        """Load a saved router, validated whole before use (docs/security.md).

        The manifest (when the artifact has one) and every checksum are verified, the JSON
        checked against its schema, tensors for shape and finiteness. An artifact naming a
        remote embedder (OpenAI) loads only with ``allow_remote=True`` or an ``embedder``
        given here; ``expected_sha256`` pins the artifact's manifest digest.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ArtifactError(f"no router artifact at {directory} (expected a directory with router.json)")
        digest = verify_manifest(directory, router_files(directory), expected_sha256=expected_sha256)
        path = directory / "router.json"
        raw = read_json(path)
        check_format_version(raw, path)
        meta = validated(RouterFile, raw, path)
        if meta.features != list(FEATURE_NAMES):
            raise ArtifactError(f"{directory}: artifact was built with other prompt features than this winroute's")
        tensors: dict[str, np.ndarray] = {}
        if meta.tensors_sha256:
            tensors = read_tensors(directory / "router.safetensors", meta.tensors_sha256)
        reference = tensors.get("reference_scores")
        sketch = {k[len("sketch.") :]: v for k, v in tensors.items() if k.startswith("sketch.")}
        predictor = Predictor.load(directory / "predictor")
        if embedder is None:
            embedder = embedder_for_artifact(meta.embedder, directory, allow_remote=allow_remote, where=str(path))
        try:
            router = cls(
                predictor,
                embedder,
                strong=meta.strong,
                weak=meta.weak,
                threshold=meta.threshold,
                reference_scores=reference,
                last_k_user_turns=meta.last_k_user_turns,
                name=meta.name,
                metadata=meta.metadata,
                predictor_models=meta.predictor_models,
                prompt_sketch=sketch or None,
            )
        except (KeyError, UnknownModelError, ValueError) as exc:
            raise ArtifactError(f"{path} is inconsistent: {exc}") from exc
        router.artifact_sha256 = digest
        return router


def _is_message_list(obj: Any) -> bool:
    return isinstance(obj, Sequence) and not isinstance(obj, str) and len(obj) > 0 and isinstance(obj[0], Mapping)


def as_conversations(conversations: Conversation | Sequence[Conversation]) -> list[Conversation]:
    """One conversation (a string or a message list) as a batch of one; a batch as a list.

    A single message dict is refused: wrap it in a list (a conversation of one message).
    """
    if isinstance(conversations, str) or _is_message_list(conversations):
        return [conversations]  # type: ignore[list-item]
    return check_batch(conversations)


def _reference(scores: Any) -> np.ndarray:
    """Sorted reference scores, refused when empty or not all finite."""
    ref = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    if ref.size == 0 or not np.isfinite(ref).all():
        raise ValueError(f"reference scores must be a non-empty array of finite numbers (got {ref.size}, some not finite)")
    return ref
