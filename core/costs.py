"""What a call to each model costs: model declarations with prices, and per-call cost estimates.

A call's expected cost is, in order of preference: the model's measured mean cost per call
(``cost_per_call``, e.g. RouterBench's ``total_cost``), or its token prices times the
prompt's token count and the model's expected output tokens.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .data.models import canonical_model
from .errors import UnknownModelError

DEFAULT_OUTPUT_TOKENS = 256.0


def _check_price(name: str, field: str, value: float | None) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"model {name!r}: {field} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"model {name!r}: {field} must be a finite number >= 0, got {value!r}")
    return value


@dataclass(frozen=True)
class ModelSpec:
    """A model the router may choose: its name, prices and limits.

    Prices are USD per 1M tokens. Give either both token prices or ``cost_per_call``
    (USD); ``output_tokens`` is the expected answer length used with the output price.
    """

    name: str
    input_price: float | None = None
    output_price: float | None = None
    output_tokens: float = DEFAULT_OUTPUT_TOKENS
    cost_per_call: float | None = None
    context_window: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"a model spec needs a non-empty name, got {self.name!r}")
        for field in ("input_price", "output_price", "cost_per_call", "output_tokens"):
            object.__setattr__(self, field, _check_price(self.name, field, getattr(self, field)))
        if self.cost_per_call is None and (self.input_price is None or self.output_price is None):
            raise ValueError(
                f"model {self.name!r} has no price: give input_price and output_price (USD per 1M tokens) "
                "or cost_per_call (USD)"
            )
        if self.context_window is not None and int(self.context_window) < 1:
            raise ValueError(f"model {self.name!r}: context_window must be a positive number of tokens")

    def cost(self, input_tokens: np.ndarray | float) -> np.ndarray:
        """Expected USD per call for prompts of ``input_tokens`` tokens."""
        tokens = np.asarray(input_tokens, dtype=np.float64)
        if self.cost_per_call is not None:
            return np.full(tokens.shape, self.cost_per_call)
        assert self.input_price is not None and self.output_price is not None
        return (tokens * self.input_price + self.output_tokens * self.output_price) / 1e6

    def fits(self, input_tokens: np.ndarray) -> np.ndarray:
        """Whether prompts of ``input_tokens`` (plus the expected answer) fit the context window."""
        tokens = np.asarray(input_tokens, dtype=np.float64)
        if self.context_window is None:
            return np.ones(tokens.shape, dtype=bool)
        return tokens + self.output_tokens <= self.context_window

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"model spec {data.get('name')!r}: unknown field(s) {unknown}")
        return cls(**dict(data))


def specs_by_name(specs: Iterable[ModelSpec] | Mapping[str, ModelSpec]) -> dict[str, ModelSpec]:
    """Index specs by name, refusing duplicates and mismatched keys."""
    if isinstance(specs, Mapping):
        for key, spec in specs.items():
            if key != spec.name:
                raise ValueError(f"spec under key {key!r} is named {spec.name!r}")
        items = list(specs.values())
    else:
        items = list(specs)
    out: dict[str, ModelSpec] = {}
    for spec in items:
        if not isinstance(spec, ModelSpec):
            raise TypeError(f"expected ModelSpec, got {type(spec).__name__}")
        if spec.name in out:
            raise ValueError(f"model {spec.name!r} is declared twice")
        out[spec.name] = spec
    if not out:
        raise ValueError("no models declared")
    return out


def spec_for(specs: Mapping[str, ModelSpec], name: str) -> ModelSpec:
    try:
        return specs[name]
    except KeyError:
        raise UnknownModelError(f"unknown model {name!r}; declared models: {', '.join(specs)}") from None


def estimate_tokens(texts: Sequence[str], embedder: Any = None) -> np.ndarray:
    """Prompt token counts: the embedder's tokenizer when it has one, else ~4 characters a token."""
    counter = getattr(embedder, "token_counts", None)
    if counter is not None:
        return np.asarray(counter(list(texts)), dtype=np.float64)
    return np.array([max(1.0, len(t) / 4.0) for t in texts])


def cost_matrix(specs: Sequence[ModelSpec], input_tokens: np.ndarray) -> np.ndarray:
    """Expected USD per call, shape (prompts, models)."""
    return np.stack([s.cost(input_tokens) for s in specs], axis=1) if specs else np.zeros((len(input_tokens), 0))


def specs_from_costs(models: Sequence[str], costs: np.ndarray, **overrides: Any) -> list[ModelSpec]:
    """Specs whose ``cost_per_call`` is each model's mean measured cost (``costs``: prompts x models)."""
    out = []
    for j, name in enumerate(models):
        column = np.asarray(costs[:, j], dtype=np.float64)
        column = column[np.isfinite(column)]
        if column.size == 0:
            raise ValueError(f"model {name!r} has no measured costs")
        out.append(ModelSpec(name, cost_per_call=float(column.mean()), **overrides))
    return out


def specs_from_prices(
    models: Sequence[str], prices: Mapping[str, Any], *, output_tokens: float = DEFAULT_OUTPUT_TOKENS
) -> list[ModelSpec]:
    """Specs from token prices in USD per 1M tokens: ``name -> (input, output)`` (LLMRouter's
    ``default_llm.json``) or ``name -> ModelInfo`` (the arena price catalog, ``load_price_catalog``).

    Names are matched through the model-name crosswalk; a model without both prices is an error.
    """
    table = {
        canonical_model(k): (v.input_price, v.output_price) if hasattr(v, "input_price") else tuple(v)
        for k, v in prices.items()
    }
    out = []
    for m in models:
        price = table.get(canonical_model(m))
        if price is None or price[0] is None or price[1] is None:
            raise ValueError(
                f"no input and output price for model {m!r}; priced: {', '.join(sorted(k for k, v in table.items() if None not in v))}"
            )
        out.append(ModelSpec(m, input_price=price[0], output_price=price[1], output_tokens=output_tokens))
    return out
