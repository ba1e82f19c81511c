"""Conformance checks for every predictor in the registry, as scikit-learn's ``parametrize_with_checks``.

Every kind in ``core.predictors.PREDICTORS`` (win predictors) and ``QUALITY_PREDICTORS`` (N-way
quality predictors) must have an entry in ``WIN_FACTORIES`` / ``QUALITY_FACTORIES`` below, so a
new predictor fails here until it is given small settings, and then gets every check: constructor
parameters read back by ``get_params`` (and JSON-serialisable, as artifacts store them), refusal of
unfitted use with ``NotFittedError``, ``fit`` returning the predictor, predictions of the right shape
inside [0, 1], ``UnknownModelError`` for a model it never saw, and a save/load round trip that
predicts the same.

The data are synthetic battles on 48 templated prompts embedded by the tests' tiny deterministic
embedder (no shared data). tests/unit/core/test_predictor_conformance.py runs the checks on every kind
but BERT and the causal LM, which read the prompt text with their real local models (installed
packages, offline) and so run in tests/integration/core/test_predictor_conformance_text.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.data.records import Comparison, Outcome
from core.errors import NotFittedError, UnknownModelError
from core.training import outcome_data
from core.predictors import (
    PREDICTORS,
    QUALITY_PREDICTORS,
    AdaptedPredictor,
    BertPredictor,
    CausalLMPredictor,
    KNNQualityPredictor,
    MFPredictor,
    MLPQualityPredictor,
    OutcomeData,
    PairwiseData,
    Predictor,
    QualityPredictor,
    RandomPredictor,
    RidgePredictor,
    SWRankingPredictor,
)
from core.training import pairwise_data

STRONG, MID, WEAK = "model-strong", "model-mid", "model-weak"
MODELS = (STRONG, MID, WEAK)


def _prompts() -> list[tuple[str, bool]]:
    """48 distinct prompts, half 'hard' (maths, proofs), half 'easy' (greetings, small talk)."""
    rng = random.Random(0)
    hard = ["prove that the sum of {a} and {b} odd numbers is even", "solve {a} x + {b} = 0 step by step",
            "integrate x^{a} from 0 to {b} and show your reasoning", "how many primes lie below {a}{b}?"]
    easy = ["hi there, how are you {a}?", "thanks a lot, see you at {b}", "good morning friend number {a}",
            "what a nice day, {b} cheers"]
    out = []
    for templates, is_hard in ((hard, True), (easy, False)):
        for i in range(24):
            out.append((templates[i % 4].format(a=rng.randint(2, 99), b=i), is_hard))
    return out


def _comparisons() -> list[Comparison]:
    """Seeded battles: the stronger model wins hard prompts, the weaker one holds its own on easy ones."""
    rng = random.Random(1)
    comps = []
    for prompt, hard in _prompts():
        for a, b in ((STRONG, WEAK), (STRONG, MID), (MID, WEAK)):
            p_a = 0.85 if hard else 0.45
            comps.append(Comparison(prompt, a, b, float(rng.random() < p_a), source="synthetic"))
    return comps


@pytest.fixture(scope="module")
def battles(tiny_embedder) -> PairwiseData:  # noqa: ANN001
    """Battles among the three models."""
    return pairwise_data(_comparisons(), tiny_embedder)


@pytest.fixture(scope="module")
def pair_battles(tiny_embedder) -> PairwiseData:  # noqa: ANN001
    """The strong-vs-weak battles only (for predictors that learn one pair)."""
    return pairwise_data([c for c in _comparisons() if {c.model_a, c.model_b} == {STRONG, WEAK}], tiny_embedder)


@pytest.fixture(scope="module")
def outcomes(tiny_embedder) -> OutcomeData:  # noqa: ANN001
    """Seeded 0/1 scores of three models on the same prompts (the strong one right more often on hard ones)."""
    rng = random.Random(2)
    skill = {STRONG: (0.9, 0.9), MID: (0.6, 0.85), WEAK: (0.2, 0.8)}  # P(right) on (hard, easy) prompts
    rows = [
        Outcome(prompt, model, float(rng.random() < skill[model][0 if hard else 1]), source="synthetic")
        for prompt, hard in _prompts()
        for model in MODELS
    ]
    return outcome_data(rows, tiny_embedder, list(MODELS))


# -- the registry, with small settings -----------------------------------------------------------
#: Win predictors: kind -> a factory of an unfitted predictor (given the battles, for those built on a base).
WIN_FACTORIES: dict[str, Callable[[PairwiseData], Predictor]] = {
    "random": lambda data: RandomPredictor(seed=3),
    "sw_ranking": lambda data: SWRankingPredictor(newton_steps=10),
    "mf": lambda data: MFPredictor(dim=8, epochs=2, batch_size=32, show_progress=False),
    "ridge": lambda data: RidgePredictor(alpha=1.0, use_features=True),
    "adapted": lambda data: AdaptedPredictor(strong=STRONG, weak=WEAK, k=5).with_base(
        SWRankingPredictor(newton_steps=5).fit(data)
    ),
    "bert": lambda data: BertPredictor(epochs=1, batch_size=16, max_length=32, validation_fraction=0.0,
                                       show_progress=False),
    "causal_llm": lambda data: CausalLMPredictor(max_length=32, steps=20, batch_size=16, validation_fraction=0.0,
                                                 show_progress=False),
}
#: Kinds that load a real local model: checked by the integration tests.
REAL_MODEL_KINDS = ("bert", "causal_llm")
#: Kinds that learn one model pair (refusing battles among more): fitted on the strong-vs-weak battles.
ONE_PAIR_KINDS = {"ridge"}

QUALITY_FACTORIES: dict[str, Callable[[], QualityPredictor]] = {
    "knn_quality": lambda: KNNQualityPredictor(k=5),
    "mlp_quality": lambda: MLPQualityPredictor(hidden=8, epochs=3),
}


def _check_params(predictor: Predictor | QualityPredictor) -> None:
    params = predictor.get_params()
    assert json.loads(json.dumps(params)) == params, "get_params must be JSON-serialisable (artifacts store it)"
    clone = type(predictor)(**params)
    assert clone.get_params() == params, "constructor arguments must read back unchanged"


# -- win predictors ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(battles: PairwiseData, pair_battles: PairwiseData) -> Callable[[str], Predictor]:
    """Fits each kind once per module (the checks below share it)."""
    cache: dict[str, Predictor] = {}

    def get(kind: str) -> Predictor:
        if kind not in cache:
            data = pair_battles if kind in ONE_PAIR_KINDS else battles
            predictor = WIN_FACTORIES[kind](data)
            assert predictor.fit(data) is predictor, "fit must return the predictor itself"
            assert set(predictor.models_) == set(data.models)
            cache[kind] = predictor
        return cache[kind]

    return get


def _pairs(predictor: Predictor) -> list[tuple[str, str]]:
    """Model pairs to predict: strong vs weak both ways, and one with the middle model where it is known."""
    return [(STRONG, WEAK), (WEAK, STRONG)] + ([(MID, STRONG)] if MID in predictor.models_ else [])


def check_params_and_unfitted_use(kind: str, battles: PairwiseData, tmp_path: Path) -> None:
    """Constructor parameters read back; predict and save refuse an unfitted predictor."""
    predictor = WIN_FACTORIES[kind](battles)
    assert type(predictor) is PREDICTORS[kind] and predictor.kind == kind
    _check_params(predictor)
    with pytest.raises(NotFittedError):
        predictor.predict(battles.queries, STRONG, WEAK)
    with pytest.raises(NotFittedError):
        predictor.save(tmp_path / "unfitted")
    assert not (tmp_path / "unfitted" / "predictor.json").exists()


def check_predicts_probabilities(kind: str, fitted, battles: PairwiseData) -> None:  # noqa: ANN001
    """Probabilities of the right shape for each known pair; an unknown model is named in the error."""
    predictor = fitted(kind)
    _check_params(predictor)  # fitting does not rewrite constructor arguments
    queries = battles.queries.subset(np.arange(20))
    for pair in _pairs(predictor):
        p = predictor.predict(queries, *pair)
        assert p.shape == (20,) and np.issubdtype(p.dtype, np.floating)
        assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    with pytest.raises(UnknownModelError, match="no-such-model"):
        predictor.predict(queries, "no-such-model", WEAK)


def check_save_load_round_trip(kind: str, fitted, battles: PairwiseData, tmp_path: Path) -> None:  # noqa: ANN001
    """Saved and loaded (by the generic loader and the kind's own), it predicts the same."""
    predictor = fitted(kind)
    queries = battles.queries.subset(np.arange(20))
    predictor.save(tmp_path / kind)
    for loader in (Predictor, PREDICTORS[kind]):  # the generic loader and the kind's own
        again = loader.load(tmp_path / kind)
        assert type(again) is type(predictor) and again.get_params() == predictor.get_params()
        assert again.models_ == predictor.models_
        for pair in _pairs(predictor):
            np.testing.assert_allclose(again.predict(queries, *pair), predictor.predict(queries, *pair), rtol=1e-6,
                                       atol=1e-7)


# -- quality predictors (N-way) ------------------------------------------------------------------
def check_quality_predictor(kind: str, outcomes: OutcomeData, tmp_path: Path) -> None:
    """Every check above, for an N-way quality predictor."""
    predictor = QUALITY_FACTORIES[kind]()
    assert type(predictor) is QUALITY_PREDICTORS[kind] and predictor.kind == kind
    _check_params(predictor)
    with pytest.raises(NotFittedError):
        predictor.predict(outcomes.queries)
    with pytest.raises(NotFittedError):
        predictor.save(tmp_path / "unfitted")

    assert predictor.fit(outcomes) is predictor
    _check_params(predictor)
    q = predictor.predict(outcomes.queries)
    assert q.shape == (len(outcomes), len(MODELS)) and np.all(np.isfinite(q)) and np.all((q >= 0) & (q <= 1))
    np.testing.assert_array_equal(predictor.predict(outcomes.queries, [WEAK, STRONG]), q[:, [2, 0]])
    with pytest.raises(UnknownModelError, match="no-such-model"):
        predictor.predict(outcomes.queries, ["no-such-model"])

    predictor.save(tmp_path / kind)
    for loader in (QualityPredictor, QUALITY_PREDICTORS[kind]):
        again = loader.load(tmp_path / kind)
        assert type(again) is type(predictor) and again.get_params() == predictor.get_params()
        assert again.models_ == predictor.models_
        np.testing.assert_allclose(again.predict(outcomes.queries), q, rtol=1e-6, atol=1e-7)
