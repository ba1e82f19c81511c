"""Issue 18: one regression test per finding (hostile input, hostile artifacts, concurrency, CLI).

Reproducers use the bundled router (real encoder); assertions are about behaviour, not its
current numbers, so they hold for another default.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import re
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import core
from core import DEFAULT_ROUTER_DIR, ArtifactError, InvalidArgumentError, InvalidConversationError, WinrouteError
from core.artifacts import MANIFEST, write_manifest
from core.embeddings import SentenceTransformerEmbedder
from core.features import _CHOICE, prompt_features
from core.sanitize import MAX_TEXT_CHARS, clean_text


@pytest.fixture()
def private_router(default_router):  # noqa: ANN001, ANN201
    """A router of its own (calibrate changes it), sharing the bundled router's loaded encoder."""
    return core.load_router(embedder=default_router.embedder)


# -- finding 1: every per-prompt step is linear and bounded ---------------------------------------
HOSTILE = {
    "newlines": "\n" * 100_000 + "x",
    "spaces": " " * 10_000_000 + "x",
    "cjk": "漢字テスト" * 200_000,
    "nested markup": "<div>" * 1_000_000 + "x" + "</div>" * 1_000_000,
    "option lines": "A. x\n" * 200_000,
}


def test_choice_regex_does_linear_work() -> None:
    """The option pattern finds the same options as before without rescanning blank lines.

    Counted, not timed: the number of regex steps is what grew quadratically. Doubling the
    newlines must not quadruple the work: checked with the engine's own search positions.
    """
    old = re.compile(r"^\s*\(?[A-Ja-j][\.\):]\s+\S", re.M)
    for text in ["A. foo\nB. bar\n\n\n  C) baz\n(D): q", "\n\n\nA. x", "x\n \n\t A. yes\nb) no", "A.\n\nfoo"]:
        assert len(_CHOICE.findall(text)) == len(old.findall(text))
    # a quadratic pattern on 200k newlines takes minutes; this one a few milliseconds
    start = time.perf_counter()
    assert _CHOICE.findall("\n" * 200_000 + "x") == []
    assert time.perf_counter() - start < 1.0


@pytest.mark.pathological
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_prompts_route_fast_and_say_so(default_router, kind: str) -> None:  # noqa: ANN001
    text = HOSTILE[kind]
    assert len(prompt_features([text])) == 1
    default_router.route("warm up: the encoder loads on first use")
    start = time.perf_counter()
    decision = default_router.route(text)
    seconds = time.perf_counter() - start
    assert decision.route in ("strong", "weak")
    if len(text) > MAX_TEXT_CHARS:
        assert f"prompt of {len(text):,} characters truncated: routed on its first" in decision.reason
        assert decision.truncated
    assert seconds < 5.0, f"{kind}: {seconds:.1f} s"  # generous: on a busy 2-core CI machine; ~0.05 s idle


def test_capped_text_keeps_the_encoder_vector() -> None:
    """MiniLM keeps a head and a tail of tokens anyway: capping the characters first changes nothing."""
    words = " ".join(f"word{i}" for i in range(20_000))  # ~180k characters
    capped, notes = clean_text(words)
    assert len(capped) == MAX_TEXT_CHARS and notes
    emb = SentenceTransformerEmbedder()
    assert emb._token_rows(emb._load().tokenizer, [words]) == emb._token_rows(emb._load().tokenizer, [capped])


# -- finding 2: unpaired surrogates ---------------------------------------------------------------
def test_lone_surrogates_are_replaced_and_noted(default_router) -> None:  # noqa: ANN001
    decision = default_router.route("caf\udce9")
    assert "U+FFFD" in decision.reason
    assert decision.score == pytest.approx(default_router.route("caf\ufffd").score)
    pair = default_router.route("smile \ud83d\ude00")  # a split pair is joined back
    assert pair.score == pytest.approx(default_router.route("smile 😀").score)
    conv = [{"role": "user", "content": [{"type": "text", "text": "x\ud800y"}]}]
    assert "U+FFFD" in default_router.route(conv).reason


def test_adapters_route_text_with_lone_surrogates(default_router) -> None:  # noqa: ANN001
    from langchain_router import RouterChatModel
    from fake_chat_model import FakeToolChatModel
    from llama_index.core.llms import MockLLM

    from llamaindex_router import RouterLLM

    model = RouterChatModel(strong=FakeToolChatModel(model_name="s"), weak=FakeToolChatModel(model_name="w"))
    record = model.invoke("caf\udce9").response_metadata["winroute"]
    assert record["child_route"] in ("strong", "weak") and "U+FFFD" in record["reason"]
    answer = RouterLLM(strong=MockLLM(), weak=MockLLM()).complete("caf\udce9")
    assert "U+FFFD" in answer.additional_kwargs["winroute"]["reason"]


def test_cli_routes_non_utf8_argv(capsys) -> None:  # noqa: ANN001
    from core.cli import main

    assert main(["route", "caf\udce9", "--json"]) == 0  # what Python makes of argv byte 0xe9
    assert "U+FFFD" in json.loads(capsys.readouterr().out)["reason"]


def test_embedder_tolerates_surrogates_directly(default_router) -> None:  # noqa: ANN001
    rows = default_router.embedder.embed(["caf\udce9 au lait"])
    assert rows.shape[0] == 1 and np.isfinite(rows).all()


# -- finding 3: badly typed arguments -------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": "0.5"}, {"threshold": [0.5]}, {"threshold": True}, {"threshold": math.nan},
        {"threshold": 1.5}, {"strong_share": "abc"}, {"strong_share": "0.3"}, {"strong_share": math.inf},
        {"strong_share": None, "threshold": -0.1}, {"threshold": 0.5, "strong_share": 0.3},
    ],
)
def test_bad_arguments_are_named(default_router, kwargs) -> None:  # noqa: ANN001
    with pytest.raises(InvalidArgumentError) as info:
        default_router.route("hello", **kwargs)
    named = [k for k, v in kwargs.items() if v is not None]
    assert any(k in str(info.value) for k in named)


@pytest.mark.parametrize("batch", [None, 5, 3.2, b"hi"])
def test_non_batches_are_refused(default_router, batch) -> None:  # noqa: ANN001
    with pytest.raises(InvalidArgumentError, match="list of conversations"):
        default_router.route_batch(batch)
    with pytest.raises(InvalidArgumentError):
        default_router.score(batch)


# -- finding 4: silent wrong answers --------------------------------------------------------------
def test_a_string_is_not_a_batch_of_characters(default_router, private_router) -> None:  # noqa: ANN001
    with pytest.raises(InvalidArgumentError, match="single string"):
        default_router.route_batch("hello")
    with pytest.raises(InvalidArgumentError, match="single message dict"):
        default_router.score({"role": "user", "content": "hi"})
    with pytest.raises(InvalidArgumentError, match="single string"):
        private_router.calibrate("hello", 0.3)
    assert default_router.score("hello").shape == (1,)  # one conversation: one score, as documented


@pytest.mark.parametrize("text", [None, 42, {"nested": "dict"}, ["list"]])
def test_text_part_must_hold_a_string(default_router, text) -> None:  # noqa: ANN001
    conv = [{"role": "user", "content": [{"type": "text", "text": text}]}]
    with pytest.raises(InvalidConversationError, match="text part 0"):
        default_router.route(conv)


# -- finding 5: a failed call leaves the router as it was ----------------------------------------
@pytest.mark.parametrize("share", [2, -1, "0.3", math.nan, None])
def test_failed_calibrate_changes_nothing(private_router, share) -> None:  # noqa: ANN001
    before = (private_router.threshold, private_router.reference_scores.copy())
    with pytest.raises(InvalidArgumentError):
        private_router.calibrate(["hi", "x"], strong_share=share)
    assert private_router.threshold == before[0]
    np.testing.assert_array_equal(private_router.reference_scores, before[1])
    private_router.route("hi", strong_share=0.3)  # still routes on the training prompts' scores


def test_failed_calibrate_on_bad_prompts_changes_nothing(private_router) -> None:  # noqa: ANN001
    before = private_router.threshold
    with pytest.raises(InvalidConversationError):
        private_router.calibrate(["fine", ""], strong_share=0.5)
    assert private_router.threshold == before
    with pytest.raises(InvalidArgumentError, match="threshold"):
        private_router.threshold = "0.4"
    assert private_router.threshold == before


# -- finding 6: artifacts are validated whole -----------------------------------------------------
@pytest.fixture()
def artifact(tmp_path: Path, default_router) -> Path:  # noqa: ANN001
    """A copy of the bundled router saved by this version (so with a manifest)."""
    return core.load_router(embedder=default_router.embedder).save(tmp_path / "r")


@pytest.fixture()
def mf_artifact(tmp_path: Path, default_router) -> Path:  # noqa: ANN001
    """A small real MF router (the predictor with the most tensors to check), saved by this version."""
    from core import MFPredictor, Router
    from core.data import Comparison
    from core.training import pairwise_data

    prompts = [f"prompt {i}: " + ("prove the bound step by step" if i % 2 else "say hello") for i in range(30)]
    data = pairwise_data([Comparison(p, "big", "small", float(i % 2), "t") for i, p in enumerate(prompts)],
                         default_router.embedder)
    predictor = MFPredictor(dim=8, epochs=1, show_progress=False).fit(data)
    router = Router(predictor, default_router.embedder, strong="big", weak="small",
                    reference_scores=predictor.predict(data.queries, "big", "small"), name="mf")
    return router.save(tmp_path / "mf")


def _edit_json(path: Path, change, *, resign: bool = True) -> None:  # noqa: ANN001
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    if resign:  # an attacker can rewrite the manifest too: the schema must still hold
        write_manifest(path.parent if path.name == "router.json" else path.parent.parent)


def test_save_writes_a_manifest_that_load_verifies(artifact: Path, default_router) -> None:  # noqa: ANN001
    manifest = json.loads((artifact / MANIFEST).read_text())
    assert set(manifest["files"]) >= {"router.json", "router.safetensors", "predictor/predictor.json",
                                      "predictor/predictor.safetensors"}
    loaded = core.load_router(artifact, embedder=default_router.embedder)
    assert loaded.artifact_sha256 == manifest["sha256"]
    core.load_router(artifact, embedder=default_router.embedder, expected_sha256=manifest["sha256"])
    with pytest.raises(ArtifactError, match="not the expected"):
        core.load_router(artifact, embedder=default_router.embedder, expected_sha256="0" * 64)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["models"].reverse(),  # inverted every score
        lambda d: d["params"].update(embedding_scale=3.0),  # changed every score
    ],
)
def test_manifest_catches_predictor_json_edits(artifact: Path, default_router, change) -> None:  # noqa: ANN001
    _edit_json(artifact / "predictor" / "predictor.json", change, resign=False)
    with pytest.raises(ArtifactError, match="predictor.json is corrupt or was modified"):
        core.load_router(artifact, embedder=default_router.embedder)


def test_artifact_without_manifest_still_loads_on_its_checksums(tmp_path: Path, default_router) -> None:  # noqa: ANN001
    """Artifacts saved before manifests (the bundled one) load; their tensor checksums still hold."""
    legacy = tmp_path / "legacy"
    shutil.copytree(DEFAULT_ROUTER_DIR, legacy)
    (legacy / MANIFEST).unlink(missing_ok=True)
    assert core.load_router(legacy, embedder=default_router.embedder).artifact_sha256 is None
    weights = legacy / "predictor" / "predictor.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="corrupt or was modified"):
        core.load_router(legacy, embedder=default_router.embedder)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(threshold="abc"), "threshold"),
        (lambda d: d.update(threshold=None), "threshold"),
        (lambda d: d.update(threshold=[0.5]), "threshold"),
        (lambda d: d.update(strong=["a"]), "strong"),
        (lambda d: d.update(embedder=42), "embedder"),
        (lambda d: d.update(last_k_user_turns=0), "last_k_user_turns"),
        (lambda d: d.update(metadata=[1]), "metadata"),
        (lambda d: d.update(weak=d["strong"]), "weak"),
    ],
)
def test_router_json_schema(artifact: Path, default_router, change, field: str) -> None:  # noqa: ANN001
    _edit_json(artifact / "router.json", change)
    with pytest.raises(ArtifactError, match=rf"router.json is not a valid RouterFile: {field}"):
        core.load_router(artifact, embedder=default_router.embedder)


def test_json_constants_and_deep_nesting_are_refused(artifact: Path, default_router) -> None:  # noqa: ANN001
    text = (artifact / "router.json").read_text().replace('"last_k_user_turns": 1', '"last_k_user_turns": Infinity')
    (artifact / "router.json").write_text(text)
    write_manifest(artifact)
    with pytest.raises(ArtifactError, match="not valid JSON"):
        core.load_router(artifact, embedder=default_router.embedder)
    (artifact / "router.json").write_text("[" * 100_000 + "]" * 100_000)
    write_manifest(artifact)
    with pytest.raises(ArtifactError, match="router.json"):
        core.load_router(artifact, embedder=default_router.embedder)


def _resave_tensor(directory: Path, name: str, value: np.ndarray) -> None:
    """Replace one predictor tensor and re-record its checksum (a matching checksum must not be enough)."""
    from safetensors.numpy import load_file

    from core.artifacts import write_tensors

    pred = directory / "predictor"
    tensors = load_file(str(pred / "predictor.safetensors"))
    tensors[name] = value
    checksum = write_tensors(pred / "predictor.safetensors", tensors)
    _edit_json(pred / "predictor.json", lambda d: d.update(tensors_sha256=checksum))


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("proj_bias", lambda t: t[:-1], "proj_bias.*shape"),
        ("head", lambda t: np.stack([t, t]), "head.*shape"),
        ("model_embeddings", lambda t: t[:, :-1], "model_embeddings.*shape"),
        ("head", lambda t: np.full_like(t, np.nan), "NaN or infinite"),
        ("proj_weight", lambda t: np.where(np.arange(t.size).reshape(t.shape) == 7, np.inf, t).astype(t.dtype), "NaN or infinite"),
    ],
)
def test_tensor_shapes_and_values_are_checked(mf_artifact: Path, default_router, name, make, message) -> None:  # noqa: ANN001
    from safetensors.numpy import load_file

    original = load_file(str(mf_artifact / "predictor" / "predictor.safetensors"))[name]
    _resave_tensor(mf_artifact, name, make(original))
    with pytest.raises(ArtifactError, match=message):
        core.load_router(mf_artifact, embedder=default_router.embedder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["params"].update(contrast_neighbours=-1), "contrast_neighbours"),
        (lambda d: d["params"].update(contrast_neighbours="50"), "contrast_neighbours"),
        (lambda d: d.update(models=["tier-1", "tier-1", "tier-3"]), "distinct"),
        (lambda d: d.update(models=[]), "models"),
    ],
)
def test_predictor_json_is_checked(artifact: Path, default_router, change, message: str) -> None:  # noqa: ANN001
    _edit_json(artifact / "predictor" / "predictor.json", change)
    with pytest.raises(ArtifactError, match=message):
        core.load_router(artifact, embedder=default_router.embedder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(models=d["models"][:1] * 2), "distinct"),
        (lambda d: d.update(shared=["not", "a", "dict"]), "shared"),
        (lambda d: d.update(params=None), "params"),
    ],
)
def test_nway_artifacts_are_validated(tmp_path: Path, nway_router, change, message: str) -> None:  # noqa: ANN001
    directory = nway_router.save(tmp_path / "nway")
    core.load_router(directory, embedder=nway_router.embedder)
    _edit_json(directory / "predictor" / "predictor.json", change)
    with pytest.raises(ArtifactError, match=message):
        core.load_router(directory, embedder=nway_router.embedder)


def test_empty_reference_scores_fail_at_load(artifact: Path, default_router) -> None:  # noqa: ANN001
    from safetensors.numpy import load_file

    from core.artifacts import write_tensors

    tensors = load_file(str(artifact / "router.safetensors"))
    tensors["reference_scores"] = np.zeros(0)
    checksum = write_tensors(artifact / "router.safetensors", tensors)
    _edit_json(artifact / "router.json", lambda d: d.update(tensors_sha256=checksum))
    with pytest.raises(ArtifactError, match="reference scores"):
        core.load_router(artifact, embedder=default_router.embedder)


def test_symlinks_and_huge_files_are_not_hashed(artifact: Path, default_router, monkeypatch) -> None:  # noqa: ANN001
    target = artifact / "predictor" / "predictor.safetensors"
    sparse = artifact.parent / "huge.bin"
    with open(sparse, "wb") as fh:  # sparse: no disk used, 16 GB long
        fh.truncate(16 * 2**30)
    target.unlink()
    target.symlink_to(sparse)
    start = time.perf_counter()
    with pytest.raises(ArtifactError, match="symbolic link"):
        core.load_router(artifact, embedder=default_router.embedder)
    assert time.perf_counter() - start < 5.0
    target.unlink()
    shutil.copyfile(DEFAULT_ROUTER_DIR / "predictor" / "predictor.safetensors", target)
    monkeypatch.setattr("core.artifacts.MAX_TENSOR_BYTES", 1024)
    with pytest.raises(ArtifactError, match="over the 1,024-byte limit"):
        core.load_router(artifact, embedder=default_router.embedder)


def test_an_artifact_cannot_choose_a_remote_embedder(artifact: Path, default_router, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    _edit_json(artifact / "router.json", lambda d: d.update(embedder="openai/text-embedding-3-small"))
    with pytest.raises(ArtifactError, match="allow_remote=True"):
        core.load_router(artifact)
    remote = core.load_router(artifact, allow_remote=True)  # the caller's explicit choice (nothing is sent here)
    assert remote.embedder.model_id == "openai/text-embedding-3-small"
    local = core.load_router(artifact, embedder=default_router.embedder)
    assert local.route("hi").route in ("strong", "weak")


# -- finding 8: concurrency ----------------------------------------------------------------------
class CountingEmbedder(SentenceTransformerEmbedder):
    """The real bundled encoder, counting the texts it encodes (and slowed so threads overlap)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []
        self._count_lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._count_lock:
            self.encoded.extend(texts)
        time.sleep(0.05)
        return super()._encode(texts)


def _minilm_router(embedder: SentenceTransformerEmbedder) -> core.Router:
    """A router on the MiniLM encoder (the bundled one is static); its random predictor hashes each
    prompt's embedding, so a score changes whenever the embedding does."""
    from core.data.records import Comparison
    from core.training import train_router

    battles = [Comparison(f"training prompt {i}", "strong-model", "weak-model", 1.0, "arena_bench_v1") for i in range(4)]
    return train_router(battles, predictor="random", strong="strong-model", weak="weak-model", embedder=embedder)


def test_concurrent_identical_prompts_are_encoded_once() -> None:
    embedder = CountingEmbedder()
    router = _minilm_router(embedder)
    router.route("warm-up")
    prompts = [f"question {i % 5}: what is {i % 5} squared?" for i in range(80)]
    expected = {p: router.score_texts([p])[0] for p in set(prompts)}
    embedder._cache._data.clear()
    embedder.encoded.clear()
    barrier = threading.Barrier(8)
    results: list[tuple[str, float]] = []

    def work(k: int) -> None:
        barrier.wait()
        for p in prompts[k::8]:
            results.append((p, router.route(p).score))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(embedder.encoded) == sorted(set(prompts))  # each distinct prompt encoded exactly once
    assert all(score == pytest.approx(expected[p], abs=1e-9) for p, score in results) and len(results) == 80


def test_a_failed_encode_does_not_poison_waiters() -> None:
    class Failing(CountingEmbedder):
        fail = True

        def _encode(self, texts: list[str]) -> np.ndarray:
            if self.fail:
                raise RuntimeError("encoder down")
            return super()._encode(texts)

    embedder = Failing()
    with pytest.raises(RuntimeError, match="encoder down"):
        embedder.embed(["a"])
    embedder.fail = False
    assert embedder.embed(["a"]).shape[0] == 1  # the claim was released


async def test_aroute_keeps_the_event_loop_running(default_router) -> None:  # noqa: ANN001
    """While a route encodes in its worker thread the loop keeps running (no blocking call on it).

    The encode waits until the loop has ticked 100 times: a route that encoded on the loop's own
    thread would never see that (the wait times out and the test fails), however fast the encoder.
    Counting ticks during real encodes instead depended on how long they took.
    """
    gate = threading.Event()
    loop_thread = threading.get_ident()
    encode_threads: set[int] = set()

    class LoopGated:
        """The bundled router's embedder, each encode held until the event loop has ticked."""

        def __init__(self, inner) -> None:  # noqa: ANN001
            self.inner = inner

        @property
        def model_id(self) -> str:
            return self.inner.model_id

        def embed(self, texts):  # noqa: ANN001, ANN202
            encode_threads.add(threading.get_ident())
            assert gate.wait(timeout=30), "the event loop did not run while a route was encoding"
            return self.inner.embed(texts)

        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(self.inner, name)

    router = core.load_router(embedder=LoopGated(default_router.embedder))
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            if ticks == 100:
                gate.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    prompts = [f"async prompt {i} " + "word " * 300 for i in range(8)]
    decisions = await asyncio.gather(*(router.aroute(p) for p in prompts))
    done.set()
    await task
    assert encode_threads and loop_thread not in encode_threads
    assert [d.score for d in decisions] == [default_router.route(p).score for p in prompts]


# -- finding 9: the CLI ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "payload",
    [b"\x89PNG\r\n\x1a\n\x00\x00", "caf\xe9 cr\xe8me\n".encode("latin-1"), "hello\n".encode("utf-16")],
)
def test_cli_names_files_it_cannot_decode(tmp_path: Path, capsys, payload: bytes) -> None:  # noqa: ANN001
    from core.cli import main

    path = tmp_path / "prompts.txt"
    path.write_bytes(payload)
    assert main(["calibrate", "--prompts", str(path), "--strong-share", "0.3"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "not UTF-8" in err
    label = tmp_path / "labels.jsonl"
    label.write_bytes(payload)
    from core.labeling import load_labels

    with pytest.raises(WinrouteError, match=re.escape(str(label))):
        load_labels(label)


def test_cli_route_reads_stdin(monkeypatch, capsys) -> None:  # noqa: ANN001
    from core.cli import main

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9 is a word")))
    assert main(["route", "-", "--json"]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert "U+FFFD" in decision["reason"]  # non-UTF-8 bytes are noted, not a traceback
    messages = [{"role": "system", "content": "be terse"}, {"role": "user", "content": "prove it step by step"}]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(messages).encode())))
    assert main(["route", "-", "--json"]) == 0
    from_stdin = json.loads(capsys.readouterr().out)
    assert from_stdin["score"] == pytest.approx(core.default_router().route(messages).score)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"[1, 2]")))
    assert main(["route", "-"]) == 2
    assert "role" in capsys.readouterr().err


def test_golden_scores_outside_unit_interval_are_scaled(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    from core.labeling import load_labels

    rows = [
        {"prompt": "p1", "model": "gpt-4-1106-preview", "score": 0.41, "source": "meteor"},
        {"prompt": "p1", "model": "mixtral-8x7b-instruct-v0.1", "score": -0.033, "source": "meteor"},
        {"prompt": "p2", "model": "gpt-4-1106-preview", "score": -0.01, "source": "meteor"},
        {"prompt": "p2", "model": "mixtral-8x7b-instruct-v0.1", "score": 1.2, "source": "meteor"},
    ]
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with caplog.at_level("WARNING"):
        labels = load_labels(path, strong="gpt-4-1106-preview", weak="mixtral-8x7b-instruct-v0.1")
    assert [c.outcome for c in labels] == [1.0, 0.0]  # the same battles the raw scores give
    assert "outside [0, 1]" in caplog.text
    rows[0]["score"] = math.inf
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(WinrouteError, match="finite"):
        load_labels(path)
