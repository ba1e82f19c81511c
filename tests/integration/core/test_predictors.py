"""Predictors on a real subset (arena_bench_v1 battles): what each one learns, and refused artifacts.

The checks every registered predictor must pass (parameters, shapes, unfitted use, save/load) are in
test_predictor_conformance.py, run over the whole registry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core import MFPredictor, Predictor, RandomPredictor, SWRankingPredictor
from core.errors import ArtifactError

STRONG, WEAK = "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1"


def test_mf_loss_goes_down_and_learns_the_strong_model(arena_data) -> None:  # noqa: ANN001
    mf = MFPredictor(epochs=4, show_progress=False).fit(arena_data)
    assert mf.loss_history_[-1] < mf.loss_history_[0]
    # gpt-4-1106-preview scores 8.9 on average here, Mixtral 6.5: it should be predicted to win mostly
    assert mf.predict(arena_data.queries, STRONG, WEAK).mean() > 0.5


def test_mf_contrast_features_are_relative_to_the_nearest_training_prompts(arena_data, tmp_path: Path) -> None:  # noqa: ANN001
    from core.predictors import Queries

    mf = MFPredictor(epochs=2, embedding_scale=0.0, contrast_neighbours=5, show_progress=False).fit(arena_data)
    n = len(arena_data.queries)
    assert mf.contrast_embeddings_.dtype == np.int8 and mf.contrast_embeddings_.shape == (n, 384)
    queries = arena_data.queries.subset(np.arange(10))
    emb = np.asarray(queries.embeddings, dtype=np.float32)
    feats = (np.asarray(queries.features, dtype=np.float32) - mf.feature_mean_) / mf.feature_std_
    # by hand: the mean features of the 5 most similar stored training prompts; a training prompt
    # (training=True: queries are the training set's first rows) is left out of its own neighbours
    bank = mf.contrast_embeddings_.astype(np.float32) / 127.0
    np.testing.assert_allclose(bank, arena_data.queries.embeddings, atol=0.5 / 127)
    for training in (False, True):
        sims = emb @ bank.T
        if training:
            sims[np.arange(10), np.arange(10)] = -np.inf
        top = np.argsort(-sims, axis=1, kind="stable")[:, :5]
        expected = feats - mf.contrast_features_.astype(np.float32)[top].mean(axis=1)
        got = mf._query_matrix(Queries(emb, queries.features, None), training=training)[:, 384:]
        np.testing.assert_allclose(got, expected, atol=1e-4)
    mf.save(tmp_path)
    again = Predictor.load(tmp_path)
    np.testing.assert_allclose(again.predict(queries, STRONG, WEAK), mf.predict(queries, STRONG, WEAK), rtol=1e-6)
    assert again.get_params()["contrast_neighbours"] == 5


def test_mf_contrast_bad_settings_and_incomplete_artifact(arena_data, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="contrast_neighbours must be >= 0"):
        MFPredictor(contrast_neighbours=-1, show_progress=False).fit(arena_data)
    with pytest.raises(ValueError, match="needs use_features=True"):
        MFPredictor(contrast_neighbours=5, use_features=False, show_progress=False).fit(arena_data)
    plain = MFPredictor(epochs=1, show_progress=False).fit(arena_data)
    plain.save(tmp_path)
    meta = json.loads((tmp_path / "predictor.json").read_text())
    meta["params"]["contrast_neighbours"] = 5  # claims a contrast bank its tensors do not hold
    (tmp_path / "predictor.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="training prompts' embeddings and features are missing"):
        Predictor.load(tmp_path)


def test_sw_ranking_prefers_the_better_model(arena_data) -> None:  # noqa: ANN001
    sw = SWRankingPredictor().fit(arena_data)
    p = sw.predict(arena_data.queries.subset(np.arange(30)), STRONG, WEAK)
    assert p.mean() > 0.5
    # symmetric: P(a beats b) = 1 - P(b beats a)
    np.testing.assert_allclose(sw.predict(arena_data.queries.subset(np.arange(30)), WEAK, STRONG), 1 - p, atol=1e-9)


def test_random_is_deterministic_per_prompt(arena_data) -> None:  # noqa: ANN001
    r = RandomPredictor(seed=3).fit(arena_data)
    q = arena_data.queries.subset(np.arange(50))
    np.testing.assert_array_equal(r.predict(q, STRONG, WEAK), r.predict(q, STRONG, WEAK))
    assert 0.2 < r.predict(arena_data.queries, STRONG, WEAK).mean() < 0.8


def test_tampered_predictor_is_refused(arena_data, tmp_path: Path) -> None:  # noqa: ANN001
    mf = MFPredictor(epochs=1, show_progress=False).fit(arena_data)
    mf.save(tmp_path)
    blob = bytearray((tmp_path / "predictor.safetensors").read_bytes())
    blob[-5] ^= 0xFF
    (tmp_path / "predictor.safetensors").write_bytes(bytes(blob))
    with pytest.raises(ArtifactError, match="corrupt or was modified"):
        Predictor.load(tmp_path)


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    (tmp_path / "predictor.json").write_text('{"kind": "pickle-me", "params": {}}')
    with pytest.raises(ArtifactError, match="unknown predictor kind"):
        Predictor.load(tmp_path)


def test_empty_training_data_is_an_error(arena_data) -> None:  # noqa: ANN001
    from core.predictors import PairwiseData

    empty = PairwiseData(arena_data.queries, arena_data.models, *(np.zeros(0, dtype=np.int64) for _ in range(3)),
                         np.zeros(0), np.zeros(0))
    for cls in (SWRankingPredictor, MFPredictor):
        with pytest.raises(ValueError, match="no battles"):
            cls().fit(empty)
