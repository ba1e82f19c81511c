from __future__ import annotations

import numpy as np
import pytest

import core
from core import SentenceTransformerEmbedder, make_embedder


def test_import_core_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, core; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


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
