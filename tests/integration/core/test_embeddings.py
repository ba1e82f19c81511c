from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import core
from core import SentenceTransformerEmbedder, make_embedder


def test_bundled_model_embeds_normalised_and_caches(embedder: SentenceTransformerEmbedder) -> None:
    x = embedder.embed(["The cat sat on the mat.", "A feline rested on the rug.", "Quarterly tax filing deadline"])
    assert x.shape == (3, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert x[0] @ x[1] > x[0] @ x[2]  # real semantics, not a stub
    np.testing.assert_array_equal(embedder.embed(["A feline rested on the rug."])[0], x[1])  # cache hit
    assert embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"


def test_truncation_is_reported(embedder: SentenceTransformerEmbedder) -> None:
    mask = embedder.truncated(["short", "many words " * 400])
    assert mask.tolist() == [False, True]


def test_embed_rejects_a_bare_string(embedder: SentenceTransformerEmbedder) -> None:
    with pytest.raises(TypeError, match="list of texts"):
        embedder.embed("oops")  # type: ignore[arg-type]


def test_missing_local_model_is_a_clear_error(tmp_path) -> None:  # noqa: ANN001
    e = SentenceTransformerEmbedder("no-such-org/no-such-model")
    with pytest.raises(OSError, match="local"):
        e.embed(["x"])


def test_openai_embedder_only_when_asked() -> None:
    e = make_embedder("openai/text-embedding-3-small")
    assert isinstance(e, core.OpenAIEmbedder) and e._client is None  # nothing created or called


MIXED_TEXTS = [
    "The cat sat on the mat.",
    "A feline rested on the rug.",
    "Quarterly tax filing deadline",
    "héllo wörld: ünïcode ✓ 数学 😀\tand a tab",
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast and bakes muffins with four. "
    "How much does she make every day at the farmers' market?",
    "word " * 600,  # over the window: head + tail kept
]


@pytest.fixture(scope="module")
def int8_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(quantize="int8")


def test_lean_encoder_matches_the_transformers_module(embedder: SentenceTransformerEmbedder) -> None:
    reference = SentenceTransformerEmbedder(fast_encoder=False, cache_size=0)
    lean = embedder.embed(MIXED_TEXTS)  # one padded batch of mixed lengths
    np.testing.assert_allclose(lean, reference.embed(MIXED_TEXTS), atol=1e-5)
    alone = SentenceTransformerEmbedder(cache_size=0)
    np.testing.assert_allclose(np.stack([alone.embed([t])[0] for t in MIXED_TEXTS]), lean, atol=1e-5)  # no padding
    assert type(embedder._encoder).__name__ == "LeanBert"
    assert type(reference._encoder).__name__ == "_TransformersEncoder"
    import torch

    if torch.backends.mkldnn.is_available():  # single routes went through the oneDNN-packed weights
        assert type(embedder._encoder.layers[0].qkv).__name__ == "PackedLinear"


def test_rust_tokenizer_gives_the_transformers_ids(embedder: SentenceTransformerEmbedder) -> None:
    tokenizer = embedder._load().tokenizer
    fast = [e.ids for e in embedder._backend_tokenizer.encode_batch(MIXED_TEXTS, add_special_tokens=False)]
    assert fast == tokenizer(MIXED_TEXTS, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    assert len(fast[-1]) > embedder.max_tokens  # the clone does not truncate (the tokenizer.json says 128)


def test_int8_embeddings_are_normalised_and_close_to_fp32(
    embedder: SentenceTransformerEmbedder, int8_embedder: SentenceTransformerEmbedder
) -> None:
    x8 = int8_embedder.embed(MIXED_TEXTS)
    x32 = embedder.embed(MIXED_TEXTS)
    assert x8.shape == x32.shape and x8.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x8, axis=1), 1.0, atol=1e-5)
    cos = np.sum(x8 * x32, axis=1)
    assert cos.min() > 0.9 and cos.mean() > 0.95, cos  # measured on 1000 RouteLLM prompts: mean 0.98, min 0.95
    assert not np.allclose(x8, x32, atol=1e-4)  # really quantised
    assert x8[0] @ x8[1] > x8[0] @ x8[2]  # semantics survive
    assert int8_embedder.embed(MIXED_TEXTS[:2]).tolist() == x8[:2].tolist()  # cached, same vectors


def test_int8_has_its_own_model_id_and_cache_namespace(
    embedder: SentenceTransformerEmbedder, int8_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    from core.embeddings import EmbeddingCache

    assert int8_embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2#int8"
    assert embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2" and embedder.quantize is None
    cache = EmbeddingCache(tmp_path)
    assert cache.directory(int8_embedder) != cache.directory(embedder)  # fp32 and int8 vectors never mix
    again = make_embedder(int8_embedder.model_id)  # what a saved router's embedder id loads as
    assert isinstance(again, SentenceTransformerEmbedder) and again.quantize == "int8"
    assert again.model_id == int8_embedder.model_id
    assert SentenceTransformerEmbedder("all-MiniLM-L6-v2", quantize="int8").model_id == int8_embedder.model_id


def test_bad_quantize_options_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="quantize must be"):
        SentenceTransformerEmbedder(quantize="int4")
    with pytest.raises(ValueError, match="names quantize"):
        SentenceTransformerEmbedder("all-MiniLM-L6-v2#int8", quantize="int4")
    with pytest.raises(ValueError, match="CPU only"):
        SentenceTransformerEmbedder(quantize="int8", device="cuda")
