"""Schemas of an artifact's JSON files (pydantic, strict): a wrong type is an ArtifactError naming
the file and the field, raised at load, never a crash deep inside the first route."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ArtifactError

Name = Field(min_length=1, max_length=512)


def _distinct(models: list[str]) -> list[str]:
    if len(set(models)) != len(models) or not all(models):
        raise ValueError("model names must be distinct and non-empty")
    return models


ModelNames = Annotated[list[str], Field(min_length=1), AfterValidator(_distinct)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class RouterFile(_Strict):
    """``router.json`` of a two-model router."""

    format_version: Literal[1]
    name: str = Field(default="winroute", max_length=512)
    embedder: str = Name
    features: list[str]
    strong: str = Name
    weak: str = Name
    predictor_models: dict[str, str] = Field(default_factory=dict)
    threshold: float = Field(ge=0.0, le=1.0)
    last_k_user_turns: int = Field(default=1, ge=1, le=10_000)
    tensors_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("weak")
    @classmethod
    def _two_models(cls, weak: str, info: Any) -> str:
        if weak == info.data.get("strong"):
            raise ValueError(f"strong and weak are the same model {weak!r}: every score would be 0.5")
        return weak


class NWayRouterFile(_Strict):
    """``router.json`` of an N-way router."""

    format_version: Literal[1]
    kind: Literal["nway"]
    name: str = Field(default="winroute-nway", max_length=512)
    embedder: str = Name
    features: list[str]
    models: list[dict[str, Any]] = Field(min_length=1)
    cost_weight: float = Field(default=0.0, ge=0.0)
    min_quality: float | None = Field(default=None, ge=0.0, le=1.0)
    last_k_user_turns: int = Field(default=1, ge=1, le=10_000)
    tensors_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    metadata: dict[str, Any] = Field(default_factory=dict)


class PredictorFile(_Strict):
    """``predictor.json``: which predictor, its constructor parameters, the models it knows."""

    kind: str = Name
    params: dict[str, Any] = Field(default_factory=dict)
    models: ModelNames
    state: dict[str, Any] = Field(default_factory=dict)
    tensors_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class QualityPredictorFile(_Strict):
    """``predictor.json`` of an N-way router's quality predictor (one regressor per model)."""

    kind: str = Name
    params: dict[str, Any] = Field(default_factory=dict)
    models: ModelNames
    shared: dict[str, str] = Field(default_factory=dict)
    tensors_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ManifestFile(_Strict):
    """``manifest.json``: the sha256 of every file of the artifact, and their digest."""

    format_version: Literal[1]
    files: dict[str, str] = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


M = TypeVar("M", bound=BaseModel)


def validated(schema: type[M], data: dict[str, Any], path: Path) -> M:
    """``data`` checked against ``schema``; the first problems, each with its field, in an ArtifactError."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']} (got {_short(err.get('input'))})"
            for err in exc.errors()[:5]
        )
        raise ArtifactError(f"{path} is not a valid {schema.__name__}: {problems}") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
