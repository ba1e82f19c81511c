"""Bounding and cleaning the text a router reads, once, where it enters (issue 18, findings 1-2).

Every per-prompt step (features, tokenizer, encoder) must take linear, bounded time whatever
a caller sends: a prompt longer than :data:`MAX_TEXT_CHARS` is routed on its first and last
:data:`HEAD_CHARS` characters (the encoder keeps a head and a tail of tokens anyway, so its
vector does not change). Text that UTF-8 cannot encode (unpaired surrogates, e.g. from
JavaScript strings or ``surrogateescape``-decoded argv) has those code points replaced with
U+FFFD instead of crashing the tokenizer. Both are said in the decision's reason.
"""

from __future__ import annotations

MAX_TEXT_CHARS = 32_000
"""Characters of one prompt that features and tokenizer see at most."""
SEPARATOR = "\n"
"""Joins the head and tail of a capped prompt (whitespace: the tokenizer adds no token for it)."""
HEAD_CHARS = (MAX_TEXT_CHARS - len(SEPARATOR)) // 2
TAIL_CHARS = MAX_TEXT_CHARS - len(SEPARATOR) - HEAD_CHARS


def cap_text(text: str) -> str:
    """``text`` itself, or its first and last characters when it is over :data:`MAX_TEXT_CHARS` (idempotent)."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return text[:HEAD_CHARS] + SEPARATOR + text[len(text) - TAIL_CHARS :]


def replace_surrogates(text: str) -> str:
    """``text`` with unpaired surrogates replaced by U+FFFD (a split pair is joined back into its character)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def bound_text(text: str) -> str:
    """The text every per-prompt step reads: capped, then cleaned of unpaired surrogates."""
    return replace_surrogates(cap_text(text))


def clean_text(text: str) -> tuple[str, tuple[str, ...]]:
    """:func:`bound_text` plus a note for each change made (for the decision's reason)."""
    notes: list[str] = []
    capped = cap_text(text)
    if capped is not text:
        notes.append(
            f"prompt of {len(text):,} characters truncated: routed on its first {HEAD_CHARS:,} and last {TAIL_CHARS:,}"
        )
    cleaned = replace_surrogates(capped)
    if cleaned is not capped:
        notes.append("surrogate code points UTF-8 cannot encode: unpaired ones replaced with U+FFFD")
    return cleaned, tuple(notes)
