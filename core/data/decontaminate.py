"""Remove training records whose prompt is (nearly) an evaluation prompt.

Three rules, applied in order to the distinct training prompts:

1. ``exact``: equal after :func:`normalize_prompt` (NFKC, casefold, curly quotes folded,
   whitespace collapsed);
2. ``containment``: one normalised text contains the other (texts of at least
   ``min_containment_chars``; catches GSM8K questions wrapped in instruction templates);
3. ``embedding``: cosine similarity >= ``threshold`` to an eval prompt (needs ``embed``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

__all__ = ["DecontaminationReport", "DroppedExample", "decontaminate", "normalize_prompt"]

R = TypeVar("R")
EmbedFn = Callable[[list[str]], np.ndarray]
RULES = ("exact", "containment", "embedding")

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u0060": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_WS = re.compile(r"\s+")


def normalize_prompt(text: str) -> str:
    """NFKC, casefold, curly quotes -> straight, runs of whitespace -> one space, trimmed."""
    t = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    return _WS.sub(" ", t).strip()


# ---------------------------------------------------------------------------- report


@dataclass(frozen=True)
class DroppedExample:
    """One dropped training prompt and the eval prompt it matched (both truncated)."""

    rule: str
    source: str
    train_prompt: str
    eval_prompt: str
    similarity: float | None = None


@dataclass
class DecontaminationReport:
    """What :func:`decontaminate` removed, by rule and by source."""

    n_records: int = 0
    n_kept: int = 0
    n_train_prompts: int = 0  # distinct normalised training prompts
    n_eval_prompts: int = 0  # distinct normalised eval prompts
    dropped_by_rule: dict[str, int] = field(default_factory=dict)  # records
    dropped_prompts_by_rule: dict[str, int] = field(default_factory=dict)  # distinct train prompts
    dropped_by_source: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> rule -> records
    matched_eval_prompts: int = 0  # distinct eval prompts hit by any rule
    embedding_checked: bool = False
    threshold: float = 0.95
    examples: list[DroppedExample] = field(default_factory=list)

    @property
    def n_dropped(self) -> int:
        """Records removed."""
        return self.n_records - self.n_kept

    def __str__(self) -> str:
        pct = 100.0 * self.n_dropped / self.n_records if self.n_records else 0.0
        rules = ", ".join(f"{r} {self.dropped_by_rule.get(r, 0)}" for r in RULES)
        lines = [
            f"Decontamination: dropped {self.n_dropped} of {self.n_records} records ({pct:.2f}%); "
            f"{sum(self.dropped_prompts_by_rule.values())} of {self.n_train_prompts} distinct training prompts "
            f"matched {self.matched_eval_prompts} of {self.n_eval_prompts} eval prompts",
            f"  by rule (records): {rules}"
            + ("" if self.embedding_checked else " (embedding not checked: no embed callable)"),
        ]
        for src, per_rule in sorted(self.dropped_by_source.items()):
            detail = ", ".join(f"{r} {n}" for r, n in per_rule.items())
            lines.append(f"  {src or '<no source>'}: {sum(per_rule.values())} ({detail})")
        for ex in self.examples:
            sim = f" sim={ex.similarity:.3f}" if ex.similarity is not None else ""
            lines.append(f"  e.g. [{ex.rule}{sim}] {ex.source}: {ex.train_prompt!r} ~ {ex.eval_prompt!r}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- containment index


class _SubstringIndex:
    """Finds which of many "needle" texts occur inside a "haystack" text, fast.

    Each needle (length >= ``min_len``) is indexed by ``stride`` consecutive k-grams taken
    at a rare offset ``j`` (k = min_len - stride + 1). If a needle occurs at offset ``o`` of
    a haystack, positions ``o+j .. o+j+stride-1`` hold exactly one multiple of ``stride``,
    and the haystack's k-gram there is one of the indexed grams; so probing only every
    ``stride``-th haystack position finds every candidate, which ``in`` then verifies.
    """

    def __init__(self, needles: Sequence[str], min_len: int) -> None:
        self.needles = needles
        self.stride = max(1, min(8, min_len // 5))
        self.k = max(1, min_len - self.stride + 1)
        self.min_len = min_len
        self.grams: dict[str, list[int]] = defaultdict(list)
        offsets = {i: self._candidate_offsets(len(n)) for i, n in enumerate(needles) if len(n) >= min_len}
        df = Counter(needles[i][j : j + self.k] for i, js in offsets.items() for j in js)
        for i, js in offsets.items():
            n = needles[i]
            j = min(js, key=lambda o: df[n[o : o + self.k]])
            for g in {n[j + r : j + r + self.k] for r in range(self.stride)}:
                self.grams[g].append(i)

    def _candidate_offsets(self, length: int) -> list[int]:
        """Offsets j with j + stride - 1 + k <= length, spread over the text."""
        last = length - self.min_len
        return sorted({0, last // 4, last // 2, (3 * last) // 4, last})

    def find_in(self, haystack: str) -> list[int]:
        """Indices of needles occurring in ``haystack``."""
        found: list[int] = []
        tried: set[int] = set()
        k, grams = self.k, self.grams
        for p in range(0, len(haystack) - k + 1, self.stride):
            ids = grams.get(haystack[p : p + k])
            if not ids:
                continue
            for i in ids:
                if i not in tried:
                    tried.add(i)
                    if self.needles[i] in haystack:
                        found.append(i)
        return found


def _containment_matches(train: Sequence[str], evals: Sequence[str], min_len: int) -> dict[int, int]:
    """train index -> an eval index where one text contains the other (both >= min_len)."""
    long_train = [i for i, t in enumerate(train) if len(t) >= min_len]
    long_eval = [i for i, e in enumerate(evals) if len(e) >= min_len]
    matches: dict[int, int] = {}
    if not long_train or not long_eval:
        return matches
    eval_index = _SubstringIndex([evals[i] for i in long_eval], min_len)
    for ti in long_train:  # eval prompt inside a training prompt (template-wrapped)
        hits = eval_index.find_in(train[ti])
        if hits:
            matches[ti] = long_eval[hits[0]]
    remaining = [ti for ti in long_train if ti not in matches]
    if remaining:
        train_index = _SubstringIndex([train[i] for i in remaining], min_len)
        for ei in long_eval:  # training prompt inside an eval prompt
            for hit in train_index.find_in(evals[ei]):
                matches.setdefault(remaining[hit], ei)
    return matches


# ---------------------------------------------------------------------------- embeddings


def _embed_rows(embed: EmbedFn, texts: list[str], chunk: int) -> np.ndarray:
    """Embed texts in chunks; re-normalise rows defensively (float32)."""
    from tqdm.auto import tqdm

    parts = []
    starts = range(0, len(texts), chunk)
    for s in tqdm(starts, desc="decontamination: embedding", unit="chunk", disable=len(starts) < 2):
        batch = texts[s : s + chunk]
        emb = np.asarray(embed(batch), dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(batch):
            raise ValueError(f"embed returned shape {emb.shape} for {len(batch)} texts; expected (n, dim)")
        parts.append(emb)
    rows = np.concatenate(parts, axis=0)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def _embedding_matches(
    train: list[str], evals: list[str], embed: EmbedFn, threshold: float, chunk: int
) -> dict[int, tuple[int, float]]:
    """train index -> (best eval index, cosine) for pairs with cosine >= threshold."""
    if not train or not evals:
        return {}
    ev = _embed_rows(embed, evals, chunk)
    from tqdm.auto import tqdm

    matches: dict[int, tuple[int, float]] = {}
    starts = range(0, len(train), chunk)
    for s in tqdm(starts, desc="decontamination: training prompts", unit="chunk", disable=len(starts) < 2):
        tr = _embed_rows(embed, train[s : s + chunk], chunk)
        if tr.shape[1] != ev.shape[1]:
            raise ValueError(f"embedding sizes differ: train {tr.shape[1]}, eval {ev.shape[1]}")
        sims = tr @ ev.T
        best = sims.argmax(axis=1)
        best_sim = sims[np.arange(len(best)), best]
        for r in np.nonzero(best_sim >= threshold)[0]:
            matches[s + int(r)] = (int(best[r]), float(best_sim[r]))
    return matches


# ---------------------------------------------------------------------------- main entry


def _distinct_normalised(texts: Sequence[str]) -> tuple[list[str], list[str], dict[str, int]]:
    """(normalised texts, first original per text, raw text -> index), empties dropped."""
    norm: list[str] = []
    orig: list[str] = []
    index_of_norm: dict[str, int] = {}
    raw_to_idx: dict[str, int] = {}
    for raw in texts:
        if raw in raw_to_idx:
            continue
        n = normalize_prompt(raw)
        if not n:
            continue
        idx = index_of_norm.get(n)
        if idx is None:
            idx = index_of_norm[n] = len(norm)
            norm.append(n)
            orig.append(raw)
        raw_to_idx[raw] = idx
    return norm, orig, raw_to_idx


def _clip(text: str, n: int = 100) -> str:
    """Short single-line preview."""
    t = _WS.sub(" ", text).strip()
    return t if len(t) <= n else t[: n - 3] + "..."


def decontaminate(
    records: Sequence[R],
    eval_prompts: Sequence[str],
    *,
    embed: EmbedFn | None = None,
    threshold: float = 0.95,
    min_containment_chars: int = 40,
    chunk_size: int = 1024,
    max_examples: int = 3,
) -> tuple[list[R], DecontaminationReport]:
    """Drop records (Comparison, Outcome or anything with ``.prompt``) that leak eval prompts.

    Returns the kept records (order preserved) and a report. ``embed`` maps a list of
    texts to L2-normalised rows; the similarity check runs in ``chunk_size`` blocks on the
    distinct training prompts left after the exact / containment rules.
    """
    if min_containment_chars < 1:
        raise ValueError("min_containment_chars must be >= 1")
    train_norm, train_orig, train_idx = _distinct_normalised([r.prompt for r in records])  # type: ignore[attr-defined]
    eval_norm, eval_orig, _ = _distinct_normalised(list(eval_prompts))
    eval_pos = {n: i for i, n in enumerate(eval_norm)}

    hit: dict[int, tuple[str, int, float | None]] = {}  # train idx -> (rule, eval idx, sim)
    for ti, n in enumerate(train_norm):
        if n in eval_pos:
            hit[ti] = ("exact", eval_pos[n], None)
    rest = [ti for ti in range(len(train_norm)) if ti not in hit]
    for local, ei in _containment_matches([train_norm[t] for t in rest], eval_norm, min_containment_chars).items():
        hit[rest[local]] = ("containment", ei, None)
    if embed is not None:
        rest = [ti for ti in range(len(train_norm)) if ti not in hit]
        found = _embedding_matches([train_orig[t] for t in rest], eval_orig, embed, threshold, chunk_size)
        for local, (ei, sim) in found.items():
            hit[rest[local]] = ("embedding", ei, sim)

    report = DecontaminationReport(
        n_records=len(records),
        n_train_prompts=len(train_norm),
        n_eval_prompts=len(eval_norm),
        embedding_checked=embed is not None,
        threshold=threshold,
        dropped_by_rule={r: 0 for r in RULES},
        dropped_prompts_by_rule=dict(Counter(rule for rule, _, _ in hit.values())),
        matched_eval_prompts=len({ei for _, ei, _ in hit.values()}),
    )
    kept = _apply(records, train_idx, hit, report, train_orig, eval_orig, max_examples)
    report.n_kept = len(kept)
    return kept, report


def _apply(
    records: Sequence[R],
    train_idx: dict[str, int],
    hit: dict[int, tuple[str, int, float | None]],
    report: DecontaminationReport,
    train_orig: list[str],
    eval_orig: list[str],
    max_examples: int,
) -> list[R]:
    """Filter records, filling the report's per-rule / per-source counts and examples."""
    kept: list[R] = []
    per_source: dict[str, Counter[str]] = defaultdict(Counter)
    shown: Counter[str] = Counter()
    shown_prompts: set[int] = set()
    for rec in records:
        ti = train_idx.get(rec.prompt, -1)  # type: ignore[attr-defined]
        match = hit.get(ti)
        if match is None:
            kept.append(rec)
            continue
        rule, ei, sim = match
        source = str(getattr(rec, "source", "") or "")
        report.dropped_by_rule[rule] += 1
        per_source[source][rule] += 1
        if shown[rule] < max_examples and ti not in shown_prompts:
            shown[rule] += 1
            shown_prompts.add(ti)
            report.examples.append(DroppedExample(rule, source, _clip(train_orig[ti]), _clip(eval_orig[ei]), sim))
    report.dropped_by_source = {s: dict(c) for s, c in sorted(per_source.items())}
    return kept
