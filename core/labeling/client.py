"""Chat completions from any OpenAI-compatible endpoint, with exponential-backoff retries."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import EndpointError, EndpointUnreachableError, LabelingError

__all__ = ["DEFAULT_BASE_URL", "ChatEndpoint", "ChatReply", "RetryPolicy"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUS = {408, 409, 429}  # and every 5xx


@dataclass(frozen=True)
class ChatReply:
    """One completion: its text and, when the endpoint reports usage, its token counts."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Retry rate limits, 408/409/5xx and connection errors ``max_retries`` times.

    The wait before retry k (0-based) is ``min(max_delay, base_delay * 2**k)``, raised to the
    server's ``Retry-After`` (capped at ``max_delay``) when it sends one.
    """

    max_retries: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(f"RetryPolicy values must be >= 0, got {self}")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``attempt`` (0-based)."""
        wait = min(self.max_delay, self.base_delay * (2**attempt))
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ChatEndpoint:
    """An OpenAI-compatible ``/chat/completions`` endpoint reached with the ``openai`` package.

    ``base_url`` and ``api_key`` default to ``$OPENAI_BASE_URL`` / ``$OPENAI_API_KEY``
    (base URL: the OpenAI API). Servers that need no key still need some value: pass any
    placeholder. The client's own retries are off; :class:`RetryPolicy` governs them, and
    ``attempts`` / ``retries`` count what happened.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise LabelingError(
                f"no API key for {self.base_url}: pass --api-key / api_key= or set OPENAI_API_KEY "
                "(any placeholder works for a server that needs no key)"
            )
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - openai is an optional dependency
            raise LabelingError("labeling needs the 'openai' package: pip install 'winroute[openai]'") from exc
        self._openai = openai
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, max_retries=0, timeout=timeout)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.attempts = 0
        self.retries = 0

    def complete(self, model: str, messages: Sequence[Mapping[str, str]], **params: Any) -> ChatReply:
        """One chat completion, retried on transient failures; errors name the URL and model."""
        openai = self._openai
        last: Exception | None = None
        tries = self.retry.max_retries + 1
        for attempt in range(tries):
            if attempt:
                self.retries += 1
                self._sleep(self.retry.delay(attempt - 1, _retry_after(last) if last else None))
            self.attempts += 1
            try:
                response = self._client.chat.completions.create(
                    model=model,
                    messages=[dict(m) for m in messages],  # type: ignore[misc]
                    **params,
                )
            except openai.APIStatusError as exc:
                if exc.status_code in _RETRY_STATUS or exc.status_code >= 500:
                    last = exc
                    continue
                raise EndpointError(
                    f"{self.base_url} refused the request for model {model!r}: HTTP {exc.status_code}: {exc.message}"
                ) from exc
            except openai.APIConnectionError as exc:  # includes timeouts
                last = exc
                continue
            return self._reply(response, model)
        if isinstance(last, openai.APIStatusError):
            raise EndpointError(
                f"{self.base_url} kept failing for model {model!r}: HTTP {last.status_code} "
                f"after {tries} attempt(s): {last.message}"
            ) from last
        cause = getattr(last, "__cause__", None) or last
        raise EndpointUnreachableError(
            f"cannot reach the OpenAI-compatible endpoint at {self.base_url} (model {model!r}) "
            f"after {tries} attempt(s): {cause}"
        ) from last

    def _reply(self, response: Any, model: str) -> ChatReply:
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise EndpointError(f"{self.base_url} returned no choices for model {model!r}")
        text = getattr(choices[0].message, "content", None) or ""
        usage = getattr(response, "usage", None)
        tokens_in = getattr(usage, "prompt_tokens", None) if usage is not None else None
        tokens_out = getattr(usage, "completion_tokens", None) if usage is not None else None
        return ChatReply(text, tokens_in, tokens_out)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
