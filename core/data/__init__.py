"""winroute's data layer: canonical records, upstream-format importers, model names, decontamination.

The real data are never copied into the project: importers read the upstream files from a
directory given as an argument or by ``$WINROUTE_DATA``.
"""

from __future__ import annotations

from core.data.battles import (
    DIFFICULTY_PAIR,
    difficulty_comparisons,
    outcomes_to_comparisons,
    tier_comparisons,
    tier_name,
)
from core.data.decontaminate import DecontaminationReport, DroppedExample, decontaminate, normalize_prompt
from core.data.errors import DataFormatError, DataNotFoundError
from core.data.importers import (
    DATA_ENV_VAR,
    load_alpaca_eval,
    load_contaminated_prompts,
    load_eval_prompts,
    load_fastchat,
    load_fastchat_questions,
    load_llmrouter,
    load_llmrouter_prices,
    load_routellm_eval,
    load_routerbench,
    load_zeroeval,
    resolve_data_dir,
)
from core.data.models import ModelInfo, canonical_model, load_price_catalog, model_key, model_tiers
from core.data.records import Comparison, Outcome
from core.data.sources import (
    ALL_TRAINING_SOURCES,
    DEFAULT_TRAINING_SOURCES,
    NWAY_SOURCES,
    TrainingData,
    load_nway_source,
    load_training_sources,
)

__all__ = [
    "ALL_TRAINING_SOURCES",
    "DATA_ENV_VAR",
    "DEFAULT_TRAINING_SOURCES",
    "DIFFICULTY_PAIR",
    "NWAY_SOURCES",
    "Comparison",
    "DataFormatError",
    "DataNotFoundError",
    "DecontaminationReport",
    "DroppedExample",
    "ModelInfo",
    "Outcome",
    "TrainingData",
    "canonical_model",
    "decontaminate",
    "difficulty_comparisons",
    "load_alpaca_eval",
    "load_contaminated_prompts",
    "load_eval_prompts",
    "load_fastchat",
    "load_fastchat_questions",
    "load_llmrouter",
    "load_llmrouter_prices",
    "load_nway_source",
    "load_price_catalog",
    "load_routellm_eval",
    "load_routerbench",
    "load_training_sources",
    "load_zeroeval",
    "model_key",
    "model_tiers",
    "normalize_prompt",
    "outcomes_to_comparisons",
    "resolve_data_dir",
    "tier_comparisons",
    "tier_name",
]
