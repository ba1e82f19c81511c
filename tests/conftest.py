"""Fixtures shared by tests/unit and tests/integration (a new test file in either sees them all).

* unit tests: :class:`TinyEmbedder` (``tiny_embedder``), the keyword router (``kw_router``), fake children;
* integration tests: the shared data (``data_dir``, from ``WINROUTE_DATA``: tests needing it skip when it
  is missing), the real local encoder (``embedder``), the bundled router (``default_router``), an N-way
  router trained on real data (``nway_router``), real battles (``arena_comparisons``, ``arena_data``);
* both: the loopback OpenAI-compatible server (``openai_server``, tests/openai_server.py).

Helper modules beside this file (``fake_chat_model``, ``lc_fakes``, ``li_fakes``, ``openai_server``,
``predictor_conformance``) are importable from every test: pytest puts this folder on ``sys.path``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from openai_server import openai_server  # noqa: F401 - the loopback OpenAI-compatible server fixture

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# the evaluation harness caches embeddings on disk: keep the tests' cache out of $HOME
os.environ.setdefault("WINROUTE_CACHE", tempfile.mkdtemp(prefix="winroute-test-cache-"))

try:  # hypothesis keeps example and unicode caches in ./.hypothesis unless told otherwise: not in the tree
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tempfile.mkdtemp(prefix="winroute-test-hypothesis-"))
except ImportError:  # pragma: no cover - the test extra installs hypothesis
    pass

REPO = Path(__file__).resolve().parents[1]


class TinyEmbedder:
    """A tiny deterministic embedder for unit tests: hashed word counts, signed, L2-normalised.

    A fake in place of the real encoder where a test checks plumbing, not semantics: no model
    to load, the same vector for the same text on every machine, and texts sharing words get
    similar vectors (so a predictor fitted on them has something to learn).
    """

    model_id = "test/hashed-words-32"

    def __init__(self, dim: int = 32) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of texts, not a single string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.sha256(word.encode("utf-8", "surrogatepass")).digest()
                out[row, digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
            out[row, -1] += 0.5  # no all-zero row, even for an empty text
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros(len(texts), dtype=bool)


@pytest.fixture(scope="session")
def tiny_embedder() -> TinyEmbedder:
    """:class:`TinyEmbedder` (32 dimensions): unit tests' stand-in for the sentence-transformer."""
    return TinyEmbedder()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared routing data (``WINROUTE_DATA``, default ``../shared/data`` beside the repo)."""
    path = Path(os.environ.get("WINROUTE_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"needs the shared routing data: not found at {path} (set WINROUTE_DATA)")
    return path


@pytest.fixture(scope="session")
def default_router():  # noqa: ANN201
    """The bundled default router with real local embeddings: the process-wide shared instance."""
    from core import default_router as shared

    return shared()


NWAY_MODELS = ("gpt-4-1106-preview", "gpt-3.5-turbo-1106", "mixtral-8x7b-instruct-v0.1", "mistral-7b-chat")
"""The N-way router's models: RouterBench-zs's best, two mid-priced ones and the cheapest."""


@pytest.fixture(scope="session")
def nway_router(default_router, data_dir):  # noqa: ANN001, ANN201
    """A knn_quality N-way router (for the adapters' tests) trained on 200 real RouterBench-zs train prompts.

    Stratified by task (ARC-Challenge, MBPP, Winogrande), seeded; priced by each model's mean
    measured cost per call. It shares the default router's embedder (same encoder, one copy
    in memory, cached embeddings): embedding the 200 prompts takes ~30-60 s on 2 cores.
    """
    import random
    from collections import defaultdict

    from core.costs import specs_from_costs
    from core.data import load_nway_source
    from core.training import outcome_data, train_nway_router

    outcomes, _ = load_nway_source("routerbench_zs", "train", data_dir)
    outcomes = [o for o in outcomes if o.model in NWAY_MODELS]
    by_task: dict[str, dict[str, None]] = defaultdict(dict)
    for o in outcomes:
        by_task[o.prompt_id.split(":")[0]].setdefault(o.prompt)
    rng = random.Random(0)
    keep = set()
    for task, n in (("arc_challenge_train", 70), ("mbpp_train", 60), ("winograde_train", 70)):
        keep.update(rng.sample(sorted(by_task[task]), n))
    data = outcome_data([o for o in outcomes if o.prompt in keep], default_router.embedder, list(NWAY_MODELS))
    specs = specs_from_costs(data.models, data.costs)
    return train_nway_router(data, specs, predictor="knn_quality", embedder=default_router.embedder, name="rb-zs-200")


# -- real encoder and real battles (integration) -------------------------------------------------
@pytest.fixture(scope="session")
def embedder():  # noqa: ANN201
    """The real local sentence-transformer (all-MiniLM-L6-v2, from its installed package)."""
    from core import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def arena_comparisons(data_dir: Path):  # noqa: ANN201
    """Battles derived from arena_bench_v1's 1-10 judge scores (15 models, 300 real prompts)."""
    from core.data import load_fastchat, outcomes_to_comparisons

    return outcomes_to_comparisons(load_fastchat(data_dir / "arena_bench_v1", source="arena_bench_v1"))


@pytest.fixture(scope="session")
def arena_data(arena_comparisons, embedder):  # noqa: ANN001, ANN201
    from core.training import pairwise_data

    return pairwise_data(arena_comparisons, embedder)


# -- adapters ------------------------------------------------------------------------------------
@pytest.fixture
def strong():  # noqa: ANN201
    """A fake LangChain child model (tests/fake_chat_model.py)."""
    from fake_chat_model import FakeToolChatModel

    return FakeToolChatModel(model_name="fake-strong")


@pytest.fixture
def weak():  # noqa: ANN201
    from fake_chat_model import FakeToolChatModel

    return FakeToolChatModel(model_name="fake-weak")


@pytest.fixture
def router_model(strong, weak, default_router):  # noqa: ANN001, ANN201
    """A RouterChatModel on the real bundled default router, with two fake children."""
    from langchain_router import RouterChatModel

    return RouterChatModel(strong=strong, weak=weak, core=default_router)


@pytest.fixture()
def kw_router():  # noqa: ANN201
    """Strong iff the user text contains "hard"; no encoder, so instant (tests/li_fakes.py)."""
    from li_fakes import keyword_router

    return keyword_router()


@pytest.fixture()
def routes():  # noqa: ANN201
    """LlamaIndex routing events fired during the test."""
    from llamaindex_router import collect_routes

    with collect_routes() as collector:
        yield collector
