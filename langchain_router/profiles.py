"""What every child supports: the router's ``profile`` from its children's.

``create_agent`` and profile-reading middleware read ``model.profile`` (e.g. whether the
model supports provider-native structured output). A router can promise only what all its
children can do: a capability is true when it is true for every child, a limit is the
smallest child's, and anything a child does not state is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import ModelProfile


def common_profile(profiles: Sequence[Mapping[str, Any] | None]) -> ModelProfile | None:
    """The profile every child meets; None when some child has none."""
    if not profiles or any(p is None for p in profiles):
        return None
    keys = set.intersection(*(set(p) for p in profiles))  # type: ignore[arg-type]
    out: dict[str, Any] = {}
    for key in sorted(keys):
        values = [p[key] for p in profiles]  # type: ignore[index]
        if all(isinstance(v, bool) for v in values):
            out[key] = all(values)
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[key] = min(values)
        elif all(v == values[0] for v in values):
            out[key] = values[0]
    return ModelProfile(**out)  # type: ignore[typeddict-item]
