"""Per-model $/1M-token prices and the running cost of a labeling run (unknown stays unknown)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..data.models import ModelInfo, canonical_model, load_price_catalog

__all__ = ["CostMeter", "Price", "PriceTable", "format_usd", "parse_price_spec"]


@dataclass(frozen=True)
class Price:
    """USD per 1M input and per 1M output tokens."""

    input_per_m: float
    output_per_m: float

    def __post_init__(self) -> None:
        if self.input_per_m < 0 or self.output_per_m < 0:
            raise ValueError(f"prices must be >= 0, got {self.input_per_m}, {self.output_per_m}")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """USD for one call."""
        return (input_tokens * self.input_per_m + output_tokens * self.output_per_m) / 1e6


def parse_price_spec(spec: str) -> tuple[str, Price]:
    """``MODEL=IN,OUT`` (USD per 1M input / output tokens) -> (model, Price)."""
    model, sep, values = spec.rpartition("=")
    parts = values.split(",")
    if not sep or not model.strip() or len(parts) != 2:
        raise ValueError(f"bad price {spec!r}: expected MODEL=IN,OUT in USD per 1M tokens, e.g. gpt-4o=2.5,10")
    try:
        price = Price(float(parts[0]), float(parts[1]))
    except ValueError as exc:
        raise ValueError(f"bad price {spec!r}: {exc}") from None
    return model.strip(), price


class PriceTable:
    """Prices given by the user first, then the arena price catalog (if one is available)."""

    def __init__(
        self, prices: Mapping[str, Price] | None = None, catalog: Mapping[str, ModelInfo] | None = None
    ) -> None:
        self._user = dict(prices or {})
        self._user_canon = {canonical_model(m): p for m, p in self._user.items()}
        self._catalog = dict(catalog or {})

    @classmethod
    def from_environment(
        cls, prices: Mapping[str, Price] | None = None, data_dir: str | Path | None = None
    ) -> PriceTable:
        """User prices plus ``<data_dir or $WINROUTE_DATA>/prices/leaderboard_with_pricing.csv`` when present."""
        root = data_dir if data_dir is not None else os.environ.get("WINROUTE_DATA", "").strip() or None
        catalog: dict[str, ModelInfo] = {}
        if root is not None:
            path = Path(root).expanduser() / "prices" / "leaderboard_with_pricing.csv"
            if path.is_file():
                catalog = load_price_catalog(path)
        return cls(prices, catalog)

    def price(self, model: str) -> Price | None:
        """The model's price, or None when nobody knows it."""
        if model in self._user:
            return self._user[model]
        canon = canonical_model(model)
        if canon in self._user_canon:
            return self._user_canon[canon]
        info = self._catalog.get(canon)
        if info is None or info.input_price is None or info.output_price is None:
            return None
        return Price(info.input_price, info.output_price)

    def cost(self, model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """USD for one call, or None if the price or the token usage is unknown."""
        price = self.price(model)
        if price is None or input_tokens is None or output_tokens is None:
            return None
        return price.cost(input_tokens, output_tokens)


def format_usd(value: float) -> str:
    """``$0.0123``: four significant decimals for small sums."""
    return f"${value:.4f}" if value < 100 else f"${value:,.2f}"


@dataclass
class _Tally:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    unknown: int = 0  # calls whose cost is unknown (no price, or no usage reported)


@dataclass
class CostMeter:
    """Running cost: new (paid now) and cached (paid before) calls, per model."""

    prices: PriceTable = field(default_factory=PriceTable)
    new: dict[str, _Tally] = field(default_factory=dict)
    cached: dict[str, _Tally] = field(default_factory=dict)

    def add(self, model: str, input_tokens: int | None, output_tokens: int | None, *, fresh: bool) -> float | None:
        """Count one call; returns its cost (None if unknown)."""
        tally = (self.new if fresh else self.cached).setdefault(model, _Tally())
        tally.calls += 1
        tally.input_tokens += input_tokens or 0
        tally.output_tokens += output_tokens or 0
        cost = self.prices.cost(model, input_tokens, output_tokens)
        if cost is None:
            tally.unknown += 1
        else:
            tally.usd += cost
        return cost

    @staticmethod
    def _describe(tallies: Iterable[_Tally]) -> str:
        items = list(tallies)
        known = sum(t.usd for t in items)
        unknown = sum(t.unknown for t in items)
        if not items or all(t.calls == 0 for t in items):
            return format_usd(0.0)
        if unknown == sum(t.calls for t in items):
            return "unknown"
        return format_usd(known) + (" + unknown" if unknown else "")

    def spent(self) -> str:
        """Cost of this run's new requests, e.g. ``$0.0123`` or ``$0.0123 + unknown``."""
        return self._describe(self.new.values())

    def reused(self) -> str:
        """What the cached replies cost when they were first bought."""
        return self._describe(self.cached.values())

    def unpriced_models(self) -> list[str]:
        """Models whose calls had no known cost."""
        names = {m for d in (self.new, self.cached) for m, t in d.items() if t.unknown}
        return sorted(names)

    def lines(self) -> list[str]:
        """Summary lines: per-model calls, tokens and cost, then totals."""
        out = []
        for model in sorted(set(self.new) | set(self.cached)):
            t_new = self.new.get(model, _Tally())
            t_old = self.cached.get(model, _Tally())
            out.append(
                f"  {model}: {t_new.calls} new call(s), {t_old.calls} from cache; "
                f"{t_new.input_tokens} in / {t_new.output_tokens} out tokens new; "
                f"cost {self._describe([t_new]) if t_new.calls else format_usd(0.0)}"
            )
        out.append(f"cost this run: {self.spent()} (reused from cache: {self.reused()})")
        missing = self.unpriced_models()
        if missing:
            out.append(
                "cost unknown for " + ", ".join(missing) + " (no price or no token usage: pass --price MODEL=IN,OUT)"
            )
        return out
