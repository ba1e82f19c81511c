"""Structured output through the router, each child in its own way, in one call.

``RouterChatModel.with_structured_output(schema, method=...)`` asks every child for its own
structured-output runnable (``child.with_structured_output(schema, method=...)``: for
``ChatOpenAI`` a binding of ``response_format`` and a JSON parser; for a tool-calling model a
binding of the schema as a tool and a tool parser) and splits it into what the child's
binding passes to the model and the parser after it. At call time the router routes once,
calls the chosen child with that child's kwargs, and parses the answer with that child's
parser. A parsing error is raised (or, with ``include_raw``, returned) and never retried on
another child; the raw message carries the routing record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import (
    Runnable,
    RunnableBinding,
    RunnableConfig,
    RunnableLambda,
    RunnableMap,
    RunnablePassthrough,
    RunnableSequence,
)

from .messages import router_record

STRUCTURED_KEY = "winroute_structured"
"""Call kwarg carrying each route's structured-output kwargs (set by ``with_structured_output``)."""
_TRACING_KWARGS = ("ls_structured_output_format", "structured_output_format")


@dataclass(frozen=True)
class ChildStructured:
    """One child's structured output: the kwargs its binding passes to the model, and its parser."""

    kwargs: dict[str, Any]
    parser: Runnable[Any, Any]


def split_structured(child: BaseChatModel, schema: Any, method: str, options: Mapping[str, Any]) -> ChildStructured:
    """``child.with_structured_output(...)`` as (binding kwargs, parser)."""
    runnable = child.with_structured_output(schema, method=method, include_raw=False, **options)
    if not isinstance(runnable, RunnableSequence):
        raise TypeError(
            f"{type(child).__name__}.with_structured_output returned a {type(runnable).__name__}, not a model "
            "binding followed by a parser; RouterChatModel cannot route it"
        )
    bound: Any = runnable.first
    kwargs: dict[str, Any] = {}
    while isinstance(bound, RunnableBinding):
        kwargs = {**bound.kwargs, **kwargs}
        bound = bound.bound
    if bound is not child:
        raise TypeError(f"{type(child).__name__}.with_structured_output does not start with the model itself")
    rest = [*runnable.middle, runnable.last]
    parser = rest[0] if len(rest) == 1 else RunnableSequence(*rest)
    return ChildStructured({k: v for k, v in kwargs.items() if k not in _TRACING_KWARGS}, parser)


def structured_runnable(
    router: BaseChatModel, per_route: Mapping[str, ChildStructured], *, include_raw: bool, tracing: Mapping[str, Any]
) -> Runnable[Any, Any]:
    """The router bound to each route's kwargs, followed by the answering child's parser."""
    llm = router.bind(
        **{STRUCTURED_KEY: {r: c.kwargs for r, c in per_route.items()}, "ls_structured_output_format": dict(tracing)}
    )

    def parse(message: Any, config: RunnableConfig) -> Any:
        record = router_record(message) or {}
        route = record.get("child_route")
        if not isinstance(route, str) or route not in per_route:
            raise ValueError(f"structured output: the answer has no routing record naming a child (got {route!r})")
        return per_route[route].parser.invoke(message, config)

    parser = RunnableLambda(parse, name="winroute_structured_parser")
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    unparsed = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([unparsed], exception_key="parsing_error")
