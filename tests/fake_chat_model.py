"""A deterministic, offline chat model for the tests and the example notebooks: it answers, calls tools, counts tokens.

``FakeToolChatModel`` stands in for a provider model where no API key is at hand (a fake: the
tests check routing and plumbing, not answers; the LangChain notebooks fall back to it offline,
importing it from here). It implements ``bind_tools`` and so structured output, streams word by
word, and reports ``usage_metadata`` and ``model_name`` as providers do. Not part of the package.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_QUOTED = re.compile(r"(?<!\w)'([^']+)'(?!\w)|\"([^\"]+)\"|“([^”]+)”")
_FORCING = ("any", "required", True)


class FakeToolChatModel(BaseChatModel):
    """Deterministic chat model: replies ``"[<model_name>] <answer>"``, calls bound tools.

    - Tools bound and the last message from the user (or ``tool_choice`` forcing a call):
      it calls one tool (the one named by ``tool_choice``, else one named in the user text,
      else the first), filling arguments from the user text: numbers in order for numeric
      fields, quoted text (or the whole text) for strings.
    - After a tool result it answers with that result; otherwise it echoes the user text.
    - Stop sequences cut the answer; usage counts words; ``model_name`` is on the answer
      (on the last chunk when streaming).
    """

    model_name: str = "fake-chat-model"
    calls: list[dict[str, Any]] = Field(default_factory=list, exclude=True)
    """One entry per call (tools and tool_choice it got, the user text): for tests."""

    @property
    def _llm_type(self) -> str:
        return "fake-tool-chat-model"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider="fake", ls_model_name=kwargs.get("model", self.model_name), ls_model_type="chat")
        if stop:
            params["ls_stop"] = stop
        return params

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        strict = kwargs.pop("strict", None)
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    # -- answering ---------------------------------------------------------------------------
    def _answer(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> AIMessage:
        tools: list[dict[str, Any]] = list(kwargs.get("tools") or [])
        choice = kwargs.get("tool_choice")
        text = _last_user_text(messages)
        self.calls.append({"text": text, "tools": [_tool_name(t) for t in tools], "tool_choice": choice})
        last = messages[-1] if messages else None
        if tools and choice != "none" and (choice not in (None, "auto") or isinstance(last, HumanMessage)):
            tool = _pick_tool(tools, choice, text)
            function = tool.get("function", tool)
            args = _fill_args(function.get("parameters") or {}, text)
            digest = hashlib.sha1(f"{function['name']}|{json.dumps(args, sort_keys=True)}|{len(messages)}".encode())
            call = {"name": function["name"], "args": args, "id": f"call_{digest.hexdigest()[:12]}", "type": "tool_call"}
            return AIMessage(
                "",
                tool_calls=[call],
                usage_metadata=_usage(messages, json.dumps(args)),
                response_metadata={"model_name": self.model_name, "finish_reason": "tool_calls"},
            )
        if isinstance(last, ToolMessage):
            answer = f"[{self.model_name}] The tool returned: {_text(last.content)}"
        else:
            answer = f"[{self.model_name}] {text or 'Hello!'}"
        for token in stop or []:
            if token and token in answer:
                answer = answer[: answer.index(token)]
        return AIMessage(
            answer,
            usage_metadata=_usage(messages, answer),
            response_metadata={"model_name": self.model_name, "finish_reason": "stop"},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages, stop, kwargs))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._answer(messages, stop, kwargs)
        pieces = [p for p in re.split(r"(\s+)", message.text) if p]
        for piece in pieces:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        if message.tool_calls:
            tool_chunks = [
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type": "tool_call_chunk"}
                for i, c in enumerate(message.tool_calls)
            ]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=tool_chunks))
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=message.usage_metadata,
                response_metadata=dict(message.response_metadata),
                chunk_position="last",
            )
        )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and part.get("type") == "text":
            parts.append(str(part.get("text", "")))
    return " ".join(parts)


def _last_user_text(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return _text(message.content).strip()
    return ""


def _tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("function", tool).get("name", ""))


def _pick_tool(tools: list[dict[str, Any]], choice: Any, text: str) -> dict[str, Any]:
    wanted = None
    if isinstance(choice, str) and choice not in _FORCING and choice != "auto":
        wanted = choice
    elif isinstance(choice, dict):
        wanted = choice.get("function", choice).get("name")
    if wanted:
        for tool in tools:
            if _tool_name(tool) == wanted:
                return tool
        raise ValueError(f"tool_choice names {wanted!r}, which is not among the bound tools")
    lowered = text.lower()
    for tool in tools:
        name = _tool_name(tool).lower()
        if name and (name in lowered or name.replace("_", " ") in lowered):
            return tool
    return tools[0]


def _fill_args(schema: dict[str, Any], text: str) -> dict[str, Any]:
    numbers = iter(_NUMBER.findall(text))
    quoted = iter(next(g for g in m if g) for m in _QUOTED.findall(text))
    args: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        kind = _kind(prop)
        if "enum" in prop and prop["enum"]:
            args[name] = prop["enum"][0]
        elif kind == "integer":
            args[name] = int(float(next(numbers, "0")))
        elif kind == "number":
            args[name] = float(next(numbers, "0"))
        elif kind == "boolean":
            args[name] = True
        elif kind == "array":
            args[name] = []
        elif kind == "object":
            args[name] = {}
        else:
            args[name] = next(quoted, None) or text or name
    return args


def _kind(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None:
        for option in prop.get("anyOf") or prop.get("oneOf") or []:
            if option.get("type") not in (None, "null"):
                return _kind(option)
    return str(kind or "string")


def _usage(messages: Sequence[BaseMessage], output: str) -> UsageMetadata:
    inputs = sum(len(_text(m.content).split()) + 1 for m in messages)
    outputs = max(1, len(output.split()))
    return UsageMetadata(input_tokens=inputs, output_tokens=outputs, total_tokens=inputs + outputs)
