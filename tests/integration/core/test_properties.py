"""Property-based tests (hypothesis) of everything a caller or an artifact can throw at a router.

Generated conversations (text with lone surrogates, huge pathological prompts, content parts of
every type, junk), keyword arguments of every type, tampered artifact files, and both adapters.
The properties: a call ends in a correct decision or in one of the project's documented errors
(``WinrouteError`` subclasses), a failed ``calibrate`` changes nothing, and no per-prompt step
ever reads more than ``MAX_TEXT_CHARS`` characters, however large the input.

Each property runs a few examples per default test and 1,000 in ``test_properties_at_scale``
(marked ``slow``, still part of the default run: ~1-2 minutes on two cores).

The router is a real, small MF router trained here on the real encoder (a few seconds), so an
artifact load per example stays cheap.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import MFPredictor, RouteDecision, Router, WinrouteError, load_router
from core.artifacts import write_manifest
from core.data.records import Comparison
from core.sanitize import MAX_TEXT_CHARS
from core.training import pairwise_data

DEFAULT_EXAMPLES = 15
SLOW_EXAMPLES = 1000

# -- strategies -----------------------------------------------------------------------------------
ANY_CHAR = st.characters(exclude_categories=())  # lone surrogates included
short_text = st.text(ANY_CHAR, max_size=120)
huge_text = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["\n", " ", "漢字", "<div>", "A. x\n", ";  ", "\ud800", "word ", "((", "\t\n "]),
    st.integers(100_000, 1_200_000),
)
text = st.one_of(short_text, short_text, short_text, huge_text)
junk = st.one_of(
    st.none(), st.integers(), st.floats(), st.binary(max_size=6), st.booleans(),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
part = st.one_of(
    short_text,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "image_url", "input_audio", "TEXT"])},
        optional={"text": st.one_of(short_text, junk)},
    ),
    junk,
)
content = st.one_of(text, st.lists(part, max_size=4), junk)
message = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "human", "User", "assistant", "ai", "tool", "function", "system", "🤖"])},
        optional={
            "content": content,
            "route": st.sampled_from(["strong", "weak", "big", "small", "unknown-model"]),
            "tool_calls": st.lists(st.just({"id": "call-1"}), max_size=1),
        },
    ),
    junk,
)
conversation = st.one_of(text, st.lists(message, max_size=4), junk)
batch = st.one_of(st.lists(conversation, max_size=3), short_text, junk, st.dictionaries(st.text(max_size=3), st.text(max_size=3)))
number = st.one_of(
    st.none(), st.floats(), st.integers(-2, 2), st.text(max_size=4), st.booleans(), st.lists(st.floats(), max_size=2),
    st.floats(0, 1),
)
route_kwargs = st.fixed_dictionaries({}, optional={"threshold": number, "strong_share": number})


# -- the router under test ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_artifact(tmp_path_factory: pytest.TempPathFactory, default_router) -> Path:  # noqa: ANN001
    """A real MF router (dim 8) on 40 prompts with the real encoder, saved by this version."""
    prompts = [f"prompt {i}: " + ("prove the bound step by step" if i % 2 else "say hello") for i in range(40)]
    battles = [Comparison(p, "big", "small", float(i % 2), "t") for i, p in enumerate(prompts)]
    data = pairwise_data(battles, default_router.embedder)
    predictor = MFPredictor(dim=8, epochs=2, show_progress=False).fit(data)
    reference = predictor.predict(data.queries, "big", "small")
    router = Router(predictor, default_router.embedder, strong="big", weak="small", reference_scores=reference, name="tiny")
    return router.save(tmp_path_factory.mktemp("tiny") / "router")


class Bounded:
    """Wraps a router's ``encode`` to check that no per-prompt step reads more than the cap."""

    def __init__(self, router: Router) -> None:
        inner = router.encode

        def encode(texts: Any) -> Any:
            texts = list(texts)
            assert all(len(t) <= MAX_TEXT_CHARS for t in texts), [len(t) for t in texts]
            assert all(isinstance(t, str) and t.encode("utf-8") for t in texts)  # no lone surrogates left
            return inner(texts)

        router.encode = encode  # type: ignore[method-assign]


def _bounded(router: Router) -> Router:
    Bounded(router)
    return router


@pytest.fixture(scope="module")
def tiny(tiny_artifact: Path, default_router) -> Router:  # noqa: ANN001
    router = load_router(tiny_artifact, embedder=default_router.embedder)
    Bounded(router)
    return router


def _valid(router: Router, decision: RouteDecision) -> None:
    assert decision.route in ("strong", "weak")
    assert decision.model == router.model_for(decision.route)
    if not decision.reason.startswith("sticky"):
        assert 0.0 <= decision.score <= 1.0 and 0.0 <= decision.threshold <= 1.0
        assert (decision.route == "strong") == (decision.score >= decision.threshold)
    json.dumps(decision.as_dict())  # JSON-safe


# -- the properties -------------------------------------------------------------------------------
def route_property(router: Router) -> Callable[..., None]:
    @given(conversation, route_kwargs)
    def prop(conv: Any, kwargs: dict[str, Any]) -> None:
        try:
            decision = router.route(conv, **kwargs)
        except WinrouteError:
            return
        _valid(router, decision)

    return prop


def route_batch_property(router: Router) -> Callable[..., None]:
    @given(batch, route_kwargs)
    def prop(convs: Any, kwargs: dict[str, Any]) -> None:
        try:
            decisions = router.route_batch(convs, **kwargs)
        except WinrouteError:
            return
        assert isinstance(convs, list) and len(decisions) == len(convs)
        for d in decisions:
            _valid(router, d)

    return prop


def score_property(router: Router) -> Callable[..., None]:
    @given(st.one_of(conversation, batch))
    def prop(convs: Any) -> None:
        try:
            scores = router.score(convs)
        except WinrouteError:
            return
        assert scores.ndim == 1 and np.isfinite(scores).all() and ((0 <= scores) & (scores <= 1)).all()
        single = isinstance(convs, str) or (isinstance(convs, list) and convs and isinstance(convs[0], dict))
        assert len(scores) == (1 if single else len(convs))

    return prop


def calibrate_property(router: Router) -> Callable[..., None]:
    @given(batch, number)
    def prop(prompts: Any, share: Any) -> None:
        before = (router.threshold, router.reference_scores.copy())
        try:
            threshold = router.calibrate(prompts, share)
        except WinrouteError:
            assert router.threshold == before[0]
            np.testing.assert_array_equal(router.reference_scores, before[1])
            return
        assert 0.0 <= threshold <= 1.0 and router.threshold == threshold
        assert len(router.reference_scores) == len(prompts)

    return prop


ROUTER_KEYS = ["threshold", "strong", "weak", "embedder", "features", "format_version", "last_k_user_turns",
               "metadata", "predictor_models", "tensors_sha256", "name", "unexpected"]
PREDICTOR_KEYS = ["kind", "models", "params", "state", "tensors_sha256", "params.dim", "params.use_features",
                  "params.embedding_scale", "params.contrast_neighbours", "params.unknown"]
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
              st.text(ANY_CHAR, max_size=8), st.sampled_from(["big", "small", "tier", "openai/text-embedding-3-small"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=4), children, max_size=3)),
    max_leaves=6,
)
tampering = st.one_of(
    st.tuples(st.just("router.json"), st.sampled_from(ROUTER_KEYS), st.one_of(json_value, st.just(KeyError))),
    st.tuples(st.just("predictor/predictor.json"), st.sampled_from(PREDICTOR_KEYS), st.one_of(json_value, st.just(KeyError))),
    st.tuples(st.sampled_from(["router.safetensors", "predictor/predictor.safetensors"]), st.integers(0, 10**7), st.integers(1, 255)),
    st.tuples(st.sampled_from(["router.json", "predictor/predictor.json", "manifest.json"]), st.just("truncate"), st.integers(0, 100)),
)


def _tamper(directory: Path, change: tuple[Any, ...]) -> None:
    name, key, value = change
    path = directory / name
    if key == "truncate":
        path.write_bytes(path.read_bytes()[:value])
    elif name.endswith(".safetensors"):
        data = bytearray(path.read_bytes())
        data[key % len(data)] ^= value
        path.write_bytes(bytes(data))
    else:
        doc = json.loads(path.read_text())
        target, leaf = (doc["params"], key.split(".", 1)[1]) if key.startswith("params.") else (doc, key)
        if value is KeyError:
            target.pop(leaf, None)
        else:
            target[leaf] = value
        path.write_text(json.dumps(doc))


def artifact_property(artifact: Path, embedder: Any) -> Callable[..., None]:
    @given(tampering, st.booleans())
    def prop(change: tuple[Any, ...], resign: bool) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(shutil.copytree(artifact, Path(tmp) / "r"))
            _tamper(directory, change)
            if resign and change[0] != "manifest.json":
                write_manifest(directory)  # the attacker rewrote the manifest as well
            try:
                router = load_router(directory, embedder=embedder)
            except WinrouteError:
                return
            assert resign and change[0] != "manifest.json"  # an edit the manifest does not vouch for never loads
            Bounded(router)
            try:
                decision = router.route("prove that the sum of two odd numbers is even")
            except WinrouteError:
                return
            _valid(router, decision)

    return prop


def langchain_property(router: Router) -> Callable[..., None]:
    from langchain_core.messages import HumanMessage

    from langchain_router import RouterChatModel
    from fake_chat_model import FakeToolChatModel

    model = RouterChatModel(strong=FakeToolChatModel(model_name="s"), weak=FakeToolChatModel(model_name="w"), core=router)
    lc_content = st.one_of(text, st.lists(st.one_of(short_text, st.fixed_dictionaries({"type": st.just("text"), "text": short_text})), min_size=1, max_size=3))

    @given(lc_content, st.sampled_from([{}, {"threshold": 0.2}, {"strong_share": 0.9}, {"threshold": "0.5"}]))
    def prop(body: Any, kwargs: dict[str, Any]) -> None:
        try:
            answer = model.invoke([HumanMessage(content=body)], **kwargs)
        except WinrouteError:
            return
        record = answer.response_metadata["winroute"]
        assert record["child_route"] in ("strong", "weak")

    return prop


def llamaindex_property(router: Router) -> Callable[..., None]:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import MockLLM

    from llamaindex_router import RouterLLM

    llm = RouterLLM(strong=MockLLM(), weak=MockLLM(), core=router)

    @given(text)
    def prop(body: str) -> None:
        try:
            answer = llm.chat([ChatMessage(role="user", content=body)])
        except WinrouteError:
            return
        assert answer.additional_kwargs["winroute"]["route"] in ("strong", "weak")

    return prop


def _properties(tiny: Router, artifact: Path) -> dict[str, Callable[..., None]]:
    return {
        "route": route_property(tiny),
        "route_batch": route_batch_property(tiny),
        "score": score_property(tiny),
        "calibrate": calibrate_property(_bounded(load_router(artifact, embedder=tiny.embedder))),
        "artifact": artifact_property(artifact, tiny.embedder),
        "langchain": langchain_property(tiny),
        "llamaindex": llamaindex_property(tiny),
    }


def _run(prop: Callable[..., None], examples: int) -> None:
    settings(
        max_examples=examples,
        deadline=None,
        database=None,  # nothing written into the tree
        suppress_health_check=list(HealthCheck),
    )(prop)()


NAMES = ["route", "route_batch", "score", "calibrate", "artifact", "langchain", "llamaindex"]


@pytest.mark.parametrize("name", NAMES)
def test_property(name: str, tiny: Router, tiny_artifact: Path) -> None:
    _run(_properties(tiny, tiny_artifact)[name], DEFAULT_EXAMPLES)


@pytest.mark.slow
def test_properties_at_scale(tiny: Router, tiny_artifact: Path) -> None:
    """Every property with 1,000 examples (issue 18's bar)."""
    for prop in _properties(tiny, tiny_artifact).values():
        _run(prop, SLOW_EXAMPLES)


def test_remote_embedder_is_never_chosen_by_an_artifact(tiny_artifact: Path, tmp_path: Path) -> None:
    """Whatever the embedder field says, loading without allow_remote never builds a network embedder."""
    from core import OpenAIEmbedder

    @given(st.sampled_from(["openai/text-embedding-3-small", "OpenAI/x", "openai/", "sentence-transformers/all-MiniLM-L6-v2"]))
    def prop(model_id: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(shutil.copytree(tiny_artifact, Path(tmp) / "r"))
            _tamper(directory, ("router.json", "embedder", model_id))
            write_manifest(directory)
            try:
                router = load_router(directory)
            except WinrouteError:
                assert model_id.lower().startswith("openai/")
                return
            assert not isinstance(router.embedder, OpenAIEmbedder)

    _run(prop, 8)
