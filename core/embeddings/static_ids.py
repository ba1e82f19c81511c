"""Static embedder ids: ``static`` or ``static:<base model>[#<option>=<value>,...]`` and what they name.

Kept apart from :mod:`core.embeddings.static` (the embedder) and :mod:`core.embeddings.distill`
(the train-time distillation) so both can read an id without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["DTYPES", "STATIC_PREFIX", "StaticSpec", "is_static_id", "parse_static_id"]

STATIC_PREFIX = "static"
DTYPES = ("int8", "float16", "float32")


@dataclass(frozen=True)
class StaticSpec:
    """What a static table is distilled from and how: the content of a ``static:`` id."""

    base: str = "all-MiniLM-L6-v2"
    pca: int = 256  # 0 keeps the encoder's width
    sif: float = 1e-4  # Zipf/SIF down-weighting of frequent tokens (0: off)
    dtype: str = "int8"  # storage in the artifact; routing runs on float32

    @property
    def model_id(self) -> str:
        defaults = StaticSpec(base=self.base)
        opts = [f"{k}={getattr(self, k)}" for k in ("pca", "sif", "dtype") if getattr(self, k) != getattr(defaults, k)]
        return f"{STATIC_PREFIX}:{self.base}" + (f"#{','.join(opts)}" if opts else "")


def is_static_id(model_id: str) -> bool:
    """True for ``static`` and ``static:...`` embedder ids."""
    return model_id == STATIC_PREFIX or model_id.startswith(STATIC_PREFIX + ":")


def parse_static_id(model_id: str) -> StaticSpec:
    """``static:<base>[#k=v,...]`` -> :class:`StaticSpec`; a clear ``ValueError`` on anything else."""
    if not is_static_id(model_id):
        raise ValueError(f"not a static embedder id: {model_id!r} (expected 'static' or 'static:<model>[#k=v,...]')")
    rest = model_id[len(STATIC_PREFIX) + 1 :]
    base, _, options = rest.partition("#")
    spec = StaticSpec(base=base or StaticSpec.base)
    for item in filter(None, options.split(",")):
        key, sep, value = item.partition("=")
        try:
            if not sep or key not in ("pca", "sif", "dtype"):
                raise ValueError(f"unknown option {item!r}")
            if key == "dtype":
                spec = replace(spec, dtype=value)
            elif key == "pca":
                spec = replace(spec, pca=int(value))
            else:
                spec = replace(spec, sif=float(value))
        except ValueError as exc:
            raise ValueError(
                f"static embedder id {model_id!r}: {exc} (options: pca=<int>, sif=<float>, dtype=...)"
            ) from exc
    if spec.dtype not in DTYPES:
        raise ValueError(f"static embedder id {model_id!r}: dtype must be one of {DTYPES}, got {spec.dtype!r}")
    if spec.pca < 0 or spec.sif < 0:
        raise ValueError(f"static embedder id {model_id!r}: pca and sif must be >= 0")
    return spec
