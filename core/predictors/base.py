"""The small interface every predictor implements, and the data it is fitted on."""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ArtifactError, NotFittedError, UnknownModelError


@dataclass
class Queries:
    """Encoded prompts: normalised embeddings plus cheap text features (one row each)."""

    embeddings: np.ndarray
    features: np.ndarray
    texts: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if len(self.embeddings) != len(self.features):
            raise ValueError(f"Queries: {len(self.embeddings)} embeddings but {len(self.features)} feature rows")

    def __len__(self) -> int:
        return len(self.embeddings)

    def subset(self, index: np.ndarray) -> Queries:
        texts = [self.texts[i] for i in index] if self.texts is not None else None
        return Queries(self.embeddings[index], self.features[index], texts)


@dataclass
class PairwiseData:
    """Battles over unique prompts: ``prompt[i]`` indexes ``queries``; ``outcome`` = P(a wins)."""

    queries: Queries
    models: list[str]
    prompt: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    weight: np.ndarray
    source: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def __len__(self) -> int:
        return len(self.outcome)


def constructor_params(obj: Any) -> dict[str, Any]:
    """The object's constructor arguments, read back from the attributes of the same names."""
    names = [n for n in inspect.signature(type(obj).__init__).parameters if n != "self"]
    return {n: getattr(obj, n) for n in names}


def expect_shape(tensors: dict[str, np.ndarray], name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """``tensors[name]``, refused (ValueError naming it) unless it has ``shape`` (None: any length)."""
    if name not in tensors:
        raise ValueError(f"tensor {name!r} is missing")
    array = tensors[name]
    if array.ndim != len(shape) or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        want_text = "(" + ", ".join("*" if w is None else str(w) for w in shape) + ")"
        raise ValueError(f"tensor {name!r} has shape {tuple(array.shape)}, expected {want_text}")
    return array


class PersistentPredictor:
    """Saving and loading shared by every predictor family: ``predictor.json`` (kind, constructor
    parameters, models, the family's own fields, tensor checksum) + ``predictor.safetensors``.

    A family says which registry its kinds live in and which schema its JSON follows, and
    how its learned state becomes tensors and JSON fields (:meth:`_saved_state`) and back
    (:meth:`_restore`).
    """

    kind: ClassVar[str]
    #: how errors name this family ("predictor", "quality predictor")
    family: ClassVar[str] = "predictor"

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable), as scikit-learn reads them."""
        return constructor_params(self)

    def _check_fitted(self) -> None:
        """Raise NotFittedError unless fitted (each family knows what that means)."""
        raise NotImplementedError

    @classmethod
    def _registry(cls) -> Mapping[str, type[PersistentPredictor]]:
        """Kind -> class of this family (read at load time: the registry imports the families)."""
        raise NotImplementedError

    @classmethod
    def _schema(cls) -> type[Any]:
        """The pydantic schema of this family's ``predictor.json``."""
        raise NotImplementedError

    def _saved_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The learned state: tensors, and the JSON fields of ``predictor.json`` beside kind and params
        (``models``, and the family's own)."""
        raise NotImplementedError

    def _restore(self, tensors: dict[str, np.ndarray], meta: Any) -> None:
        """Set the learned state from saved tensors and the validated ``predictor.json``."""
        raise NotImplementedError

    def save(self, directory: str | Path) -> None:
        """Write ``predictor.json`` + ``predictor.safetensors`` into ``directory``."""
        from ..artifacts import write_tensors

        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors, fields = self._saved_state()
        checksum = write_tensors(directory / "predictor.safetensors", tensors)
        meta = {"kind": self.kind, "params": self.get_params(), **fields, "tensors_sha256": checksum}
        (directory / "predictor.json").write_text(json.dumps(meta, indent=2, sort_keys=True))

    @classmethod
    def load(cls, directory: str | Path) -> Any:
        """Load whichever kind of this family ``directory`` holds (schema, checksum, finite tensors, shapes)."""
        from ..artifact_schema import validated
        from ..artifacts import read_json, read_tensors

        directory = Path(directory)
        path = directory / "predictor.json"
        raw = read_json(path)
        registry = cls._registry()
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in registry:
            raise ArtifactError(f"{path} names unknown {cls.family} kind {kind!r:.60}")
        meta = validated(cls._schema(), raw, path)
        if "kind" in vars(cls) and registry[kind] is not cls:  # a concrete class loads its own kind only
            raise ArtifactError(f"{directory} holds a {kind!r} {cls.family}, not {cls.kind!r}")
        tensors = read_tensors(directory / "predictor.safetensors", meta.tensors_sha256)
        try:
            predictor = registry[kind](**meta.params)
            predictor._restore(tensors, meta)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ArtifactError(f"{directory}: {cls.family} state is incomplete or inconsistent: {exc}") from exc
        return predictor


class Predictor(PersistentPredictor, ABC):
    """Predicts P(strong beats weak) per query. Fit from battles; save to a directory.

    Constructors take plain hyper-parameters and do no work (as scikit-learn's).
    """

    kind: ClassVar[str]
    #: False for predictors that read the prompt text themselves: the Router then skips the embedder.
    uses_embeddings: ClassVar[bool] = True
    #: False for predictors that need more than battles to fit (e.g. a base router): not trained on the fly.
    trains_from_battles: ClassVar[bool] = True
    #: Calibration scores come from at most this many training prompts (for predictors costly to run).
    max_reference_prompts: ClassVar[int | None] = None
    models_: list[str]

    @abstractmethod
    def fit(self, data: PairwiseData) -> Predictor:
        """Learn from battles; returns self."""

    @abstractmethod
    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        """P(``strong`` beats ``weak``) per query, in [0, 1]."""

    @abstractmethod
    def _state_tensors(self) -> dict[str, np.ndarray]:
        """Learned arrays to save."""

    @abstractmethod
    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore from saved arrays and JSON meta."""

    def _state_meta(self) -> dict[str, Any]:
        """Learned JSON-serialisable state beyond the tensors."""
        return {}

    def truncated(self, texts: Sequence[str]) -> np.ndarray | None:
        """Which texts this predictor cuts to fit its window; None when it reads embeddings, not text."""
        return None

    def refit_params(self, directory: Path) -> dict[str, Any]:
        """Parameter overrides for refitting this saved predictor on more battles (in-domain protocol).

        ``{}``: refit from scratch with the recipe's parameters. A predictor that is costly
        to train may continue from its saved state instead (``directory``).
        """
        return {}

    # -- helpers shared by all predictors -------------------------------------------------
    def _check_fitted(self) -> None:
        if not getattr(self, "models_", None):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit() or load it")

    def model_index(self, name: str) -> int:
        self._check_fitted()
        try:
            return self.models_.index(name)
        except ValueError:
            raise UnknownModelError(
                f"model {name!r} is unknown to this {self.kind} predictor; it knows: {', '.join(self.models_)}"
            ) from None

    # -- persistence (PersistentPredictor) -----------------------------------------------
    @classmethod
    def _registry(cls) -> Mapping[str, type[PersistentPredictor]]:
        from . import PREDICTORS

        return PREDICTORS

    @classmethod
    def _schema(cls) -> type[Any]:
        from ..artifact_schema import PredictorFile

        return PredictorFile

    def _saved_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return self._state_tensors(), {"models": self.models_, "state": self._state_meta()}

    def _restore(self, tensors: dict[str, np.ndarray], meta: Any) -> None:
        self.models_ = list(meta.models)
        self._set_state(tensors, dict(meta.state))
