"""Adapting a router to the user's own traffic with few labels: inspect -> select -> label -> adapt.

* :func:`inspect_prompts`: how far the user's prompts are from the router's training prompts
  (benchmark-dataset similarity against the artifact's training-prompt sketch) and how many to label;
* :func:`select_prompts`: which prompts to label next (uncertain and diverse);
* :func:`adapt_router`: a new Router with in-domain corrections fitted on the labels;
* :func:`label_efficiency`: cross-fitted APGR vs number of labels, active vs random.
"""

from __future__ import annotations

from ..prompt_sketch import DEFAULT_SKETCH_SIZE, MissingSketchError, PromptSketch, build_sketch
from .adapt import adapt_router, refit_base_predictor
from .curves import ACTIVE, BUDGETS, RANDOM, CurvePoint, LabelEfficiency, label_efficiency
from .errors import AdaptationError
from .inspection import CLOSE_COSINE, DomainReport, inspect_prompts, recommend_labels
from .labels import label_battles, load_comparisons
from .selection import Selection, log_length, select_indices, select_prompts, threshold_quantile, uncertainty
from .sketch import add_sketch_from_recipe

__all__ = [
    "ACTIVE",
    "BUDGETS",
    "CLOSE_COSINE",
    "DEFAULT_SKETCH_SIZE",
    "RANDOM",
    "AdaptationError",
    "CurvePoint",
    "DomainReport",
    "LabelEfficiency",
    "MissingSketchError",
    "PromptSketch",
    "Selection",
    "adapt_router",
    "add_sketch_from_recipe",
    "build_sketch",
    "inspect_prompts",
    "label_battles",
    "label_efficiency",
    "load_comparisons",
    "log_length",
    "recommend_labels",
    "refit_base_predictor",
    "select_indices",
    "select_prompts",
    "threshold_quantile",
    "uncertainty",
]
