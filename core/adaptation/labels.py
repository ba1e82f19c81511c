"""The user's labels: comparison files in, strong-vs-weak battles in the predictor's names out.

A label is a :class:`core.data.Comparison`: ``prompt``, ``model_a``, ``model_b``, ``outcome``
(P(model_a beats model_b): 1, 0, 0.5 for a tie, or anything between). ``winroute label``
(``core.labeling``) writes them; :func:`load_comparisons` reads its files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..data.models import canonical_model
from ..data.records import Comparison
from ..errors import UnknownModelError, WinrouteError
from ..labeling import load_labels
from .errors import AdaptationError

__all__ = ["label_battles", "load_comparisons"]


def load_comparisons(path: str | Path, *, strong: str | None = None, weak: str | None = None) -> list[Comparison]:
    """Labels from a ``winroute label`` file (``core.labeling.load_labels``): comparisons, or golden
    per-model outcomes turned into battles of ``strong`` vs ``weak``.

    If that pair has no outcomes, the file is read again without it, so labels naming other
    models reach :func:`label_battles` and its error.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"labels file not found: {file}")
    if not (strong and weak):
        return _nonempty(list(load_labels(file)), file)
    try:
        return _nonempty(list(load_labels(file, strong=strong, weak=weak)), file)
    except (ValueError, WinrouteError) as exc:  # e.g. outcomes of other models only: say which
        try:
            other = list(load_labels(file))
        except (ValueError, WinrouteError):
            raise exc from None
        if not other:
            raise
        return other


def _nonempty(labels: list[Comparison], file: Path) -> list[Comparison]:
    if not labels:
        raise AdaptationError(f"{file} holds no labels")
    return labels


def label_battles(
    router: Any, comparisons: Sequence[Comparison], *, roles: Mapping[str, str] | None = None
) -> list[Comparison]:
    """The labels as battles between the router's strong and weak model, in its predictor's names.

    Model names are matched as the router matches them (exact or canonical name, or the words
    ``strong`` / ``weak``), and first against ``roles`` ({model: "strong" | "weak"}: the user's
    own models standing in for the router's two). Labels naming a model known neither way raise
    :class:`~core.errors.UnknownModelError` listing every such name.
    """
    if not comparisons:
        raise AdaptationError("no labels to adapt on")
    names = {
        "strong": router.predictor_models.get(router.strong, router.strong),
        "weak": router.predictor_models.get(router.weak, router.weak),
    }
    own = {canonical_model(m): r for m, r in (roles or {}).items()}
    bad = sorted(set(own.values()) - {"strong", "weak"})
    if bad:
        raise AdaptationError(f"roles must be 'strong' or 'weak', got {bad}")
    unknown: dict[str, int] = {}
    out: list[Comparison] = []
    for c in comparisons:
        routes = []
        for model in (c.model_a, c.model_b):
            if canonical_model(model) in own:
                routes.append(own[canonical_model(model)])
                continue
            try:
                routes.append(router.resolve_route(model))
            except UnknownModelError:
                unknown[model] = unknown.get(model, 0) + 1
        if len(routes) < 2:
            continue
        if routes[0] == routes[1]:
            raise AdaptationError(
                f"a label compares {c.model_a!r} with {c.model_b!r}, both the router's {routes[0]} model: "
                f"labels must compare {router.strong!r} with {router.weak!r}"
            )
        out.append(Comparison(c.prompt, names[routes[0]], names[routes[1]], c.outcome, c.source or "user", c.weight))
    if unknown:
        listed = ", ".join(f"{m!r} ({n} label{'s' if n > 1 else ''})" for m, n in sorted(unknown.items()))
        raise UnknownModelError(
            f"the labels name model(s) this router has never seen: {listed}; it routes between "
            f"strong={router.strong!r} and weak={router.weak!r}: label battles between those two "
            "(or call them 'strong' and 'weak'), or say which of your models takes which role "
            "(adapt --strong MODEL --weak MODEL)"
        )
    return out
