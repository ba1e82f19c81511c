"""Labels from the decision log, for ``winroute adapt --from-log``: shadow labels and feedback.

A shadow label (``core.serve.shadow``) is a pairwise comparison already: P(strong beats weak).

A feedback score says how good one answer was; the log knows which child gave it. A weak answer
scored ``s`` is read as the label P(strong beats weak) = ``1 - s``: a good weak answer means the
strong model was not needed, a bad one that it was. Feedback on a strong answer says nothing about
what the weak model would have done, so it is not turned into a label (it is counted). Only
requests whose prompt was logged (``logging.log_prompts = true``) can become labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..data.records import Comparison
from .log import DecisionLog

__all__ = ["LogLabels", "labels_from_log", "labels_from_log_for_adapt"]


@dataclass(frozen=True)
class LogLabels:
    comparisons: list[Comparison]
    prompts: list[str]  # the logged traffic's prompts (most recent last): the threshold's reference
    skipped_strong: int
    feedback: int
    shadow: int = 0


def _url(database: str) -> str:
    return database if "://" in database else f"sqlite:///{Path(database).resolve()}"


def labels_from_log(database: str, *, max_prompts: int = 5000) -> LogLabels:
    """The log's feedback as strong-vs-weak comparisons (``model_a="strong"``), and its recent prompts."""
    if "://" not in database and not Path(database).is_file():
        raise FileNotFoundError(f"decision log not found: {database}")
    log = DecisionLog(_url(database))
    try:
        labels = log.feedback_labels()
        comparisons = [
            Comparison(prompt, "strong", "weak", 1.0 - score, source="feedback")
            for prompt, route, score in labels
            if route == "weak"
        ]
        shadow = [Comparison(p, "strong", "weak", outcome, source="shadow") for p, outcome in log.shadow_labels() if p]
        return LogLabels(
            comparisons + shadow,
            log.prompts(max_prompts),
            sum(route != "weak" for _, route, _ in labels),
            log.feedback_count(),
            len(shadow),
        )
    finally:
        log.dispose()


def labels_from_log_for_adapt(database: str) -> tuple[list[Comparison], list[str] | None]:
    """:func:`labels_from_log` for ``winroute adapt``: refused, saying why, when the log holds no usable label."""
    from ..adaptation.errors import AdaptationError

    found = labels_from_log(database)
    if not found.comparisons:
        raise AdaptationError(
            f"{database} holds no usable labels: {found.feedback} request(s) with feedback, {found.skipped_strong} of them "
            "on strong answers (no label), no shadow label, and only requests whose prompt was logged count "
            "(logging.log_prompts = true)"
        )
    print(
        f"{len(found.comparisons) - found.shadow} labels from feedback on weak answers and {found.shadow} shadow "
        f"labels in {database}"
        f"{f' ({found.skipped_strong} on strong answers skipped)' if found.skipped_strong else ''}; "
        f"threshold set on its {len(found.prompts)} logged prompts"
    )
    return found.comparisons, found.prompts or None
