"""The static (token-table) embedder: real table distilled from the bundled all-MiniLM-L6-v2.

The session fixture distils the real table once (about a minute of CPU on a busy 2-core
machine); everything else reuses it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import ArtifactError, load_router, make_embedder
from core.embeddings import EMBEDDER_DIR, StaticEmbedder, StaticSpec, parse_static_id
from core.embeddings.static import MAX_CHARS

HEAVY = ("torch", "transformers", "sentence_transformers", "scipy", "sklearn")


@pytest.fixture(scope="session")
def static_embedder() -> StaticEmbedder:
    emb = make_embedder("static")
    assert isinstance(emb, StaticEmbedder)
    emb.embed(["warm up"])  # distils now, once per session
    return emb


@pytest.fixture(scope="session")
def static_router_dir(tmp_path_factory, static_embedder, arena_comparisons) -> Path:  # noqa: ANN001
    """A real MF router (the default recipe's neighbour-contrast settings) trained on static embeddings."""
    from core.training import train_router

    router = train_router(
        arena_comparisons, strong="gpt-4-1106-preview", weak="llama-13b", embedder=static_embedder, name="static-mf",
        predictor="mf",
        predictor_params={"epochs": 2, "embedding_scale": 0.0, "contrast_neighbours": 20, "show_progress": False},
    )
    return router.save(tmp_path_factory.mktemp("static") / "router")


def test_ids_name_the_settings() -> None:
    assert make_embedder("static").model_id == "static:all-MiniLM-L6-v2"
    assert parse_static_id("static:all-MiniLM-L6-v2#pca=128,dtype=float16") == StaticSpec(pca=128, dtype="float16")
    assert StaticSpec(pca=128, dtype="float16").model_id == "static:all-MiniLM-L6-v2#pca=128,dtype=float16"
    for bad in ("static:x#pca=big", "static:x#nope=1", "static:x#dtype=int4", "sentence-transformers/x"):
        with pytest.raises(ValueError, match="static"):
            parse_static_id(bad)


def test_embeds_normalised_deterministic_and_semantic(static_embedder: StaticEmbedder) -> None:
    texts = ["The cat sat on the mat.", "A kitten rested on the rug.", "Quarterly tax filing deadline"]
    x = static_embedder.embed(texts)
    assert x.shape == (3, 256) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert x[0] @ x[1] > x[0] @ x[2]  # the distilled table carries meaning
    fresh = StaticEmbedder.from_table(static_embedder.model_id, static_embedder._state().table,
                                      static_embedder._state().tokenizer_json, cache_size=0)
    np.testing.assert_array_equal(fresh.embed(texts[::-1]), x[::-1])  # same vectors, any order, no cache


def test_empty_input(static_embedder: StaticEmbedder) -> None:
    assert static_embedder.embed([]).shape == (0, 256)
    x = static_embedder.embed(["", "   ", "hi"])
    assert not x[:2].any() and np.linalg.norm(x[2]) == pytest.approx(1.0, abs=1e-5)


def test_long_input_is_embedded_whole(static_embedder: StaticEmbedder) -> None:
    """Past the encoder's 256-token window the end of a prompt still moves its vector."""
    body = "Please summarise the following report about rainfall. " * 120  # ~1,300 tokens
    texts = [body + "What is the capital of France?", body + "Write a haiku on winter."]
    a, b = static_embedder.embed(texts)
    assert not np.allclose(a, b, atol=1e-4)  # a 256-token window would have cut both tails off
    ids = static_embedder.token_ids(texts[:1])[0]
    assert len(ids) > 1000
    whole = static_embedder._state().table[ids].mean(axis=0)  # the mean over every token
    np.testing.assert_allclose(a, whole / np.linalg.norm(whole), atol=1e-5)
    assert not static_embedder.truncated([body]).any()


def test_over_the_cap_keeps_head_and_tail(static_embedder: StaticEmbedder) -> None:
    huge = "alpha " * (MAX_CHARS // 3)
    assert static_embedder.truncated([huge, "short"]).tolist() == [True, False]
    ids = static_embedder.token_ids([huge + "omega"])[0]
    assert len(ids) <= MAX_CHARS // 5 and ids[-1] == static_embedder.token_ids(["omega"])[0][-1]


def test_artifact_round_trip_and_tampering(tmp_path: Path, static_embedder: StaticEmbedder) -> None:
    static_embedder.save(tmp_path / "e")
    files = sorted(p.name for p in (tmp_path / "e").iterdir())
    assert files == ["static.json", "table.safetensors", "tokenizer.json"]
    assert (tmp_path / "e" / "table.safetensors").stat().st_size < 9_000_000  # int8 table
    again = StaticEmbedder.load(tmp_path / "e", expected_id="static")
    texts = ["How do I sort a list in Python?", "Translate 'good morning' into French."]
    cos = np.sum(again.embed(texts) * static_embedder.embed(texts), axis=1)
    assert (cos > 0.999).all()  # int8 storage moves vectors very little
    with pytest.raises(ArtifactError, match="the table is"):
        StaticEmbedder.load(tmp_path / "e", expected_id="static:all-MiniLM-L6-v2#pca=64")
    table = tmp_path / "e" / "table.safetensors"
    data = bytearray(table.read_bytes())
    data[-10] ^= 0xFF
    table.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="corrupt or was modified"):
        StaticEmbedder.load(tmp_path / "e")


def test_tampered_tokenizer_is_rejected(tmp_path: Path, static_embedder: StaticEmbedder) -> None:
    static_embedder.save(tmp_path / "e")
    tok = tmp_path / "e" / "tokenizer.json"
    tok.write_text(tok.read_text().replace('"[UNK]"', '"[UNKNOWN]"', 1))
    with pytest.raises(ArtifactError, match="tokenizer.json is corrupt"):
        StaticEmbedder.load(tmp_path / "e")


def test_router_artifact_carries_the_table(static_router_dir: Path, static_embedder: StaticEmbedder) -> None:
    meta = json.loads((static_router_dir / "router.json").read_text())
    assert meta["embedder"] == "static:all-MiniLM-L6-v2"
    assert (static_router_dir / EMBEDDER_DIR / "table.safetensors").is_file()
    router = load_router(static_router_dir)
    assert isinstance(router.embedder, StaticEmbedder) and router.embedder is not static_embedder
    prompts = ["hi", "Prove that there are infinitely many primes.", "word " * 3000]
    decisions = router.route_batch(prompts)
    assert [d.model for d in decisions] == [router.route(p).model for p in prompts]
    assert {d.model for d in decisions} <= {"gpt-4-1106-preview", "llama-13b"}
    assert all(0.0 <= d.score <= 1.0 for d in decisions)
    np.testing.assert_allclose(router.score(prompts), load_router(static_router_dir).score(prompts))


def test_router_with_a_damaged_table_does_not_load(tmp_path: Path, static_router_dir: Path) -> None:
    import shutil

    shutil.copytree(static_router_dir, tmp_path / "r")
    (tmp_path / "r" / EMBEDDER_DIR / "table.safetensors").write_bytes(b"garbage")
    with pytest.raises(ArtifactError, match="corrupt or was modified"):
        load_router(tmp_path / "r")
    shutil.rmtree(tmp_path / "r" / EMBEDDER_DIR)
    with pytest.raises(ArtifactError, match="missing"):
        load_router(tmp_path / "r")


def test_routing_path_imports_nothing_heavy(static_router_dir: Path) -> None:
    """import core / the adapters, load a static router, route: no torch, transformers, scipy..."""
    code = (
        "import sys, core, langchain_router, llamaindex_router\n"
        f"r = core.load_router({str(static_router_dir)!r})\n"
        "d = r.route('What is 2 + 2?'); r.route_batch(['hi', 'word ' * 2000])\n"
        f"print(d.model, [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] in ("gpt-4-1106-preview", "llama-13b")
    assert out[1:] == ["[]"]


def test_nway_router_carries_the_table_through_the_disk_cache(tmp_path: Path, static_embedder, data_dir) -> None:  # noqa: ANN001
    """An N-way router trained through the evaluation harness's DiskCachedEmbedder saves and reloads its table."""
    from core import NWayRouter
    from core.costs import specs_from_costs
    from core.embeddings import DiskCachedEmbedder, EmbeddingCache
    from core.data import load_nway_source
    from core.training import outcome_data, train_nway_router

    outcomes, _ = load_nway_source("routerbench_zs", "train", data_dir)
    prompts = sorted({o.prompt for o in outcomes})[:120]
    keep = set(prompts)
    cached = DiskCachedEmbedder(static_embedder, EmbeddingCache(tmp_path / "cache"))
    data = outcome_data([o for o in outcomes if o.prompt in keep], cached)
    router = train_nway_router(data, specs_from_costs(data.models, data.costs), predictor="knn_quality", embedder=cached)
    router.save(tmp_path / "nway")
    again = load_router(tmp_path / "nway")
    assert isinstance(again, NWayRouter) and isinstance(again.embedder, StaticEmbedder)
    assert again.embedder.model_id == cached.model_id == "static:all-MiniLM-L6-v2"
    cos = np.sum(again.embedder.embed(prompts[:20]) * router.embedder.embed(prompts[:20]), axis=1)
    assert (cos > 0.999).all()  # the artifact's (int8-stored) table, not a fresh distillation
    assert {d.model for d in again.route_batch(prompts[:5])} <= set(data.models)


def test_a_recipe_naming_static_trains_a_router_that_carries_its_table(tmp_path: Path, static_embedder, data_dir) -> None:  # noqa: ANN001
    """`embedder = "static"` in a TOML recipe -> `winroute train` -> an artifact with the table."""
    from core.cli import main

    recipe = tmp_path / "static.toml"
    recipe.write_text(
        f'name = "tiny-static"\nout = "{tmp_path / "router"}"\npredictor = "mf"\n'
        'strong = "gpt-4-1106-preview"\nweak = "llama-13b"\nembedder = "static"\n'
        "[sources]\narena_bench_v1 = 1.0\n"
        "[predictor_params]\nepochs = 1\nshow_progress = false\n"
        "[decontaminate]\nbenchmarks = []\n"
    )
    assert main(["train", str(recipe), "--data-dir", str(data_dir)]) == 0
    meta = json.loads((tmp_path / "router" / "router.json").read_text())
    assert meta["embedder"] == "static:all-MiniLM-L6-v2"
    router = load_router(tmp_path / "router")
    assert isinstance(router.embedder, StaticEmbedder)
    assert router.route("Write a proof that sqrt(2) is irrational.").model in ("gpt-4-1106-preview", "llama-13b")


def test_concurrent_embedding_matches_sequential(static_embedder: StaticEmbedder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fresh = StaticEmbedder.from_table(static_embedder.model_id, static_embedder._state().table,
                                      static_embedder._state().tokenizer_json, cache_size=0)
    texts = [f"Question {i}: what is {i} times {i + 1}?" for i in range(64)]
    expected = fresh.embed(texts)
    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(lambda t: fresh.embed([t])[0], texts))
    np.testing.assert_array_equal(np.stack(rows), expected)


def test_lone_surrogates_are_replaced_before_tokenizing(static_embedder) -> None:  # noqa: ANN001
    rows = static_embedder.embed(["caf\udce9 au lait", "caf\ufffd au lait"])
    assert np.isfinite(rows).all()
    np.testing.assert_allclose(rows[0], rows[1])  # the surrogate reads as the replacement character


_PLAIN_WORDS = st.sampled_from([
    "The", "QUARTERLY", "report's", "e-mail", "x=y+1;", "don't", "C++", "a_b", "http://x.io/a?b=1", "3.14",
    "antidisestablishmentarianism", "z" * 120, "[CLS]", "##ing", "\t", "\n", "\r\n", "  ", "{}", "~`|\\",
])
_PLAIN_TEXT = st.lists(
    st.one_of(_PLAIN_WORDS, st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=15)),
    max_size=40,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PLAIN_TEXT, st.text(max_size=30)), min_size=1, max_size=4))
def test_word_level_ids_equal_the_tokenizers(static_embedder: StaticEmbedder, texts: list[str]) -> None:
    """Plain ASCII text is tokenized word by word from a table; the ids must be the tokenizer's own."""
    state = static_embedder._state()
    assert state.words is not None  # MiniLM's tokenizer is a lower-casing BERT WordPiece one
    expected = [e.ids for e in state.tokenizer.encode_batch([static_embedder._cut(t) for t in texts], add_special_tokens=False)]
    assert static_embedder.token_ids(texts) == expected


def test_a_full_word_table_stops_growing_and_stays_exact(static_embedder: StaticEmbedder, monkeypatch) -> None:  # noqa: ANN001
    """Hostile text full of new words cannot grow the word table past its cap; ids stay the tokenizer's."""
    import core.embeddings.static as static_module

    state = static_embedder._state()
    size = len(state.words._ids)
    monkeypatch.setattr(static_module, "_MAX_WORDS", size)  # full from here on
    texts = [" ".join(f"zq{i}x{j}" for j in range(50)) for i in range(3)]
    expected = [e.ids for e in state.tokenizer.encode_batch(texts, add_special_tokens=False)]
    assert static_embedder.token_ids(texts) == expected
    assert len(state.words._ids) == size
