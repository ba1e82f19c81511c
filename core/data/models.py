"""Model names, the price / quality catalog and model tiers.

Every source spells models its own way (``gpt4_1106_preview``, ``gpt-4-1106-preview``,
``mistralai/Mixtral-8x7B-Instruct-v0.1``, ``mistralai/mixtral-8x7b-chat``...).
:func:`canonical_model` maps them all to one name so records from different sources
talk about the same model. Canonical names follow the ``key`` column of the LMSYS
arena-catalog price list (``prices/leaderboard_with_pricing.csv``), lower-cased.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.data.errors import DataFormatError, DataNotFoundError

__all__ = [
    "ModelInfo",
    "canonical_model",
    "load_price_catalog",
    "model_key",
    "model_tiers",
]

# Canonical spellings: the arena-catalog ``key`` column (lower-cased), plus a few names
# that catalog lacks but sources use. Any spelling with the same alphanumeric key maps here.
_CANONICAL_NAMES: tuple[str, ...] = (
    # arena-catalog keys (lmarena/arena-catalog, leaderboard_with_pricing.csv)
    "alpaca-13b",
    "athene-70b-0725",
    "baize-v2-13b",
    "bard-jan-24-gemini-pro",
    "chatglm-6b",
    "chatglm2-6b",
    "chatglm3-6b",
    "chatgpt-4o-latest",
    "chatgpt-4o-latest-20240808",
    "chatgpt-4o-latest-20240903",
    "claude-1",
    "claude-2.0",
    "claude-2.1",
    "claude-3-5-sonnet-20240620",
    "claude-3-haiku-20240307",
    "claude-3-opus-20240229",
    "claude-3-sonnet-20240229",
    "claude-instant-1",
    "codellama-34b-instruct",
    "codellama-70b-instruct",
    "cogvlm2-llama3-chat-19b",
    "command-r",
    "command-r-08-2024",
    "command-r-plus",
    "command-r-plus-08-2024",
    "dbrx-instruct-preview",
    "deepseek-coder-v2",
    "deepseek-coder-v2-0724",
    "deepseek-llm-67b-chat",
    "deepseek-v2-api-0628",
    "deepseek-v2.5",
    "dolly-v2-12b",
    "dolphin-2.2.1-mistral-7b",
    "falcon-180b-chat",
    "falcon-40b-instruct",
    "fastchat-t5-3b",
    "gemini-1.5-flash-002",
    "gemini-1.5-flash-8b-001",
    "gemini-1.5-flash-8b-exp-0827",
    "gemini-1.5-flash-api-0514",
    "gemini-1.5-flash-exp-0827",
    "gemini-1.5-pro-002",
    "gemini-1.5-pro-api-0409-preview",
    "gemini-1.5-pro-api-0514",
    "gemini-1.5-pro-exp-0801",
    "gemini-1.5-pro-exp-0827",
    "gemini-advanced-0514",
    "gemini-pro",
    "gemini-pro-dev-api",
    "gemma-1.1-2b-it",
    "gemma-1.1-7b-it",
    "gemma-2-27b-it",
    "gemma-2-2b-it",
    "gemma-2-9b-it",
    "gemma-2-9b-it-simpo",
    "gemma-2b-it",
    "gemma-7b-it",
    "glm-4-0116",
    "glm-4-0520",
    "glm-4-air",
    "gpt-3.5-turbo-0125",
    "gpt-3.5-turbo-0314",
    "gpt-3.5-turbo-0613",
    "gpt-3.5-turbo-1106",
    "gpt-4-0125-preview",
    "gpt-4-0314",
    "gpt-4-0613",
    "gpt-4-1106-preview",
    "gpt-4-turbo-2024-04-09",
    "gpt-4o-2024-05-13",
    "gpt-4o-2024-08-06",
    "gpt-4o-mini-2024-07-18",
    "gpt4all-13b-snoozy",
    "grok-2-2024-08-13",
    "grok-2-mini-2024-08-13",
    "guanaco-33b",
    "guanaco-65b",
    "h2o-oasst-openllama-13b",
    "internlm2_5-20b-chat",
    "internvl2-26b",
    "internvl2-4b",
    "jamba-1.5-large",
    "jamba-1.5-mini",
    "koala-13b",
    "llama-13b",
    "llama-2-13b-chat",
    "llama-2-70b-chat",
    "llama-2-7b-chat",
    "llama-3-70b-instruct",
    "llama-3-8b-instruct",
    "llama-3.1-405b-instruct",
    "llama-3.1-405b-instruct-bf16",
    "llama-3.1-405b-instruct-fp8",
    "llama-3.1-70b-instruct",
    "llama-3.1-8b-instruct",
    "llama-3.2-1b-instruct",
    "llama-3.2-3b-instruct",
    "llama-3.2-vision-11b-instruct",
    "llama-3.2-vision-90b-instruct",
    "llama2-70b-steerlm-chat",
    "llava-onevision-qwen2-72b-ov",
    "llava-v1.6-34b",
    "minicpm-v-2_6",
    "mistral-7b-instruct",
    "mistral-7b-instruct-v0.2",
    "mistral-large-2402",
    "mistral-large-2407",
    "mistral-medium",
    "mistral-next",
    "mixtral-8x22b-instruct-v0.1",
    "mixtral-8x7b-instruct-v0.1",
    "mpt-30b-chat",
    "mpt-30b-instruct",
    "mpt-7b-chat",
    "nemotron-4-340b-instruct",
    "nous-hermes-13b",
    "nous-hermes-2-mixtral-8x7b-dpo",
    "o1-mini",
    "o1-preview",
    "oasst-pythia-12b",
    "olmo-7b-instruct",
    "openassistant-llama-30b",
    "openchat-3.5",
    "openchat-3.5-0106",
    "openhermes-2.5-mistral-7b",
    "palm-2",
    "phi-3-medium-4k-instruct",
    "phi-3-mini-128k-instruct",
    "phi-3-mini-4k-instruct",
    "phi-3-mini-4k-instruct-june-2024",
    "phi-3-small-8k-instruct",
    "phi-3-vision-128k-instruct",
    "phi-3.5-vision-instruct",
    "pixtral-12b-2409",
    "pplx-70b-online",
    "pplx-7b-online",
    "qwen-14b-chat",
    "qwen-max-0428",
    "qwen-plus-0828",
    "qwen-vl-max-0809",
    "qwen1.5-110b-chat",
    "qwen1.5-14b-chat",
    "qwen1.5-32b-chat",
    "qwen1.5-4b-chat",
    "qwen1.5-72b-chat",
    "qwen1.5-7b-chat",
    "qwen2-72b-instruct",
    "qwen2-vl-72b",
    "qwen2-vl-7b-instruct",
    "qwen2.5-72b-instruct",
    "reka-core-20240501",
    "reka-core-20240722",
    "reka-flash-20240722",
    "reka-flash-21b-20240226",
    "reka-flash-21b-20240226-online",
    "reka-flash-preview-20240611",
    "rwkv-4-raven-14b",
    "snorkel-mistral-pairrm-dpo",
    "snowflake-arctic-instruct",
    "solar-10.7b-instruct-v1.0",
    "stablelm-tuned-alpha-7b",
    "starling-lm-7b-alpha",
    "starling-lm-7b-beta",
    "stripedhyena-nous-7b",
    "tulu-2-dpo-70b",
    "tulu-30b",
    "vicuna-13b",
    "vicuna-13b-16k",
    "vicuna-33b",
    "vicuna-7b",
    "vicuna-7b-16k",
    "wizardlm-13b",
    "wizardlm-13b-v1.0",
    "wizardlm-13b-v1.1",
    "wizardlm-30b",
    "wizardlm-70b",
    "xgen-7b-8k-inst",
    "yi-1.5-34b-chat",
    "yi-34b-chat",
    "yi-large",
    "yi-large-preview",
    "yi-vision",
    "zephyr-7b-alpha",
    "zephyr-7b-beta",
    "zephyr-orpo-141b-a35b-v0.1",
    # not in that catalog, but nicer than the source spelling
    "gpt-4",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-instruct",
)

# Same model, different name (not caught by the alphanumeric key). Evidence in brackets.
_SYNONYMS: dict[str, str] = {
    "gpt-4-turbo": "gpt-4-1106-preview",  # arena_bench_v1 gpt-4-turbo.jsonl holds gpt-4-1106-preview
    "claude": "claude-1",  # AlpacaEval `claude` = Anthropic claude-v1 (its model config)
    "claude-v1": "claude-1",  # RouterBench / Bedrock id
    "claude-v2": "claude-2.0",
    "claude-2": "claude-2.0",  # AlpacaEval claude-2 (the 2.0 release; 2.1 has its own name)
    "claude-instant-v1": "claude-instant-1",
    "mixtral-8x7b-chat": "mixtral-8x7b-instruct-v0.1",  # RouterBench / Together id
    "llama-2-70b-chat-hf": "llama-2-70b-chat",  # HF repo names
    "llama-2-13b-chat-hf": "llama-2-13b-chat",
    "llama-2-7b-chat-hf": "llama-2-7b-chat",
    "code-llama-instruct-34b-chat": "codellama-34b-instruct",  # RouterBench / Together id
    "codellama-34b-instruct-hf": "codellama-34b-instruct",
    "mistral-7b-instruct-v0.1": "mistral-7b-instruct",  # catalog row: Mistral-7B-Instruct-v0.1
    "palm-2-chat-bison-001": "palm-2",  # catalog row: PaLM-Chat-Bison-001
    "chat-bison-001": "palm-2",
    "vicuna-33b-v1.3": "vicuna-33b",  # the only Vicuna-33B release
}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _base_name(name: str) -> str:
    """Strip, drop an ``@provider`` suffix and an ``org/`` prefix, lower-case."""
    s = name.strip()
    if "@" in s:
        s = s.split("@", 1)[0].strip()
    if "/" in s:
        s = s.rsplit("/", 1)[1].strip()
    return s.lower()


def model_key(name: str) -> str:
    """Alphanumeric-only matching key of a model name (``GPT4_1106-Preview`` -> ``gpt41106preview``)."""
    return _NON_ALNUM.sub("", _base_name(name))


def _build_alias_table() -> dict[str, str]:
    """key -> canonical name; fails loudly if two canonical names share a key."""
    table: dict[str, str] = {}
    for canon in _CANONICAL_NAMES:
        k = model_key(canon)
        if k in table and table[k] != canon:
            raise AssertionError(f"canonical names {table[k]!r} and {canon!r} share key {k!r}")
        table[k] = canon
    for alias, canon in _SYNONYMS.items():
        k = model_key(alias)
        if k in table and table[k] != canon:
            raise AssertionError(f"alias {alias!r} collides with canonical name {table[k]!r}")
        table[k] = canon
    return table


_ALIAS_BY_KEY: dict[str, str] = _build_alias_table()


@lru_cache(maxsize=8192)
def canonical_model(name: str) -> str:
    """One canonical name per model, whatever the source's spelling.

    Strip, drop ``org/`` and ``@provider``, lower-case, look the alphanumeric key up in the
    alias table; names not in the table come back lower-cased with ``_`` -> ``-``.
    Deliberately *not* merged (versions may differ): ``claude-instant-1.2`` vs
    ``claude-instant-1``, ``gpt-3.5-turbo`` vs ``gpt-3.5-turbo-1106``.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"model name must be a non-empty string, got {name!r}")
    base = _base_name(name)
    canon = _ALIAS_BY_KEY.get(_NON_ALNUM.sub("", base))
    return canon if canon is not None else base.replace("_", "-")


# ---------------------------------------------------------------------------- price catalog


@dataclass(frozen=True)
class ModelInfo:
    """Catalog facts about one model; prices in USD per 1M tokens, ``None`` = unknown."""

    name: str
    mt_bench: float | None = None
    mmlu: float | None = None
    input_price: float | None = None
    output_price: float | None = None

    def cost(self, input_tokens: float, output_tokens: float) -> float | None:
        """USD for one call with the given token counts, or None if a price is unknown."""
        if self.input_price is None or self.output_price is None:
            return None
        return (input_tokens * self.input_price + output_tokens * self.output_price) / 1e6


_UNKNOWN = {"", "-", "null", "none", "n/a", "na", "nan"}
_CATALOG_FILE = "leaderboard_with_pricing.csv"
_CATALOG_COLUMNS = {
    "key": "key",
    "mt_bench": "MT-bench (score)",
    "mmlu": "MMLU",
    "input_price": "input_token_price",
    "output_price": "output_token_price",
}


def _parse_optional_float(cell: str | None, path: Path, where: str, column: str) -> float | None:
    """A float, or None for an unknown marker (``-``, empty, ``null``)."""
    if cell is None or cell.strip().lower() in _UNKNOWN:
        return None
    try:
        value = float(cell.strip().replace("$", ""))
    except ValueError:
        raise DataFormatError(path, where, f"column {column!r}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        return None
    return value


def _merge_info(old: ModelInfo, new: ModelInfo) -> ModelInfo:
    """Duplicate catalog rows: keep the first row's values, fill its gaps from the later one."""
    return ModelInfo(
        name=old.name,
        mt_bench=old.mt_bench if old.mt_bench is not None else new.mt_bench,
        mmlu=old.mmlu if old.mmlu is not None else new.mmlu,
        input_price=old.input_price if old.input_price is not None else new.input_price,
        output_price=old.output_price if old.output_price is not None else new.output_price,
    )


def load_price_catalog(path: str | Path) -> dict[str, ModelInfo]:
    """Read the arena-catalog ``leaderboard_with_pricing.csv`` (file, or its folder).

    Returns canonical name -> :class:`ModelInfo`. ``-`` cells are unknown; duplicate
    ``key`` rows (``yi-34b-chat`` appears twice) are merged, first row winning.
    """
    p = Path(path)
    if p.is_dir():
        p = p / _CATALOG_FILE
    if not p.is_file():
        raise DataNotFoundError(p, "price catalog")
    catalog: dict[str, ModelInfo] = {}
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _CATALOG_COLUMNS.values() if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(p, "line 1 (header)", f"missing column(s) {missing}")
        for row_no, row in enumerate(reader, start=1):
            where = f"line {reader.line_num} (row {row_no})"
            key = (row.get("key") or "").strip()
            if not key:
                raise DataFormatError(p, where, "empty 'key' column")
            values = {
                field: _parse_optional_float(row.get(col), p, where, col)
                for field, col in _CATALOG_COLUMNS.items()
                if field != "key"
            }
            info = ModelInfo(name=canonical_model(key), **values)
            old = catalog.get(info.name)
            catalog[info.name] = info if old is None else _merge_info(old, info)
    return catalog


# ---------------------------------------------------------------------------- tiers


def _mmlu_to_mt_bench(catalog: Mapping[str, ModelInfo]) -> tuple[float, float] | None:
    """Least-squares line mt_bench ~ a * mmlu + b over catalog models that have both."""
    pairs = [(i.mmlu, i.mt_bench) for i in catalog.values() if i.mmlu is not None and i.mt_bench is not None]
    if len(pairs) < 3:
        return None
    x, y = np.array(pairs, dtype=float).T
    a, b = np.polyfit(x, y, 1)
    return float(a), float(b)


def _quality_scores(
    catalog: Mapping[str, ModelInfo], models: Iterable[str], impute_from_mmlu: bool
) -> dict[str, float | None]:
    """MT-bench score per model (canonical name); MMLU-imputed where asked; None if unknown."""
    line = _mmlu_to_mt_bench(catalog) if impute_from_mmlu else None
    out: dict[str, float | None] = {}
    for m in models:
        info = catalog.get(canonical_model(m))
        score = info.mt_bench if info is not None else None
        if score is None and info is not None and info.mmlu is not None and line is not None:
            score = line[0] * info.mmlu + line[1]
        out[m] = score
    return out


def model_tiers(
    catalog: Mapping[str, ModelInfo],
    models: Iterable[str],
    n_tiers: int = 5,
    *,
    default_tier: int | None = None,
    impute_from_mmlu: bool = True,
) -> dict[str, int]:
    """Group models into ``n_tiers`` quality tiers by MT-bench score; tier 0 = strongest.

    RouteLLM grouped arena models into tiers by Elo rating to pool their battles; here the
    scored models are ranked and cut into equal-size groups (tied scores share a tier).
    A model with no MT-bench score but an MMLU score gets one from a linear MMLU -> MT-bench
    fit over the catalog (``impute_from_mmlu``). Models with neither (or not in the
    catalog) get ``default_tier``; by default the middle tier ``n_tiers // 2``, i.e. "assume
    average" rather than guessing strong or weak. Keys are the names as given.
    """
    if n_tiers < 1:
        raise ValueError(f"n_tiers must be >= 1, got {n_tiers}")
    default = n_tiers // 2 if default_tier is None else default_tier
    if not 0 <= default < n_tiers:
        raise ValueError(f"default_tier must be in [0, {n_tiers}), got {default_tier}")
    names = list(dict.fromkeys(models))
    scores = _quality_scores(catalog, names, impute_from_mmlu)
    scored = sorted((s for s in scores.values() if s is not None), reverse=True)
    tiers: dict[str, int] = {}
    for m in names:
        s = scores[m]
        if s is None:
            tiers[m] = default
        else:
            rank = scored.index(s)  # first position of this score: ties share a tier
            tiers[m] = min(n_tiers - 1, rank * n_tiers // len(scored))
    return tiers
