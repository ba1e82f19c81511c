"""The children as upstreams: one ``openai.AsyncOpenAI`` client per child (timeout, retries, key).

A request body is forwarded as the client sent it (tools, ``tool_choice``, ``response_format``,
sampling options...) but for the model name, which becomes the child's. Answers come back as
plain dicts, so that whatever fields the upstream adds pass through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from openai import AsyncOpenAI

from .config import Child

__all__ = ["Upstream", "usage_of"]


def _plain(obj: Any) -> dict[str, Any]:
    """An openai response object as the JSON the upstream sent (fields it did not send left out)."""
    return obj.model_dump(mode="json", exclude_unset=True)


def usage_of(payload: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(prompt_tokens, completion_tokens)`` of a completion or a usage chunk, if it says."""
    usage = payload.get("usage")
    if not isinstance(usage, Mapping):
        return None
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


class Upstream:
    """One child: its config and an async OpenAI client for it."""

    def __init__(self, route: str, child: Child) -> None:
        self.route = route
        self.child = child
        self.client = AsyncOpenAI(
            base_url=child.base_url,
            api_key=child.api_key(f"children.{route}"),
            timeout=child.timeout,
            max_retries=child.max_retries,
        )

    def _request(self, messages: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict[str, Any]:
        # every option travels in extra_body: the openai client forwards it as sent, known or not
        return {"model": self.child.model, "messages": list(messages), "extra_body": dict(options)}

    async def complete(self, messages: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict[str, Any]:
        """A whole chat completion."""
        return _plain(await self.client.chat.completions.create(**self._request(messages, options), stream=False))

    async def stream(
        self, messages: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """The completion's chunks; usage is always asked for (the log counts tokens)."""
        options = {**options, "stream_options": {**(options.get("stream_options") or {}), "include_usage": True}}
        stream = await self.client.chat.completions.create(**self._request(messages, options), stream=True)
        return _chunks(stream)

    async def aclose(self) -> None:
        await self.client.close()


async def _chunks(stream: Any) -> AsyncIterator[dict[str, Any]]:
    try:
        async for chunk in stream:
            yield _plain(chunk)
    finally:
        await stream.close()
